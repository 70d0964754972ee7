"""Personal-information rights (PIPL): forget a citizen on request, purge what is past its retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import t
from bot.office import audit
from bot.storage.models import Attachment, Case, Citizen, ConversationMessage, InboundReceipt, OutboxMessage
from bot.storage.results import affected

log = logging.getLogger(__name__)

ANONYMISED = t("anonymised", "zh")


async def forget_citizen(session: AsyncSession, citizen: Citizen, now: datetime, *, reason: str) -> int:
    """Delete a citizen's personal data and history; keep their cases anonymised for statistics. Returns cases kept."""
    case_ids = list(await session.scalars(select(Case.id).where(Case.citizen_id == citizen.id)))
    if case_ids:
        await session.execute(delete(Attachment).where(Attachment.case_id.in_(case_ids)))
        await session.execute(
            update(Case)
            .where(Case.id.in_(case_ids))
            .values(citizen_id=None, description=ANONYMISED, summary=ANONYMISED, phone=None, place=None, anonymised=True)
        )
        for case_id in case_ids:
            audit.record(session, case_id=case_id, actor="citizen", action="anonymised", now=now, detail=reason)
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.channel == citizen.channel, OutboxMessage.recipient == citizen.external_id, OutboxMessage.status == "pending"
        )
    )
    await session.execute(delete(ConversationMessage).where(ConversationMessage.citizen_id == citizen.id))
    await session.execute(delete(InboundReceipt).where(InboundReceipt.citizen_id == citizen.id))
    await session.delete(citizen)
    audit.record(
        session,
        case_id=None,
        actor="citizen",
        action="personal_data_deleted",
        now=now,
        detail=f"{reason}; {len(case_ids)} case(s) anonymised",
    )
    log.info("personal data deleted on %s (%s); %d case(s) anonymised", citizen.channel, reason, len(case_ids))
    return len(case_ids)


async def purge_expired(session: AsyncSession, now: datetime, retention_days: int) -> int:
    """Delete conversation history and receipts older than the retention period; anonymise old closed cases."""
    cutoff = now - timedelta(days=retention_days)
    removed = affected(await session.execute(delete(ConversationMessage).where(ConversationMessage.created_at < cutoff)))
    removed += affected(await session.execute(delete(InboundReceipt).where(InboundReceipt.created_at < cutoff)))
    old = select(Case.id).where(Case.status == "closed", Case.closed_at < cutoff, Case.anonymised.is_(False))
    old_ids = list(await session.scalars(old))
    if old_ids:
        await session.execute(delete(Attachment).where(Attachment.case_id.in_(old_ids)))
        await session.execute(
            update(Case)
            .where(Case.id.in_(old_ids))
            .values(description=ANONYMISED, summary=ANONYMISED, phone=None, place=None, anonymised=True)
        )
    if removed or old_ids:
        log.info("retention purge: %d history row(s) removed, %d closed case(s) anonymised", removed, len(old_ids))
    return removed + len(old_ids)
