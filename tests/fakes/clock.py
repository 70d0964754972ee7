"""A clock tests move by hand, so no test sleeps for time to pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone


class FakeClock:
    """Returns a fixed time until told to move."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The current fake time."""
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to a given aware time."""
        self._now = moment.astimezone(UTC)
