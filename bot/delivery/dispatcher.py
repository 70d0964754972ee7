"""The dispatcher: claims due outbox rows and hands each to its channel, confirming every row as it is sent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from bot.core.masking import redact_secrets
from bot.core.messages import Reply
from bot.delivery.channel import ChannelAdapter, DeliveryError
from bot.delivery.notices import NoticeKind
from bot.delivery.outbox import MAX_ATTEMPTS, RETRY_BACKOFF, Route, worker_name
from bot.storage.models import OutboxMessage
from bot.storage.results import affected

log = logging.getLogger(__name__)

# confirm what went out at least this often: the most a crash can leave `unknown` instead of `sent`
CONFIRM_EVERY = timedelta(seconds=0.5)
CONFIRM_ROWS = 64


@dataclass(frozen=True)
class Result:
    """How one row's delivery ended: sent, retry or failed, with the error and the parts that went out first."""

    row: OutboxMessage
    outcome: str
    error: str | None
    delivered: int


Router = Callable[[AsyncSession, OutboxMessage], Awaitable[Route | None]]
FailureHook = Callable[[AsyncSession, OutboxMessage, str, datetime], Awaitable[None]]
SentHook = Callable[[AsyncSession, list[OutboxMessage], datetime], Awaitable[None]]


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
        # which rows this process may claim: a process delivers only through channels it really has (see `serve_only`)
        self.scope: tuple[ColumnElement[bool], ...] = ()

    def serve_only(self, channels: set[str], *, console_user: str | None = None, staff: bool = True) -> None:
        """Claim only rows for `channels` (plus staff rows, routed to whichever staff channel this process has).

        A console citizen's messages belong to their own `chat` terminal: with `console_user` this process
        delivers that citizen's console rows and leaves other console citizens' rows for their terminals.
        """
        others = channels - {"console"}
        allowed: list[ColumnElement[bool]] = [OutboxMessage.channel.in_([*others, *(["staff"] if staff else [])])]
        if console_user is not None:
            allowed.append(and_(OutboxMessage.channel == "console", OutboxMessage.recipient == console_user))
        self.scope = (or_(*allowed),)

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
                .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now, *self.scope)
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

    async def send_now(self, dedup_key: str) -> str | None:
        """Claim the pending row with this dedup key, however far off its due time, and send it now.

        Returns the outcome ("sent", "retry", "failed"), or None when no such row is pending: none was queued, it
        went out already, or another worker holds it. The claim is the row's one way out, so it is sent once.
        """
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedup_key == dedup_key[:191], OutboxMessage.status == "pending")
                .values(status="sending", claimed_at=now, claimed_by=self.worker, attempts=OutboxMessage.attempts + 1)
            )
            if not affected(claimed):
                return None
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key[:191]))
        if row is None:  # pragma: no cover - claimed in this very transaction
            return None
        outcome, error, delivered = await self._deliver(row)
        await self._finish([Result(row, outcome, error, delivered)], [])
        return outcome

    async def _deliver(self, row: OutboxMessage) -> tuple[str, str | None, int]:
        """Hand one row to its channel: (outcome, error, parts delivered before a failure)."""
        route: Route | None = Route(row.channel, row.recipient)
        if row.channel not in self.channels and self.router:
            async with self.sessions() as session:
                route = await self.router(session, row)
        if route is None:
            return "failed", "no way to reach the recipient", 0
        adapter = self.channels.get(route.channel)
        if adapter is None:
            return "failed", f"channel {route.channel!r} is not running", 0
        replies = [Reply.from_json(r) for r in row.payload.get("replies", [])]
        try:
            await adapter.send(route.recipient, replies, kind=NoticeKind(row.kind), payload=row.payload)
        except DeliveryError as exc:
            if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                return "failed", exc.reason, exc.delivered
            return "retry", exc.reason, exc.delivered
        except Exception as exc:  # an adapter bug must not stop the other rows
            log.exception("outbox: sending row %s failed", row.id)
            return ("failed" if row.attempts >= MAX_ATTEMPTS else "retry"), f"{type(exc).__name__}: {exc}", 0
        return "sent", None, 0

    async def _finish(self, results: list[Result], waiting: list[int]) -> None:
        """Confirm rows that went out (or failed) in one transaction, and renew the claim on the rows still waiting to go."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            if waiting:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(waiting), OutboxMessage.status == "sending", OutboxMessage.claimed_by == self.worker)
                    .values(claimed_at=now)
                )
            sent = [result.row for result in results if result.outcome == "sent"]
            if sent:
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id.in_([r.id for r in sent])).values(status="sent", sent_at=now)
                )
                for hook in self.sent_hooks:
                    await hook(session, sent, now)
            for result in results:
                if result.outcome != "sent":
                    await self._record_failure(session, result, now)

    async def _record_failure(self, session: AsyncSession, result: Result, now: datetime) -> None:
        row, outcome = result.row, result.outcome
        error = redact_secrets(result.error) if result.error else result.error  # stored, logged and shown to staff: never a credential
        log.warning("outbox: row %s (%s to %s) %s: %s", row.id, row.kind, row.channel, outcome, error)
        values: dict[str, Any] = {"error": error}
        if result.delivered:  # the parts that went out are never sent again
            values["payload"] = {**row.payload, "parts_sent": int(row.payload.get("parts_sent", 0)) + result.delivered}
        if outcome == "retry":
            values.update(status="pending", due_at=now + RETRY_BACKOFF * row.attempts)
        else:
            values.update(status="failed")
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
        if outcome == "failed" and self.on_failure:
            await self.on_failure(session, row, error or "failed", now)

    async def run_once(self, batch: int = 200) -> int:
        """Send every due row, batch by batch; return how many were handled.

        Rows are confirmed as they go: whatever went out is recorded within CONFIRM_EVERY (or CONFIRM_ROWS rows),
        so a crash leaves at most those few as `unknown`, and a slow, paced batch renews its claim long before
        its lease runs out.
        """
        handled = 0
        while True:
            rows = await self.claim(batch)
            renewed = since = self.clock.now()
            done: list[Result] = []
            for index, row in enumerate(rows):
                outcome, error, delivered = await self._deliver(row)
                done.append(Result(row, outcome, error, delivered))
                last = index == len(rows) - 1
                if last or len(done) >= CONFIRM_ROWS or self.clock.now() - since >= CONFIRM_EVERY:
                    waiting: list[int] = []
                    if not last and self.clock.now() - renewed > self.lease / 3:
                        waiting, renewed = [r.id for r in rows[index + 1 :]], self.clock.now()
                    await self._finish(done, waiting)
                    done, since = [], self.clock.now()
            handled += len(rows)
            if len(rows) < batch:
                return handled
