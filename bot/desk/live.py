"""Live updates for open desk pages: one database watermark poll per process, and who has which case open or is typing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.storage.models import AuditEvent, Case, ConversationMessage

log = logging.getLogger(__name__)
TYPING_FOR = timedelta(seconds=6)


class Pulse:
    """Bumps `version` whenever a message, an audit line or a case appears, in any process sharing the database.

    It polls one cheap query (three MAX(id)s) every `interval` seconds while any page listens, and wakes all of them at
    once; a change in this process (presence) pokes it directly. 50 open pages cost one query per interval, not 50.
    """

    def __init__(self, sessions, interval: float = 0.5) -> None:
        self.sessions = sessions
        self.interval = interval
        self.version = 0
        self._mark: tuple | None = None
        self._changed = asyncio.Event()
        self._listeners = 0
        self._task: asyncio.Task | None = None

    def poke(self) -> None:
        """Wake every listener now."""
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def _mark_now(self) -> tuple:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(
                        select(func.max(ConversationMessage.id)).scalar_subquery(),
                        select(func.max(AuditEvent.id)).scalar_subquery(),
                        select(func.max(Case.id)).scalar_subquery(),
                    )
                )
            ).one()
        return tuple(row)

    async def _poll(self) -> None:
        while self._listeners > 0:
            try:
                mark = await self._mark_now()
                if mark != self._mark:
                    if self._mark is not None:
                        self.poke()
                    self._mark = mark
            except Exception:  # a database hiccup must not end live updates for good
                log.warning("desk live poll failed", exc_info=True)
            await asyncio.sleep(self.interval)

    async def wait(self, seen: int, timeout: float) -> int:
        """Wait until the version moves past `seen` (or `timeout` seconds pass); return the current version."""
        self._listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            if self.version == seen:
                changed = self._changed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout)
        finally:
            self._listeners -= 1
        return self.version

    async def close(self) -> None:
        """Stop polling."""
        self._listeners = 0
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class _Visitor:
    pages: int = 0
    typing_until: datetime | None = None


@dataclass
class Presence:
    """Which staff members have each case page open, and who is typing there (this process's pages)."""

    pulse: Pulse
    cases: dict[str, dict[str, _Visitor]] = field(default_factory=lambda: defaultdict(dict))

    def join(self, number: str, name: str) -> None:
        """A page of `number` opened by `name`."""
        self.cases[number].setdefault(name, _Visitor()).pages += 1
        self.pulse.poke()

    def leave(self, number: str, name: str) -> None:
        """That page closed."""
        visitor = self.cases[number].get(name)
        if visitor is not None:
            visitor.pages -= 1
            if visitor.pages <= 0:
                del self.cases[number][name]
        if not self.cases[number]:
            del self.cases[number]
        self.pulse.poke()

    def typing(self, number: str, name: str, now: datetime) -> None:
        """`name` is typing a reply or a note on `number`."""
        visitor = self.cases[number].setdefault(name, _Visitor())
        was_typing = visitor.typing_until is not None and visitor.typing_until > now
        visitor.typing_until = now + TYPING_FOR
        if not was_typing:
            self.pulse.poke()

    def others(self, number: str, name: str, now: datetime) -> tuple[list[str], list[str]]:
        """(who else has the page open, who else is typing) for `name`'s view of `number`."""
        visitors = {other: v for other, v in self.cases.get(number, {}).items() if other != name}
        viewing = sorted(other for other, v in visitors.items() if v.pages > 0)
        typing = sorted(other for other, v in visitors.items() if v.typing_until is not None and v.typing_until > now)
        return viewing, typing
