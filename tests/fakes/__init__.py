"""Test doubles for the world outside the bot: clock, channels, platform servers."""
