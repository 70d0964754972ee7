"""The durable outbox: proactive messages due at a time, claimed in batches and sent at most once."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from bot.core.messages import Reply
from bot.delivery.channel import ChannelAdapter, DeliveryError
from bot.storage.models import OutboxMessage
from bot.storage.results import affected
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(seconds=30)


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    dedup_key: str,
    channel: str,
    recipient: str,
    replies: list[Reply],
    due_at: datetime,
    now: datetime,
    case_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction; False when the dedup key was used already."""
    payload = {"replies": [r.to_json() for r in replies], **(extra or {})}
    values = dict(
        kind=kind,
        dedup_key=dedup_key[:191],
        channel=channel,
        recipient=recipient,
        payload=payload,
        case_id=case_id,
        status="pending",
        attempts=0,
        due_at=due_at,
        created_at=now,
    )
    return await insert_ignore(session, OutboxMessage, values, ["dedup_key"])


async def unknown_rows(session: AsyncSession, limit: int = 1000) -> list[OutboxMessage]:
    """Outbox rows whose delivery is unknown (claimed, then the process stopped), oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.status == "unknown").order_by(OutboxMessage.claimed_at, OutboxMessage.id).limit(limit)
    return list(await session.scalars(query))


async def unknown_count(session: AsyncSession) -> int:
    """How many outbox rows await a staff check."""
    return await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "unknown")) or 0


@dataclass(frozen=True)
class Route:
    """Where a row actually goes: the adapter name and its recipient id."""

    channel: str
    recipient: str


Router = Callable[[AsyncSession, OutboxMessage], Awaitable[Route | None]]
FailureHook = Callable[[AsyncSession, OutboxMessage, str, datetime], Awaitable[None]]
SentHook = Callable[[AsyncSession, list[OutboxMessage], datetime], Awaitable[None]]


def worker_name() -> str:
    """A name for this dispatcher process, stored with the rows it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    """Claims due outbox rows and hands them to channel adapters; a crash mid-send leaves `unknown`, never a re-send."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: dict[str, ChannelAdapter],
        clock: Clock,
        *,
        router: Router | None = None,
        on_failure: FailureHook | None = None,
        lease: timedelta = timedelta(minutes=5),
        worker: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.clock = clock
        self.router = router
        self.on_failure = on_failure
        self.lease = lease
        self.worker = worker or worker_name()
        # called in the transaction that marks rows sent (e.g. surveys schedule their reminder there)
        self.sent_hooks: list[SentHook] = []

    async def recover_orphans(self) -> int:
        """Mark rows claimed longer than the lease ago and never finished as `unknown` for staff review."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - self.lease)
                .values(status="unknown", error="claimed but never confirmed (process stopped mid-send?)")
            )
        if affected(result):
            log.error("outbox: %d message(s) orphaned mid-send marked unknown for staff review", affected(result))
        return affected(result)

    async def claim(self, limit: int) -> list[OutboxMessage]:
        """Claim up to `limit` due rows for this worker (SKIP LOCKED on PostgreSQL)."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            due = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(await session.scalars(due))
            if not ids:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(status="sending", claimed_at=now, claimed_by=self.worker, attempts=OutboxMessage.attempts + 1)
            )
            rows = list(
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.due_at, OutboxMessage.id)
                )
            )
        return rows

    async def _deliver(self, row: OutboxMessage) -> tuple[str, str | None]:
        route: Route | None = Route(row.channel, row.recipient)
        if row.channel not in self.channels and self.router:
            async with self.sessions() as session:
                route = await self.router(session, row)
        if route is None:
            return "failed", "no way to reach the recipient"
        adapter = self.channels.get(route.channel)
        if adapter is None:
            return "failed", f"channel {route.channel!r} is not running"
        replies = [Reply.from_json(r) for r in row.payload.get("replies", [])]
        try:
            await adapter.send(route.recipient, replies, kind=row.kind, payload=row.payload)
        except DeliveryError as exc:
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                return "failed", exc.reason
            return "retry", exc.reason
        except Exception as exc:  # an adapter bug must not stop the other rows
            log.exception("outbox: sending row %s failed", row.id)
            return ("failed" if row.attempts >= MAX_ATTEMPTS else "retry"), f"{type(exc).__name__}: {exc}"
        return "sent", None

    async def _finish(self, results: list[tuple[OutboxMessage, str, str | None]]) -> None:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            sent = [row.id for row, outcome, _ in results if outcome == "sent"]
            if sent:
                await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent)).values(status="sent", sent_at=now))
                for hook in self.sent_hooks:
                    await hook(session, [row for row, outcome, _ in results if outcome == "sent"], now)
            for row, outcome, error in results:
                if outcome == "sent":
                    continue
                log.warning("outbox: row %s (%s to %s) %s: %s", row.id, row.kind, row.channel, outcome, error)
                values: dict[str, Any] = {"error": error}
                if outcome == "retry":
                    values.update(status="pending", due_at=now + RETRY_BACKOFF * row.attempts)
                else:
                    values.update(status="failed")
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
                if outcome == "failed" and self.on_failure:
                    await self.on_failure(session, row, error or "failed", now)

    async def run_once(self, batch: int = 200) -> int:
        """Send every due row, batch by batch; return how many were handled."""
        handled = 0
        while True:
            rows = await self.claim(batch)
            results = []
            for row in rows:
                outcome, error = await self._deliver(row)
                results.append((row, outcome, error))
            if results:
                await self._finish(results)
            handled += len(rows)
            if len(rows) < batch:
                return handled
