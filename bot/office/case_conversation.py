"""The conversation of one case as staff read it: citizen, bot, staff, internal notes and system events, in order, masked."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.storage.models import AuditEvent, Case, ConversationMessage

FROM_DIRECTION = {"in": "citizen", "out": "bot", "staff": "staff"}
# what an audit line says in the conversation; "replied" is left out because the reply itself is a staff message
SYSTEM_ACTIONS = {
    "opened": "登记",
    "taken": "接手",
    "transferred": "转办",
    "waiting": "等待市民补充",
    "resumed": "恢复计时",
    "resolved": "办结",
    "reopened": "重开",
    "closed": "关闭",
    "merged": "合并",
    "viewed_personal_data": "查看完整信息",
    "flagged_for_reassignment": "待重新分配",
    "rated": "市民评价",
    "survey_comment": "评价意见",
    "survey_unrated": "回访未评价",
    "callback": "回访",
}
_RANK = {"system-opened": 0, "citizen": 1, "bot": 2, "staff": 3, "note": 4, "system": 5}


_ACTORS = {"citizen": "市民", "system": "系统", "cli": "命令行"}
_TYPES = {"consultation": "咨询", "complaint": "投诉", "rectification": "整改"}


def _actor(actor: str) -> str:
    return _ACTORS.get(actor, actor.removeprefix("staff:"))


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
            author = message.author or ("市民" if source == "citizen" else "咨询台" if source == "bot" else "工作人员")
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
        label = SYSTEM_ACTIONS.get(event.action, event.action)
        detail = event.detail
        if event.action == "opened":
            kind, _, rest = detail.partition(": ")
            detail = f"{_TYPES.get(kind, kind)}：{rest}" if rest else _TYPES.get(kind, kind)
        text = f"{label}：{detail}" if detail else label
        rank = _RANK["system-opened"] if event.action == "opened" else _RANK["system"]
        entries.append((event.created_at, rank, event.id, {"from": "system", "author": _actor(event.actor), "text": text}))
    entries.sort(key=lambda item: (item[0], item[1], item[2]))
    return [{"at": at.astimezone(tz).isoformat(), **entry, "text": mask_text(entry["text"])} for at, _, _, entry in entries]
