"""Case lifecycle on the citizen's side: open a case, add citizen messages, look cases up safely."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.core.messages import Attachment as InboundAttachment
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.office import audit, sla
from bot.office.alerts import raise_alert
from bot.office.case_numbers import next_number
from bot.storage.models import Attachment, Case, Citizen

log = logging.getLogger(__name__)

CLOSED_STATUSES = ("resolved", "closed")


async def _warn_unknown_calendar_years(session: AsyncSession, services: Services, now: datetime) -> None:
    for year in sorted(services.calendar.guessed_years):
        note = staff_text("note_calendar_missing", year=year)
        await raise_alert(session, "calendar_missing", now=now, tz=services.settings.tz, note=note, key=str(year))


async def open_case(
    session: AsyncSession,
    services: Services,
    *,
    case_type: str,
    citizen: Citizen | None,
    now: datetime,
    description: str,
    summary: str = "",
    place: str | None = None,
    phone: str | None = None,
    attachments: tuple[InboundAttachment, ...] = (),
    department: str | None = None,
    linked_case: Case | None = None,
    actor: str = "citizen",
) -> Case:
    """Register a case with its number and working-day deadline, audit it, and schedule its alerts."""
    number = await next_number(session, case_type, now.astimezone(services.settings.tz))
    case = Case(
        number=number,
        type=case_type,
        status="new",
        citizen_id=citizen.id if citizen else None,
        channel=citizen.channel if citizen else None,
        lang=citizen.lang if citizen else "zh",
        description=description,
        summary=summary or description[:120],
        place=place,
        phone=phone,
        department=department,
        linked_case_id=linked_case.id if linked_case else None,
        created_at=now,
        due_at=sla.deadline(services, case_type, now),
        alerts_raised=[],
    )
    session.add(case)
    await session.flush()
    for item in attachments:
        session.add(
            Attachment(case_id=case.id, channel=case.channel or "console", kind=item.kind, ref=item.ref, name=item.name, created_at=now)
        )
    audit.record(session, case_id=case.id, actor=actor, action="opened", now=now, detail=f"{case_type}: {mask_text(case.summary)}")
    if case_type == "complaint":
        await raise_alert(session, "new_complaint", now=now, tz=services.settings.tz, case=case)
        case.alerts_raised = ["new_complaint"]
    sla.schedule(services, case)
    await _warn_unknown_calendar_years(session, services, now)
    await services.events.publish("case_opened", session=session, services=services, case=case, now=now)
    log.info("case %s opened (%s), due %s", number, case_type, case.due_at.isoformat())
    return case


async def citizen_cases(session: AsyncSession, citizen: Citizen, *, open_only: bool = True) -> list[Case]:
    """The citizen's own cases, newest first."""
    query = select(Case).where(Case.citizen_id == citizen.id).order_by(Case.created_at.desc())
    if open_only:
        query = query.where(Case.status != "closed")
    return list(await session.scalars(query))


async def find_for_citizen(session: AsyncSession, citizen: Citizen, number: str) -> Case | None:
    """A case by number only if it belongs to this citizen; otherwise None, exactly as if it did not exist."""
    case = await session.scalar(select(Case).where(Case.number == number))
    return case if case is not None and case.citizen_id == citizen.id else None


async def is_anonymised(session: AsyncSession, number: str) -> bool:
    """True for a case kept for statistics after its citizen asked for their data to be deleted (it tells nothing else)."""
    return bool(await session.scalar(select(Case.anonymised).where(Case.number == number)))


async def find(session: AsyncSession, number: str) -> Case | None:
    """A case by its number (staff side)."""
    return await session.scalar(select(Case).where(Case.number == number.strip().upper()))


async def add_citizen_message(session: AsyncSession, services: Services, case: Case, now: datetime) -> None:
    """Note that the citizen wrote on their case; a waiting case resumes its deadline clock."""
    if case.status == "waiting":
        resume(services, case, now, actor="citizen", session=session)


def resume(services: Services, case: Case, now: datetime, *, actor: str, session: AsyncSession) -> int:
    """Restart a paused case's clock, moving the due date by the working days it was paused."""
    tz = services.settings.tz
    paused_days = 0
    if case.paused_at is not None:
        paused_days = services.calendar.workdays_between(case.paused_at.astimezone(tz).date(), now.astimezone(tz).date(), allow_guess=True)
        case.due_at = sla.extend_deadline(services, case.due_at, paused_days)
    case.paused_at = None
    case.status = "in_progress"
    sla.forget_future_levels(services, case, now)
    sla.schedule(services, case)
    audit.record(
        session,
        case_id=case.id,
        actor=actor,
        action="resumed",
        now=now,
        detail=f"paused {paused_days} working day(s); due {case.due_at.isoformat()}",
    )
    return paused_days
