"""回访 (call-backs): a staff member contacts the citizen of a case and records the outcome; audited, counted in 回访率."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import both, staff_text
from bot.office import audit
from bot.office.casework import CaseActionError, actor_name, find_case
from bot.storage.models import Case, Staff
from bot.storage.supervision_models import Callback

OUTCOMES = ("reached", "unreached")
NOTE_LIMIT = 2000


def parse_satisfied(value: str | None) -> bool | None:
    """`yes`/`no` (or empty) from a form or the command line as True/False/None; anything else is refused."""
    value = (value or "").strip().lower()
    if value in ("", "none", "-"):
        return None
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise CaseActionError(both("err_callback_satisfied"))


def describe(callback: Callback) -> str:
    """One line for the case history and the 台账: outcome, the citizen's verdict, who and the note."""
    parts = [staff_text(f"callback_{callback.outcome}")]
    if callback.satisfied is not None:
        parts.append(staff_text("callback_satisfied_yes" if callback.satisfied else "callback_satisfied_no"))
    if callback.note:
        parts.append(callback.note)
    return "，".join(parts)


async def record(session: AsyncSession, number: str, staff: Staff, outcome: str, satisfied: bool | None, note: str, now: datetime) -> Case:
    """Record one 回访 on a case (open or closed): reached or not, satisfied or not, a note; audited under the staff member."""
    if outcome not in OUTCOMES:
        raise CaseActionError(both("err_callback_outcome", outcomes="|".join(OUTCOMES)))
    if outcome == "unreached" and satisfied is not None:
        raise CaseActionError(both("err_callback_unreached_satisfied"))
    case = await find_case(session, number)
    callback = Callback(
        case_id=case.id,
        staff_id=staff.id,
        staff_name=staff.name,
        outcome=outcome,
        satisfied=satisfied,
        note=note.strip()[:NOTE_LIMIT],
        created_at=now,
    )
    session.add(callback)
    await session.flush()
    audit.record(session, case_id=case.id, actor=actor_name(staff), action="callback", now=now, detail=describe(callback))
    return case


async def for_cases_received(session: AsyncSession, begin: datetime, finish: datetime) -> dict[int, list[Callback]]:
    """The call-backs of cases received in [begin, finish), oldest first, by case id."""
    query = (
        select(Callback)
        .join(Case, Case.id == Callback.case_id)
        .where(Case.created_at >= begin, Case.created_at < finish)
        .order_by(Callback.created_at, Callback.id)
    )
    return _by_case(await session.scalars(query))


async def for_cases(session: AsyncSession, case_ids: list[int]) -> dict[int, list[Callback]]:
    """The call-backs of these cases, oldest first, by case id."""
    found: dict[int, list[Callback]] = {}
    for start in range(0, len(case_ids), 500):
        query = select(Callback).where(Callback.case_id.in_(case_ids[start : start + 500])).order_by(Callback.created_at, Callback.id)
        for case_id, calls in _by_case(await session.scalars(query)).items():
            found.setdefault(case_id, []).extend(calls)
    return found


def _by_case(callbacks: Iterable[Callback]) -> dict[int, list[Callback]]:
    found: dict[int, list[Callback]] = {}
    for callback in callbacks:
        found.setdefault(callback.case_id, []).append(callback)
    return found
