"""The durable outbox: notices queued in the transaction that causes them, and the rows staff must check."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.notices import Notice
from bot.storage.models import OutboxMessage
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(seconds=30)


async def enqueue(session: AsyncSession, notice: Notice, *, due_at: datetime, now: datetime) -> bool:
    """Add a notice to the outbox in the caller's transaction; False when its dedup key was used already."""
    values = dict(
        kind=str(notice.kind),
        dedup_key=notice.dedup_key[:191],
        channel=notice.channel,
        recipient=notice.recipient,
        payload=notice.payload(),
        case_id=notice.case_id,
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


def worker_name() -> str:
    """A name for this dispatcher process, stored with the rows it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"
