"""Delivery policies: when a channel may reach a citizen on its own (quiet hours, WeChat's 48-hour window)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.storage.models import Citizen

# a scheduled message aims to leave this long before a free-form window closes
WINDOW_MARGIN = timedelta(minutes=30)
QUIET_EDGE = timedelta(minutes=1)


class DeliveryPolicy(Protocol):
    """A channel's rules for messages the citizen did not just ask for."""

    def free_form_until(self, citizen: Citizen) -> datetime | None:
        """When free-form messages to this citizen stop being possible; None when the channel sets no limit."""
        ...

    def citizen_wrote(self, citizen: Citizen, now: datetime) -> None:
        """The citizen just wrote: renew whatever allowance that gives (in the turn's transaction)."""
        ...


class Unlimited:
    """Channels that may write to a citizen at any time (console, Telegram: pacing is the sender's business)."""

    def free_form_until(self, citizen: Citizen) -> datetime | None:
        """No limit."""
        return None

    def citizen_wrote(self, citizen: Citizen, now: datetime) -> None:
        """Nothing to renew."""


class Policies:
    """The policy of each channel, by name; channels without one of their own are unlimited."""

    def __init__(self, by_channel: dict[str, DeliveryPolicy] | None = None) -> None:
        self.by_channel = dict(by_channel or {})
        self.default = Unlimited()

    def of(self, channel: str) -> DeliveryPolicy:
        """The policy for a channel."""
        return self.by_channel.get(channel, self.default)

    def citizen_wrote(self, citizen: Citizen, now: datetime) -> None:
        """Hook for the engine: a citizen's message renews their channel's allowance."""
        self.of(citizen.channel).citizen_wrote(citizen, now)


def quiet_interval(moment: datetime, quiet: tuple[time, time] | None, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The quiet-hours interval that contains `moment`, or None when it is outside quiet hours."""
    if quiet is None or quiet[0] == quiet[1]:
        return None
    start, end = quiet
    local = moment.astimezone(tz)
    for day in (local.date() - timedelta(days=1), local.date()):
        begins = datetime.combine(day, start, tzinfo=tz)
        ends = datetime.combine(day if start < end else day + timedelta(days=1), end, tzinfo=tz)
        if begins <= local < ends:
            return begins, ends
    return None


def leave_quiet(moment: datetime, quiet: tuple[time, time] | None, tz: ZoneInfo) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in."""
    interval = quiet_interval(moment, quiet, tz)
    return interval[1] if interval else moment


def schedule_for_citizen(
    wanted: datetime, now: datetime, policy: DeliveryPolicy, citizen: Citizen, quiet: tuple[time, time] | None, tz: ZoneInfo
) -> datetime:
    """When a message wanted at `wanted` should go: out of quiet hours, and before the channel's free-form window closes."""
    due = leave_quiet(wanted, quiet, tz)
    closes = policy.free_form_until(citizen)
    if closes is None or due <= closes - WINDOW_MARGIN:
        return due
    latest = closes - WINDOW_MARGIN
    if latest <= now:
        return due  # the window is closed already: the channel's sender uses its fallback (a template) or records unreachable
    interval = quiet_interval(latest, quiet, tz)
    earlier = interval[0] - QUIET_EDGE if interval else latest
    if earlier >= now:
        return earlier
    return now if quiet_interval(now, quiet, tz) is None else due
