"""Tests of `channels`."""
