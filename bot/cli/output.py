"""How cases look on the command line and in JSON: personal data masked, times in ISO 8601 with offset."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_phone, mask_text
from bot.office.audit import trail
from bot.office.case_conversation import case_conversation
from bot.storage.models import Attachment, Case, Staff


def _iso(moment, tz) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


async def _name(session: AsyncSession, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    staff = await session.get(Staff, staff_id)
    return staff.name if staff else None


async def case_record(session: AsyncSession, case: Case, tz, *, history: bool = False) -> dict[str, Any]:
    """A case as a JSON-able dict with personal data masked; with `history`, its audit trail too."""
    record: dict[str, Any] = {
        "number": case.number,
        "type": case.type,
        "status": case.status,
        "created_at": _iso(case.created_at, tz),
        "due_at": _iso(case.due_at, tz),
        "resolved_at": _iso(case.resolved_at, tz),
        "owner": await _name(session, case.owner_id),
        "assignee": await _name(session, case.assignee_id),
        "department": case.department,
        "summary": mask_text(case.summary),
        "phone": mask_phone(case.phone),
        "channel": case.channel,
        "anonymised": case.anonymised,
    }
    if history:
        record["description"] = mask_text(case.description)
        record["place"] = mask_text(case.place or "") or None
        record["resolution"] = mask_text(case.resolution) if case.resolution else None
        record["attachments"] = await session.scalar(select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id))
        record["history"] = [
            {"at": _iso(e.created_at, tz), "actor": e.actor, "action": e.action, "detail": mask_text(e.detail or "")}
            for e in await trail(session, case.id)
        ]
        record["messages"] = await case_conversation(session, case, tz)
    return record


def case_table(records: list[dict[str, Any]]) -> str:
    """Cases as an aligned text table."""
    columns = ("number", "type", "status", "due_at", "owner", "assignee", "department")
    rows = [[str(r.get(c) or "-") for c in columns] for r in records]
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
