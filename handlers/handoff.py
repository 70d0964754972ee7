"""Handoff to a person (转人工): a ZX case in the staff queue, and the citizen told roughly when."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.core.workdays import next_opening
from bot.office.cases import add_citizen_message, open_case
from bot.storage.models import Case

LIVE_STATUSES = ("new", "assigned", "in_progress", "waiting")


async def live_case(turn: Turn) -> Case | None:
    """The case this conversation is currently relayed to staff for, if still open."""
    number = turn.state.get("live_case")
    if not number:
        return None
    case = await turn.session.scalar(select(Case).where(Case.number == number))
    if case is not None and case.type != "consultation" and case.status != "waiting":
        case = None  # complaints are relayed only while staff wait for the citizen's answer
    if case is None or case.status not in LIVE_STATUSES or case.citizen_id != turn.citizen.id:
        turn.state.pop("live_case", None)
        return None
    return case


async def start(turn: Turn, *, automatic: bool = False, question: str = "") -> list[Reply]:
    """Open (or reuse) a consultation case and queue the citizen for staff."""
    case = await live_case(turn)
    if case is None:
        summary = question or turn.text or turn.t("handoff_summary")
        case = await open_case(
            turn.session, turn.services, case_type="consultation", citizen=turn.citizen, now=turn.now, description=summary
        )
        turn.state = {"live_case": case.number}
    turn.citizen.unknown_streak = 0
    settings = turn.services.settings
    opening, closing = settings.office_window
    next_open = next_opening(turn.now, turn.services.calendar, settings.tz, opening, closing)
    replies = [turn.reply("handoff_auto")] if automatic else []
    if next_open is None:
        replies.append(turn.reply("handoff_open", number=case.number, minutes=settings.handoff_alert_minutes))
    else:
        replies.append(turn.reply("handoff_closed_hours", number=case.number, opening=next_open.strftime("%Y-%m-%d %H:%M")))
    return replies


async def relay(turn: Turn, case: Case) -> list[Reply]:
    """Pass what the citizen wrote to the staff handling their case."""
    text = turn.text or " ".join(f"[{a.kind}]" for a in turn.inbound.attachments)
    turn.case_id = case.id
    await add_citizen_message(turn.session, turn.services, case, turn.now)
    await turn.services.events.publish(
        "citizen_message",
        session=turn.session,
        services=turn.services,
        case=case,
        citizen=turn.citizen,
        text=text,
        attachments=turn.inbound.attachments,
        now=turn.now,
    )
    return [] if case.assignee_id else [turn.reply("handoff_ack")]
