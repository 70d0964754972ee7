"""Rectification of a bad review (差评整改): a ZG case linked to the original, assigned to the owner's supervisor."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.services import Services
from bot.core.texts import staff_text, t
from bot.office import audit, sla
from bot.office.alerts import raise_alert
from bot.office.cases import open_case
from bot.storage.models import Case, Citizen, Staff
from bot.storage.survey_models import Survey

log = logging.getLogger(__name__)


async def supervisor_for(session: AsyncSession, case: Case) -> Staff | None:
    """The supervisor of the case's owner (same department), else any active supervisor."""
    owner = await session.get(Staff, case.owner_id) if case.owner_id else None
    department = (owner.department if owner else None) or case.department
    supervisors = select(Staff).where(Staff.role == "supervisor", Staff.active.is_(True)).order_by(Staff.id)
    if department:
        same = await session.scalar(supervisors.where(Staff.department == department).limit(1))
        if same is not None:
            return same
    return await session.scalar(supervisors.limit(1))


async def open_rectification(session: AsyncSession, services: Services, survey: Survey, case: Case, now: datetime) -> Case:
    """Open the ZG case for a bad review, assign it to the owner's supervisor and alert supervisors."""
    citizen = await session.get(Citizen, survey.citizen_id) if survey.citizen_id else None
    level = t(f"survey_{survey.rating}", "zh")
    owner = await session.get(Staff, case.owner_id) if case.owner_id else None
    owner_name = owner.name if owner else staff_text("unassigned")
    description = staff_text("rectification_description", number=case.number, owner=owner_name, level=level)
    rectification = await open_case(
        session,
        services,
        case_type="rectification",
        citizen=citizen,
        now=now,
        description=description,
        summary=staff_text("rectification_summary", number=case.number, level=level),
        department=case.department,
        linked_case=case,
        actor="system",
    )
    supervisor = await supervisor_for(session, case)
    if supervisor is not None:
        rectification.assignee_id = supervisor.id
        rectification.owner_id = supervisor.id
        rectification.department = rectification.department or supervisor.department
        rectification.status = "assigned"
        sla.schedule(services, rectification)
        audit.record(
            session,
            case_id=rectification.id,
            actor="system",
            action="assigned",
            now=now,
            detail=f"to supervisor {supervisor.name} (bad review of {case.number})",
        )
    else:
        log.warning("rectification %s: no supervisor registered; left unassigned", rectification.number)
    note = staff_text("rectification_alert", number=case.number, owner=owner_name, level=level)
    await raise_alert(session, "rectification", now=now, tz=services.settings.tz, case=rectification, note=note)
    rectification.alerts_raised = [*(rectification.alerts_raised or []), "rectification"]
    return rectification
