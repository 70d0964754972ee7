"""Conversation flows: plain async functions that turn one citizen turn into replies."""
