"""Tests of `channels.wechat`."""
