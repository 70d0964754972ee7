"""Tests of `office`."""
