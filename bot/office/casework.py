"""Staff actions on cases (take, reply, note, transfer, wait, resolve, reopen), each checked, attributed and audited."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_phone
from bot.core.messages import Reply
from bot.core.services import Services
from bot.core.texts import both, staff_text, t
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.office import audit, sla
from bot.office.cases import resume
from bot.storage.models import Attachment, Case, Citizen, ConversationMessage, Staff
from bot.storage.results import affected
from bot.storage.supervision_models import Callback

CLOSED = ("resolved", "closed")


class CaseActionError(Exception):
    """A staff action that is not allowed, with the reason to show the staff member."""


def actor_name(staff: Staff) -> str:
    """How a staff member appears in the audit trail."""
    return f"staff:{staff.name}"


async def require_staff(
    session: AsyncSession, *, name: str | None = None, telegram_id: int | None = None, wechat_openid: str | None = None
) -> Staff:
    """The active staff member so identified, or CaseActionError for anyone not registered."""
    query = select(Staff).where(Staff.active.is_(True))
    if name is not None:
        query = query.where(Staff.name == name)
    elif telegram_id is not None:
        query = query.where(Staff.telegram_id == telegram_id)
    elif wechat_openid is not None:
        query = query.where(Staff.wechat_openid == wechat_openid)
    else:
        raise CaseActionError(both("err_no_staff_given"))
    staff = await session.scalar(query)
    if staff is None:
        raise CaseActionError(both("err_not_staff"))
    return staff


async def _case(session: AsyncSession, number: str) -> Case:
    case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        raise CaseActionError(both("err_no_case", number=number))
    return case


async def find_case(session: AsyncSession, number: str) -> Case:
    """The case with this number (any letter case), or CaseActionError saying there is none."""
    return await _case(session, number)


async def require_callback(session: AsyncSession, case: Case) -> None:
    """A rectification (ZG) is neither resolved nor closed before a staff member has recorded a 回访 on it."""
    if case.type != "rectification":
        return
    recorded = await session.scalar(select(Callback.id).where(Callback.case_id == case.id).limit(1))
    if recorded is None:
        raise CaseActionError(both("err_callback_first", number=case.number))


async def notify_citizen(
    session: AsyncSession,
    case: Case,
    text_for: dict[str, str],
    *,
    kind: NoticeKind,
    now: datetime,
    key: str,
    speaker: str | None = None,
    author: str | None = None,
) -> bool:
    """Queue a message to the case's citizen on their own channel (kept in the case's history under `author`); False when the citizen is gone.

    With `speaker` (a staff member writing to the citizen) the conversation is theirs from now on: what the citizen
    writes goes to this case until it is resolved or they leave, and a change of speaker is announced.
    """
    if case.citizen_id is None:
        return False
    # locked: the citizen's own turn saves their conversation state too, and must not overwrite this change
    citizen = await session.get(Citizen, case.citizen_id, with_for_update=True)
    if citizen is None:
        return False
    text = text_for.get(citizen.lang, text_for["zh"])
    if speaker is not None:
        state = dict(citizen.state or {})
        if state.get("speaker") != speaker:
            text = t("staff_now_serving", citizen.lang, who=speaker) + "\n" + text
        state.update(live_case=case.number, with_staff=True, speaker=speaker)
        citizen.state = state
    session.add(
        ConversationMessage(citizen_id=citizen.id, case_id=case.id, direction="staff", author=author, text=text[:4000], created_at=now)
    )
    return await enqueue(
        session,
        Notice(
            kind=kind,
            channel=citizen.channel,
            recipient=citizen.external_id,
            replies=(Reply(text),),
            dedup_key=f"{kind}:{case.id}:{key}:{uuid.uuid4().hex[:12]}",
            case_id=case.id,
            extra={"case": case.number},
        ),
        due_at=now,
        now=now,
    )


async def _act(session: AsyncSession, services: Services, case: Case, staff: Staff, action: str, now: datetime, text: str = "") -> None:
    """Audit a staff action and let subscribers (e.g. the Telegram staff topic) mirror it."""
    audit.record(session, case_id=case.id, actor=actor_name(staff), action=action, now=now, detail=text)
    await services.events.publish(
        "case_action", session=session, services=services, case=case, staff=staff, action=action, text=text, now=now
    )


def _both(key: str, **values: object) -> dict[str, str]:
    return {"zh": t(key, "zh", **values), "en": t(key, "en", **values)}


def _open(case: Case) -> None:
    if case.status in CLOSED:
        raise CaseActionError(both("err_case_closed", number=case.number, status=case.status))


async def take(session: AsyncSession, services: Services, number: str, staff: Staff, now: datetime) -> Case:
    """Take an unassigned case; the first taker becomes owner of record (首问负责). Exactly one of two racing takers wins."""
    case = await _case(session, number)
    _open(case)
    result = await session.execute(
        update(Case)
        .where(Case.id == case.id, Case.assignee_id.is_(None), Case.status.not_in(CLOSED))
        .values(
            assignee_id=staff.id,
            owner_id=Case.owner_id if case.owner_id else staff.id,
            status="assigned",
            first_response_at=case.first_response_at or now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(case)
    if affected(result) != 1:
        holder = await session.get(Staff, case.assignee_id) if case.assignee_id else None
        raise CaseActionError(both("err_already_taken", number=case.number, holder=holder.name if holder else staff_text("someone_else")))
    if case.owner_id is None:
        case.owner_id = staff.id
    case.department = case.department or staff.department
    sla.schedule(services, case)
    await _act(session, services, case, staff, "taken", now)
    return case


def _require_assignee(case: Case, staff: Staff) -> None:
    if case.assignee_id != staff.id and staff.role == "staff":
        raise CaseActionError(both("err_not_assignee", number=case.number))


def staff_label(staff: Staff) -> str:
    """How staff replies are signed to citizens: the configured title, else the name."""
    return staff.title or staff.name


async def reply(session: AsyncSession, services: Services, number: str, staff: Staff, text: str, now: datetime) -> Case:
    """Send the citizen a message from staff, attributed by title or name."""
    case = await _case(session, number)
    _open(case)
    if case.assignee_id is None:
        case = await take(session, services, number, staff, now)
    _require_assignee(case, staff)
    if not text.strip():
        raise CaseActionError(both("err_empty_reply"))
    if case.status in ("new", "assigned"):
        case.status = "in_progress"
    case.first_response_at = case.first_response_at or now
    await notify_citizen(
        session,
        case,
        _both("staff_reply", who=staff_label(staff), text=text.strip()),
        kind=NoticeKind.STAFF_REPLY,
        now=now,
        author=staff.name,
        key=f"{now.timestamp()}",
        speaker=staff_label(staff),
    )
    await _act(session, services, case, staff, "replied", now, text)
    return case


async def note(session: AsyncSession, services: Services, number: str, staff: Staff, text: str, now: datetime) -> Case:
    """Add an internal note that the citizen never sees."""
    case = await _case(session, number)
    if not text.strip():
        raise CaseActionError(both("err_empty_note"))
    await _act(session, services, case, staff, "note", now, text)
    return case


async def transfer(session: AsyncSession, services: Services, number: str, staff: Staff, target: str, reason: str, now: datetime) -> Case:
    """Hand a case to another staff member or a department, with a reason; the owner of record stays."""
    case = await _case(session, number)
    _open(case)
    if not reason.strip():
        raise CaseActionError(both("err_transfer_reason"))
    other = await session.scalar(select(Staff).where(Staff.name == target, Staff.active.is_(True)))
    if other is not None:
        case.assignee_id = other.id
        case.department = other.department or case.department
        case.status = "assigned"
        to = other.department or other.name
    else:
        case.assignee_id = None
        case.department = target
        case.status = "new"
        to = target
    sla.schedule(services, case)
    await _act(session, services, case, staff, "transferred", now, f"to {target}: {reason}")
    await notify_citizen(
        session,
        case,
        _both("case_transferred", number=case.number, to=to, reason=reason),
        kind=NoticeKind.CASE_UPDATE,
        now=now,
        author=staff.name,
        key=f"transfer:{now.timestamp()}",
    )
    return case


async def wait_for_citizen(session: AsyncSession, services: Services, number: str, staff: Staff, text: str, now: datetime) -> Case:
    """Ask the citizen for something and pause the deadline clock until they answer."""
    case = await _case(session, number)
    _open(case)
    _require_assignee(case, staff)
    if case.status == "waiting":
        raise CaseActionError(both("err_already_waiting", number=case.number))
    case.status = "waiting"
    case.paused_at = now
    sla.schedule(services, case)
    await _act(session, services, case, staff, "waiting", now, text)
    await notify_citizen(
        session,
        case,
        _both("case_waiting", number=case.number, text=text or "-"),
        kind=NoticeKind.CASE_UPDATE,
        now=now,
        author=staff.name,
        key=f"wait:{now.timestamp()}",
        speaker=staff_label(staff),
    )
    return case


async def resume_case(session: AsyncSession, services: Services, number: str, staff: Staff, now: datetime) -> Case:
    """Restart a waiting case's clock by hand."""
    case = await _case(session, number)
    if case.status != "waiting":
        raise CaseActionError(both("err_not_waiting", number=case.number))
    resume(services, case, now, actor=actor_name(staff), session=session)
    return case


async def resolve(session: AsyncSession, services: Services, number: str, staff: Staff, summary: str, now: datetime) -> Case:
    """Resolve a case with a summary the citizen is told."""
    case = await _case(session, number)
    _open(case)
    _require_assignee(case, staff)
    if not summary.strip():
        raise CaseActionError(both("err_resolution_needed"))
    await require_callback(session, case)
    if case.assignee_id is None:
        case.assignee_id = staff.id
        case.owner_id = case.owner_id or staff.id
    case.status = "resolved"
    case.resolution = summary.strip()
    case.resolved_at = now
    case.paused_at = None
    case.first_response_at = case.first_response_at or now
    sla.schedule(services, case)
    audit.record(session, case_id=case.id, actor=actor_name(staff), action="resolved", now=now, detail=summary)
    await notify_citizen(
        session,
        case,
        _both("case_resolved", number=case.number, summary=summary.strip()),
        kind=NoticeKind.CASE_UPDATE,
        now=now,
        author=staff.name,
        key=f"resolved:{now.timestamp()}",
    )
    await services.events.publish("case_resolved", session=session, services=services, case=case, now=now)
    return case


async def reopen(session: AsyncSession, services: Services, number: str, staff: Staff, reason: str, now: datetime) -> Case:
    """Reopen a resolved or closed case with a fresh deadline."""
    case = await _case(session, number)
    if case.status not in CLOSED:
        raise CaseActionError(both("err_still_open", number=case.number))
    if case.anonymised:
        raise CaseActionError(both("err_anonymised", number=case.number))
    case.status = "in_progress" if case.assignee_id else "new"
    case.resolved_at = None
    case.closed_at = None
    case.due_at = sla.deadline(services, case.type, now)
    case.alerts_raised = [level for level in case.alerts_raised or [] if level == "new_complaint"]
    sla.schedule(services, case)
    await _act(session, services, case, staff, "reopened", now, reason)
    due = case.due_at.astimezone(services.settings.tz).strftime("%Y-%m-%d")
    await notify_citizen(
        session,
        case,
        _both("case_reopened", number=case.number, due=due),
        kind=NoticeKind.CASE_UPDATE,
        now=now,
        author=staff.name,
        key=f"reopen:{now.timestamp()}",
    )
    return case


async def close(session: AsyncSession, number: str, actor: str, now: datetime, detail: str = "") -> Case:
    """Close a resolved case (after its follow-up, or by hand)."""
    case = await _case(session, number)
    if case.status != "resolved":
        raise CaseActionError(both("err_close_unresolved", number=case.number))
    await require_callback(session, case)
    case.status = "closed"
    case.closed_at = now
    case.next_alert_at = None
    audit.record(session, case_id=case.id, actor=actor, action="closed", now=now, detail=detail)
    return case


async def reveal(session: AsyncSession, number: str, staff: Staff, now: datetime) -> dict:
    """The case's personal data in full, for a staff member; the reading itself is audited."""
    case = await _case(session, number)
    attachments = list(await session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
    audit.record(
        session, case_id=case.id, actor=actor_name(staff), action="viewed_personal_data", now=now, detail="phone, description, attachments"
    )
    return {
        "number": case.number,
        "phone": case.phone,
        "phone_masked": mask_phone(case.phone),
        "description": case.description,
        "place": case.place,
        "attachments": [{"kind": a.kind, "ref": a.ref, "name": a.name} for a in attachments],
    }
