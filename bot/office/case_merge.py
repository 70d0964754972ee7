"""Merging a duplicate case into another: closed without a resolution (not counted as resolved, no survey), both audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import both
from bot.office import audit, staff_verbs
from bot.office.cases import find
from bot.office.casework import CLOSED, CaseActionError, actor_name
from bot.storage.models import Case, Staff


async def merge(session: AsyncSession, staff: Staff, number: str, into: str, now: datetime) -> Case:
    """Close `number` as a duplicate of `into`; only its assignee or a supervisor may, and only while it is open."""
    await staff_verbs.may_act(session, staff, staff_verbs.VERBS["close"], number)
    case, target = await find(session, number), await find(session, into)
    if case is None or target is None:
        raise CaseActionError(both("err_no_case", number=number if case is None else into))
    if case.id == target.id:
        raise CaseActionError(both("err_merge_self"))
    if case.status in CLOSED:
        raise CaseActionError(both("err_merge_closed", number=case.number, status=case.status))
    case.status = "closed"
    case.closed_at = now
    case.next_alert_at = None
    case.paused_at = None
    case.linked_case_id = target.id
    audit.record(session, case_id=case.id, actor=actor_name(staff), action="merged", now=now, detail=f"into {target.number}")
    audit.record(session, case_id=target.id, actor=actor_name(staff), action="merged", now=now, detail=f"from {case.number}")
    return case
