"""Handoff to a person (转人工): a ZX case in the staff queue, and the citizen told roughly when."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.core.workdays import next_opening
from bot.office.cases import add_citizen_message, open_case
from bot.storage.models import Case
from handlers.greeting import menu

LIVE_STATUSES = ("new", "assigned", "in_progress", "waiting")


async def live_case(turn: Turn) -> Case | None:
    """The case this conversation is currently relayed to staff for, if still open.

    A handoff (ZX) is live from the moment it is queued; any case is live once a staff member has written
    to the citizen on it (a reply or a waiting question), until it is resolved or the citizen leaves.
    """
    number = turn.state.get("live_case")
    if not number:
        return None
    case = await turn.session.scalar(select(Case).where(Case.number == number))
    with_staff = bool(turn.state.get("with_staff")) or (case is not None and case.status == "waiting")
    if case is not None and case.type != "consultation" and not with_staff:
        case = None
    if case is None or case.status not in LIVE_STATUSES or case.citizen_id != turn.citizen.id:
        for key in ("live_case", "with_staff", "acknowledged"):
            turn.state.pop(key, None)
        return None
    return case


def with_staff(turn: Turn) -> bool:
    """True once a staff member has written to the citizen on the live case."""
    return bool(turn.state.get("with_staff"))


async def leave(turn: Turn, case: Case) -> list[Reply]:
    """The citizen goes back to the bot; the case stays open for staff, who can still write to them."""
    for key in ("live_case", "with_staff", "acknowledged", "speaker"):
        turn.state.pop(key, None)
    return [turn.reply("left_staff", number=case.number), menu(turn)]


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


async def relay(turn: Turn, case: Case, *, quiet: bool = False) -> list[Reply]:
    """Pass what the citizen wrote to the staff handling their case; say so once (or when it answered a waiting question)."""
    text = turn.text or " ".join(f"[{a.kind}]" for a in turn.inbound.attachments)
    turn.case_id = case.id
    answered_waiting = case.status == "waiting"
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
    if answered_waiting:
        return [turn.reply("waiting_answer_passed", number=case.number)]
    if quiet or turn.state.get("acknowledged"):
        return []
    turn.state["acknowledged"] = True
    return [turn.reply("handoff_waiting_hint")]
