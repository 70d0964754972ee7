"""Personal-information rights (PIPL): forget a citizen on request, purge what is past its retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import t
from bot.office import audit
from bot.storage.models import Attachment, AuditEvent, Case, Citizen, ConversationMessage, InboundReceipt, OutboxMessage
from bot.storage.results import affected
from bot.storage.supervision_models import Callback
from bot.storage.survey_models import Survey

log = logging.getLogger(__name__)

ANONYMISED = t("anonymised", "zh")


async def forget_citizen(session: AsyncSession, citizen: Citizen, now: datetime, *, reason: str) -> int:
    """Delete a citizen's personal data and history; keep their cases anonymised for statistics. Returns cases kept."""
    case_ids = list(await session.scalars(select(Case.id).where(Case.citizen_id == citizen.id)))
    if case_ids:
        await _anonymise_cases(session, case_ids)
        await session.execute(update(Case).where(Case.id.in_(case_ids)).values(citizen_id=None))
        for case_id in case_ids:
            audit.record(session, case_id=case_id, actor="citizen", action="anonymised", now=now, detail=reason)
    # every message to them, sent or not: payloads carry what they wrote and what staff wrote to them
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.channel == citizen.channel, OutboxMessage.recipient == citizen.external_id)
    )
    await session.execute(update(Survey).where(Survey.citizen_id == citizen.id).values(comment=None, citizen_id=None))
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


# audit actions whose detail is free text someone wrote (a reply, a note, a reason, a resolution, a comment)
FREE_TEXT_ACTIONS = ("opened", "replied", "note", "waiting", "transferred", "resolved", "reopened", "closed", "survey_comment", "callback")


async def _anonymise_cases(session: AsyncSession, case_ids: list[int]) -> None:
    """Clear every copy of personal data a case holds: its fields, evidence, staff relays and free-text audit details."""
    await session.execute(delete(Attachment).where(Attachment.case_id.in_(case_ids)))
    await session.execute(
        update(Case)
        .where(Case.id.in_(case_ids))
        .values(description=ANONYMISED, summary=ANONYMISED, resolution=None, phone=None, place=None, anonymised=True)
    )
    await session.execute(delete(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids), OutboxMessage.status != "pending"))
    await session.execute(
        update(AuditEvent).where(AuditEvent.case_id.in_(case_ids), AuditEvent.action.in_(FREE_TEXT_ACTIONS)).values(detail=ANONYMISED)
    )
    await session.execute(update(Survey).where(Survey.case_id.in_(case_ids)).values(comment=None))
    await session.execute(update(Callback).where(Callback.case_id.in_(case_ids)).values(note=""))


async def purge_expired(session: AsyncSession, now: datetime, retention_days: int) -> int:
    """Delete conversation history and receipts older than the retention period; anonymise old closed cases."""
    cutoff = now - timedelta(days=retention_days)
    removed = affected(await session.execute(delete(ConversationMessage).where(ConversationMessage.created_at < cutoff)))
    removed += affected(await session.execute(delete(InboundReceipt).where(InboundReceipt.created_at < cutoff)))
    # a citizen silent for the whole retention period: forget the call-back number and name they left
    quiet = or_(Citizen.last_inbound_at < cutoff, and_(Citizen.last_inbound_at.is_(None), Citizen.created_at < cutoff))
    removed += affected(
        await session.execute(
            update(Citizen)
            .where(quiet, or_(Citizen.phone.is_not(None), Citizen.display_name.is_not(None)))
            .values(phone=None, display_name=None)
        )
    )
    finished = OutboxMessage.status.in_(("sent", "failed", "cancelled", "unknown"))
    removed += affected(await session.execute(delete(OutboxMessage).where(finished, OutboxMessage.created_at < cutoff)))
    old = select(Case.id).where(Case.status == "closed", Case.closed_at < cutoff, Case.anonymised.is_(False))
    old_ids = list(await session.scalars(old))
    if old_ids:
        await _anonymise_cases(session, old_ids)
    if removed or old_ids:
        log.info("retention purge: %d history row(s) removed, %d closed case(s) anonymised", removed, len(old_ids))
    return removed + len(old_ids)
