"""Tests of `channels.telegram`."""
