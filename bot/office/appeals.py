"""Appeals against a rating (申诉): staff say it was mistaken or malicious, a supervisor upholds or rejects; all audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import both
from bot.office import audit
from bot.office.casework import CaseActionError, actor_name
from bot.storage.models import Case, Staff
from bot.storage.survey_models import Survey

APPEAL_TYPES = ("mistaken", "malicious")
DECIDERS = ("supervisor", "leader")


async def rated_survey(session: AsyncSession, number: str) -> tuple[Case, Survey]:
    """The answered survey of a case (its follow-up, or the call-back of a rectification)."""
    case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        raise CaseActionError(both("err_no_case", number=number))
    survey = await session.scalar(select(Survey).where(Survey.case_id == case.id, Survey.status == "answered").order_by(Survey.id))
    if survey is None:
        raise CaseActionError(both("err_no_rating", number=case.number))
    return case, survey


async def appeal(session: AsyncSession, number: str, staff: Staff, appeal_type: str, reason: str, now: datetime) -> Survey:
    """File an appeal against a case's rating, with a reason."""
    if appeal_type not in APPEAL_TYPES:
        raise CaseActionError(both("err_appeal_type", types="/".join(APPEAL_TYPES)))
    if not reason.strip():
        raise CaseActionError(both("err_appeal_reason"))
    case, survey = await rated_survey(session, number)
    if survey.appeal_status in ("requested", "upheld"):
        raise CaseActionError(both("err_appeal_exists", number=case.number, status=survey.appeal_status))
    survey.appeal_status, survey.appeal_type, survey.appeal_reason, survey.appeal_by = (
        "requested",
        appeal_type,
        reason.strip()[:2000],
        staff.name,
    )
    survey.appeal_decided_by = None
    audit.record(session, case_id=case.id, actor=actor_name(staff), action="rating_appealed", now=now, detail=f"{appeal_type}: {reason}")
    return survey


async def decide(session: AsyncSession, number: str, staff: Staff, uphold: bool, note: str, now: datetime) -> Survey:
    """A supervisor's decision on an appeal; an upheld one takes the rating out of the statistics."""
    if staff.role not in DECIDERS:
        raise CaseActionError(both("err_supervisors_decide"))
    case, survey = await rated_survey(session, number)
    if survey.appeal_status != "requested":
        raise CaseActionError(both("err_no_open_appeal", number=case.number))
    survey.appeal_status = "upheld" if uphold else "rejected"
    survey.appeal_decided_by = staff.name
    detail = f"{survey.appeal_status}: {survey.rating} ({survey.appeal_type}); {note}".strip()
    audit.record(session, case_id=case.id, actor=actor_name(staff), action="appeal_decided", now=now, detail=detail)
    return survey
