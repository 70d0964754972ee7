"""A per-app event bus: channels and surveys subscribe to case events, which run inside the event's transaction."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[..., Awaitable[None]]

# case_opened(session, services, case, now)
# citizen_message(session, services, case, citizen, text, attachments, now)
# case_action(session, services, case, staff, action, text, now)   — take, reply, note, transfer, wait, resume, reopen, close
# case_resolved(session, services, case, now)
EVENTS = ("case_opened", "citizen_message", "case_action", "case_resolved")


class Events:
    """Subscribers per event name; publishing awaits each in order, in the caller's transaction."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)

    def subscribe(self, event: str, subscriber: Subscriber) -> None:
        """Call `subscriber(**payload)` whenever `event` is published."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        self._subscribers[event].append(subscriber)

    async def publish(self, event: str, **payload: Any) -> None:
        """Run every subscriber of `event`; a failure rolls the whole transaction back, as it should."""
        for subscriber in self._subscribers.get(event, []):
            await subscriber(**payload)
