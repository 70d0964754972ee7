"""The inbox's queues (待接手, 我的, 本科室, 已超期, 全部), search, who may see which case, and the rows as staff read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_phone, mask_text
from bot.office.casework import CLOSED
from bot.office.staff_verbs import ACTS_ON_ANY_CASE
from bot.storage.desk_models import CaseFlag, CaseRead
from bot.storage.models import Case, Citizen, ConversationMessage, Staff

QUEUES = ("unassigned", "mine", "dept", "overdue", "all")
QUEUE_LABELS = {
    "unassigned": "desk_q_unassigned",
    "mine": "desk_q_mine",
    "dept": "desk_q_dept",
    "overdue": "desk_q_overdue",
    "all": "desk_q_all",
}
PAGE = 200


def sees_everything(staff: Staff) -> bool:
    """Supervisors and leaders see every case."""
    return staff.role in ACTS_ON_ANY_CASE


def queues_for(staff: Staff) -> list[str]:
    """The queues a staff member's inbox offers."""
    return list(QUEUES) if sees_everything(staff) else [q for q in QUEUES if q != "all"]


def visible(staff: Staff):
    """The SQL condition of the cases a staff member may see: unassigned ones, their own, their department's (all for supervisors)."""
    if sees_everything(staff):
        return Case.id.is_not(None)
    mine = or_(Case.assignee_id == staff.id, Case.owner_id == staff.id, Case.assignee_id.is_(None))
    return or_(mine, Case.department == staff.department) if staff.department else mine


def may_see(staff: Staff, case: Case) -> bool:
    """Whether a staff member may open a case's page."""
    return (
        sees_everything(staff)
        or case.assignee_id is None
        or staff.id in (case.assignee_id, case.owner_id)
        or (staff.department is not None and case.department == staff.department)
    )


def queue_query(staff: Staff, queue: str, now: datetime, search: str = "") -> Select:
    """The cases of one queue (or, with a search, every visible case matching it), in the order staff work them."""
    query = select(Case).where(visible(staff))
    open_ = Case.status.not_in(CLOSED)
    if search.strip():
        needle = search.strip()
        compact = needle.replace("-", "").replace(" ", "").upper()
        like = f"%{needle}%"
        number_like = f"%{compact[:2]}-{compact[2:10]}-{compact[10:]}%" if len(compact) > 10 else f"%{needle.upper()}%"
        return query.where(or_(Case.number.like(number_like), Case.summary.like(like), Case.description.like(like))).order_by(
            Case.created_at.desc()
        )
    if queue == "mine":
        return query.where(open_, Case.assignee_id == staff.id).order_by(Case.due_at)
    if queue == "dept":
        mine = Case.department == staff.department if staff.department else false()
        return query.where(open_, mine).order_by(Case.due_at)
    if queue == "overdue":
        return query.where(open_, Case.due_at < now, Case.paused_at.is_(None)).order_by(Case.due_at)
    if queue == "all" and sees_everything(staff):
        return query.order_by(Case.created_at.desc())
    waiting = and_(open_, Case.assignee_id.is_(None))
    if sees_everything(staff):
        waiting = or_(waiting, and_(open_, Case.id.in_(select(CaseFlag.case_id))))
    return query.where(waiting).order_by(Case.created_at)


@dataclass
class Row:
    """One inbox row, personal data masked."""

    number: str
    type: str
    channel: str
    citizen: str
    summary: str
    status: str
    created_at: datetime
    due_at: datetime
    paused: bool
    last_message_at: datetime | None
    unread: bool
    flagged: bool
    assignee: str | None


def mask_name(name: str | None) -> str:
    """`张三丰` → `张**`, `Alice` → `A****`."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


async def _mapping(session: AsyncSession, query) -> dict[Any, Any]:
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def rows(session: AsyncSession, staff: Staff, cases: list[Case]) -> list[Row]:
    """The inbox rows for these cases: last message time and unread marker in two grouped queries."""
    ids = [case.id for case in cases]
    if not ids:
        return []
    last = await _mapping(
        session,
        select(ConversationMessage.case_id, func.max(ConversationMessage.created_at))
        .where(ConversationMessage.case_id.in_(ids))
        .group_by(ConversationMessage.case_id),
    )
    last_in = await _mapping(
        session,
        select(ConversationMessage.case_id, func.max(ConversationMessage.created_at))
        .where(ConversationMessage.case_id.in_(ids), ConversationMessage.direction == "in")
        .group_by(ConversationMessage.case_id),
    )
    reads = await _mapping(
        session, select(CaseRead.case_id, CaseRead.read_at).where(CaseRead.staff_id == staff.id, CaseRead.case_id.in_(ids))
    )
    flagged = set(await session.scalars(select(CaseFlag.case_id).where(CaseFlag.case_id.in_(ids))))
    citizen_ids = {case.citizen_id for case in cases if case.citizen_id}
    names = await _mapping(session, select(Citizen.id, Citizen.display_name).where(Citizen.id.in_(citizen_ids))) if citizen_ids else {}
    staff_ids = {case.assignee_id for case in cases if case.assignee_id}
    assignees = await _mapping(session, select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))) if staff_ids else {}
    result = []
    for case in cases:
        citizen = mask_name(names.get(case.citizen_id)) if case.citizen_id else ""
        if case.phone:
            citizen = f"{citizen} {mask_phone(case.phone)}".strip()
        if not citizen:
            citizen = f"#{case.citizen_id}" if case.citizen_id else "-"
        incoming = last_in.get(case.id)
        read = reads.get(case.id)
        result.append(
            Row(
                number=case.number,
                type=case.type,
                channel=case.channel or "-",
                citizen=citizen,
                summary=mask_text(case.summary)[:80],
                status=case.status,
                created_at=case.created_at,
                due_at=case.due_at,
                paused=case.paused_at is not None,
                last_message_at=last.get(case.id) or case.created_at,
                unread=incoming is not None and (read is None or incoming > read),
                flagged=case.id in flagged,
                assignee=assignees.get(case.assignee_id) if case.assignee_id else None,
            )
        )
    return result


async def mark_read(session: AsyncSession, staff: Staff, case: Case, now: datetime) -> None:
    """Remember that a staff member has seen the case's conversation up to now."""
    row = await session.get(CaseRead, (staff.id, case.id))
    if row is None:
        session.add(CaseRead(staff_id=staff.id, case_id=case.id, read_at=now))
    else:
        row.read_at = now
