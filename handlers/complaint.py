"""Complaint intake: what happened, where, an optional call-back number, confirm — then a TS case with its deadline."""

from __future__ import annotations

import re

from bot.core.masking import mask_phone, parse_mobile
from bot.core.messages import Attachment, Reply
from bot.core.turn import Turn
from bot.office.cases import open_case
from handlers.words import is_cancel, is_skip, is_yes
from knowledge.text import normalize

MAX_ATTACHMENTS = 10
_TRIGGER = re.compile(
    r"^(我|本人)?(要|想|需要)?(投诉|举报)(一下)?|^i (want|would like|need) to (make a )?(complain|complaint)( about)?|^complaint:?",
    re.IGNORECASE,
)


def describes_something(text: str) -> bool:
    """True when the message says what happened, beyond 'I want to complain'."""
    rest = _TRIGGER.sub("", normalize(text)).strip(" ,，.。:：!！")
    return len(rest) >= 6


def _draft(turn: Turn) -> dict:
    return turn.state.setdefault("draft", {"what": None, "where": None, "phone": None, "files": []})


async def start(turn: Turn) -> list[Reply]:
    """Begin intake; skip the first question when the message already describes the problem."""
    turn.state = {"flow": "complaint", "step": "what", "draft": {"what": None, "where": None, "phone": None, "files": []}}
    replies: list[Reply] = []
    if turn.inbound.kind == "text" and describes_something(turn.text):
        replies += _take_description(turn, turn.text)
        turn.state["step"] = "where"
        return replies + [turn.reply("complaint_ask_where")]
    return [turn.reply("complaint_ask_what")]


def _take_description(turn: Turn, text: str) -> list[Reply]:
    limit = turn.services.settings.complaint_max_chars
    text = text.strip()
    _draft(turn)["what"] = text[:limit]
    if len(text) > limit:
        return [turn.reply("complaint_too_long", total=len(text), limit=limit, rest=len(text) - limit)]
    return []


def _summary(turn: Turn) -> Reply:
    draft = _draft(turn)
    none = turn.t("not_given")
    text = turn.t(
        "complaint_summary",
        what=draft["what"],
        where=draft["where"] or none,
        phone=mask_phone(draft["phone"]) or none,
        files=len(draft["files"]),
    )
    return Reply(text, (turn.choice("confirm", "c:yes"), turn.choice("edit", "c:edit"), turn.choice("cancel", "c:cancel")))


def add_attachments(turn: Turn) -> list[Reply]:
    """Keep photos or files sent during intake as evidence."""
    files = _draft(turn)["files"]
    for item in turn.inbound.attachments:
        if len(files) >= MAX_ATTACHMENTS:
            return [turn.reply("attachment_limit", limit=MAX_ATTACHMENTS)]
        files.append([item.kind, item.ref, item.name])
    reply = [turn.reply("attachment_saved", count=len(files))]
    if turn.state.get("step") == "confirm":
        reply.append(_summary(turn))
    return reply


async def _submit(turn: Turn) -> list[Reply]:
    draft = _draft(turn)
    attachments = tuple(Attachment(kind, ref, name) for kind, ref, name in draft["files"])
    if draft["phone"]:
        turn.citizen.phone = draft["phone"]
    case = await open_case(
        turn.session,
        turn.services,
        case_type="complaint",
        citizen=turn.citizen,
        now=turn.now,
        description=draft["what"],
        place=draft["where"],
        phone=draft["phone"],
        attachments=attachments,
    )
    turn.state = {}
    days = turn.services.settings.deadline_days("complaint")
    due = case.due_at.astimezone(turn.services.settings.tz).strftime("%Y-%m-%d")
    return [turn.reply("complaint_filed", number=case.number, days=days, due=due)]


async def step(turn: Turn) -> list[Reply]:
    """Continue intake with the citizen's answer to the current question."""
    current = turn.state.get("step", "what")
    if turn.inbound.kind == "attachment":
        return add_attachments(turn)
    answer = turn.inbound.choice or turn.text
    if turn.inbound.choice == "c:cancel" or is_cancel(answer):
        turn.state = {}
        return [turn.reply("complaint_cancelled")]
    if current == "what":
        if not normalize(answer):
            return [turn.reply("complaint_empty")]
        replies = _take_description(turn, answer)
        turn.state["step"] = "where"
        return replies + [turn.reply("complaint_ask_where")]
    if current == "where":
        _draft(turn)["where"] = None if is_skip(answer) else answer.strip()[:200]
        turn.state["step"] = "phone"
        return [turn.reply("complaint_ask_phone")]
    if current == "phone":
        if not is_skip(answer):
            phone = parse_mobile(answer)
            if phone is None:
                return [turn.reply("complaint_bad_phone")]
            _draft(turn)["phone"] = phone
        turn.state["step"] = "confirm"
        return [_summary(turn)]
    if turn.inbound.choice == "c:yes" or is_yes(answer):
        return await _submit(turn)
    if turn.inbound.choice == "c:edit":
        return await start(turn)
    return [_summary(turn)]
