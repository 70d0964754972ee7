"""Telegram: update conversion, the Bot API HTTP backend, the sender, staff topics and the runtime that wires them."""
