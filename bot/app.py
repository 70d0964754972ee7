"""The composition root: builds the database, knowledge base, calendar, engine, channels and dispatcher once."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

from bot.channels.console import ConsoleChannel, LogChannel
from bot.channels.wechat.policy import WeChatPolicy
from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.engine import Engine
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.core.workdays import WorkCalendar
from bot.delivery.channel import ChannelAdapter
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.policy import Policies
from bot.office import accounts, alerts, privacy, sla, surveys
from bot.storage.database import create_engine, create_sessionmaker, is_sqlite
from bot.storage.wechat_models import forget_expired_nonces
from handlers.router import route
from knowledge import text
from knowledge.base import KnowledgeStore

log = logging.getLogger(__name__)


class App:
    """Everything a running bot (or a test, or a CLI command) needs, wired together."""

    def __init__(self, settings: Settings, clock: Clock | None = None, *, echo_alerts: bool = False) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = create_engine(settings.database_url)
        self.sessions = create_sessionmaker(self.db)
        workdays_file = settings.workdays_file or settings.knowledge_dir / "workdays.yaml"
        self.services = Services(
            settings=settings,
            clock=self.clock,
            knowledge=KnowledgeStore(settings.knowledge_dir, settings.knowledge_cache()),
            calendar=WorkCalendar.from_file(workdays_file),
        )
        # SQLite's single writer makes turns queue anyway: let each transaction take all the waiting ones
        # each channel's delivery rules; pure rules, known to every process (the CLI schedules surveys too)
        self.policies = Policies({"wechat": WeChatPolicy()})
        self.engine = Engine(
            self.sessions,
            self.services,
            route,
            group_commit=is_sqlite(settings.database_url),
            citizen_wrote=self.policies.citizen_wrote,
        )
        self.channels: dict[str, ChannelAdapter] = {
            "log": LogChannel(sys.stderr if echo_alerts else None),
            "console": ConsoleChannel(),
        }
        self.dispatcher = Dispatcher(
            self.sessions,
            self.channels,
            self.clock,
            router=self._route,
            on_failure=self._on_failure,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )
        surveys.install(self.services, self.dispatcher, self.policies)
        self._outbox_turn = asyncio.Lock()
        accounts.install(self.services.events)

    def add_channel(self, adapter: ChannelAdapter) -> None:
        """Register a channel adapter the dispatcher can deliver through."""
        self.channels[adapter.name] = adapter

    async def _route(self, session, row):
        return await alerts.route_staff(session, row, set(self.channels))

    async def _on_failure(self, session, row, error, now) -> None:
        await alerts.delivery_failed(session, row, error, now, self.settings.tz)

    async def tick_outbox(self) -> int:
        """Send whatever proactive messages are due; runs one at a time in this process, so a caller waits for the run in hand."""
        async with self._outbox_turn:
            return await self.dispatcher.run_once()

    async def queue_and_send(self, queue) -> int:
        """Run `queue(session, services, now)` in one transaction, then send what it queued at once; returns how many."""
        async with self.sessions() as session, session.begin():
            queued = await queue(session, self.services, self.clock.now())
        if queued:
            await self.tick_outbox()
        return queued

    async def sweep(self) -> int:
        """Run the SLA sweep once and send the alerts it raised."""
        async with self.sessions() as session, session.begin():
            queued = await sla.sweep(session, self.services, self.clock.now())
        await self.tick_outbox()
        return queued

    async def purge(self) -> int:
        """Apply the retention period to stored personal data."""
        async with self.sessions() as session, session.begin():
            return await privacy.purge_expired(session, self.clock.now(), self.settings.retention_days)

    async def forget_wechat_nonces(self) -> int:
        """Drop the WeChat callback nonces older than the window in which a signed request is accepted."""
        async with self.sessions() as session, session.begin():
            return await forget_expired_nonces(session, self.clock.now())

    async def close(self) -> None:
        """Release database connections."""
        await self.db.dispose()

    async def warm_up(self) -> None:
        """Load the word segmenter (about a second) before the first citizen's question would pay for it."""
        await asyncio.to_thread(text.warm_up)

    async def reload_knowledge(self) -> bool:
        """Pick up edited knowledge-base files; a broken edit keeps the last good version.

        Parsing and indexing a large knowledge base takes seconds: it runs in a worker thread and the new
        version replaces the old in one assignment, so turns meanwhile answer from the old one.
        """
        return await asyncio.to_thread(self.services.knowledge.reload_if_changed)

    async def recover_orphans(self) -> int:
        """Rows left mid-send by a crash become `unknown`, and supervisors are told."""
        count = await self.dispatcher.recover_orphans()
        if count:
            async with self.sessions() as session, session.begin():
                now = self.clock.now()
                note = staff_text("note_outbox_unknown", count=count)
                await alerts.raise_alert(session, "outbox_unknown", now=now, tz=self.settings.tz, note=note, key=now.isoformat())
        return count
