"""The conversation of one case as staff read it: citizen, bot, staff, internal notes and system events, in order, masked."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.core.texts import staff_text
from bot.storage.models import AuditEvent, Case, ConversationMessage

FROM_DIRECTION = {"in": "citizen", "out": "bot", "staff": "staff"}
# what an audit line says in the conversation; "replied" is left out because the reply itself is a staff message
SYSTEM_ACTIONS = (
    "opened",
    "taken",
    "transferred",
    "waiting",
    "resumed",
    "resolved",
    "reopened",
    "closed",
    "merged",
    "viewed_personal_data",
    "flagged_for_reassignment",
    "rated",
    "survey_comment",
    "survey_unrated",
    "callback",
)  # each shown as the text `event_<action>`
_RANK = {"system-opened": 0, "citizen": 1, "bot": 2, "staff": 3, "note": 4, "system": 5}


_ACTORS = ("citizen", "system", "cli")
_TYPES = ("consultation", "complaint", "rectification")


def _actor(actor: str) -> str:
    return staff_text(f"actor_{actor}") if actor in _ACTORS else actor.removeprefix("staff:")


def _end(case: Case, now: datetime | None) -> datetime | None:
    return case.closed_at or case.resolved_at or now


async def case_conversation(session: AsyncSession, case: Case, tz: tzinfo, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """`[{at, from: citizen|bot|staff|note|system, author, text}]`, oldest first, personal data masked; notes are internal.

    The citizen's lines are those tied to the case, and those they exchanged with the bot while the case was open.
    """
    entries: list[tuple[datetime, int, int, dict[str, Any]]] = []
    if case.citizen_id is not None:
        window = ConversationMessage.created_at >= case.created_at
        end = _end(case, now)
        if end is not None:
            window = and_(window, ConversationMessage.created_at <= end)
        query = (
            select(ConversationMessage)
            .where(
                ConversationMessage.citizen_id == case.citizen_id,
                or_(ConversationMessage.case_id == case.id, and_(ConversationMessage.case_id.is_(None), window)),
            )
            .order_by(ConversationMessage.id)
        )
        for message in await session.scalars(query):
            source = FROM_DIRECTION.get(message.direction, "bot")
            author = message.author or staff_text({"citizen": "actor_citizen", "bot": "actor_bot"}.get(source, "actor_staff"))
            entries.append((message.created_at, _RANK[source], message.id, {"from": source, "author": author, "text": message.text}))
    audits = await session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    for event in audits:
        if event.action == "replied":
            continue
        if event.action == "note":
            entries.append(
                (event.created_at, _RANK["note"], event.id, {"from": "note", "author": _actor(event.actor), "text": event.detail})
            )
            continue
        label = staff_text(f"event_{event.action}") if event.action in SYSTEM_ACTIONS else event.action
        detail = event.detail
        if event.action == "opened":
            kind, _, rest = detail.partition(": ")
            kind_name = staff_text(f"type_{kind}") if kind in _TYPES else kind
            detail = f"{kind_name}：{rest}" if rest else kind_name
        text = f"{label}：{detail}" if detail else label
        rank = _RANK["system-opened"] if event.action == "opened" else _RANK["system"]
        entries.append((event.created_at, rank, event.id, {"from": "system", "author": _actor(event.actor), "text": text}))
    entries.sort(key=lambda item: (item[0], item[1], item[2]))
    return [{"at": at.astimezone(tz).isoformat(), **entry, "text": mask_text(entry["text"])} for at, _, _, entry in entries]
