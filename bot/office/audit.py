"""The append-only audit trail: who did what to which case, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.storage.models import AuditEvent


def record(session: AsyncSession, *, case_id: int | None, actor: str, action: str, now: datetime, detail: str = "") -> None:
    """Append one audit line (personal data masked) to the session's transaction."""
    session.add(AuditEvent(case_id=case_id, actor=actor, action=action, detail=mask_text(detail)[:2000], created_at=now))


async def trail(session: AsyncSession, case_id: int) -> list[AuditEvent]:
    """The audit lines of a case, oldest first."""
    rows = await session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
    return list(rows)
