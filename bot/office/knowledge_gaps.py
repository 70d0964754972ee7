"""Knowledge gaps: questions the bot could not answer confidently, kept (masked, grouped, counted) for the office.

A clerk attaches a gap to a procedure as an example question (written into that procedure's YAML `questions:` list,
validated, the knowledge base reloaded, audited) or marks it out of scope. Gaps are not linked to any citizen.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_question
from bot.office import audit
from bot.storage.gap_models import KnowledgeGap, KnowledgeGapDay
from bot.storage.upsert import insert_ignore
from knowledge.base import KnowledgeStore
from knowledge.editing import add_question, procedure_file
from knowledge.loader import load_file
from knowledge.text import normalize

MAX_TEXT = 500
_PUNCTUATION = re.compile(r"[\W_]+")


class GapError(Exception):
    """A gap action that cannot be done (unknown gap or procedure, already handled, or an edit the checker refuses)."""


def group_key(text: str) -> str:
    """The wording a gap is grouped by: masked, normalised (case, width, traditional characters), without punctuation or spaces."""
    return _PUNCTUATION.sub("", normalize(mask_question(text)))[:200]


async def note(session: AsyncSession, text: str, lang: str, now: datetime, day: date, guess: str | None = None) -> None:
    """Count one unanswered question asked at `now` (office date `day`): a new row for a new wording, else one more on it."""
    key = group_key(text)
    if not key:
        return
    values = {
        "key": key,
        "text": mask_question(" ".join(text.split()))[:MAX_TEXT],
        "lang": lang,
        "count": 1,
        "guess": guess,
        "status": "open",
        "first_seen": now,
        "last_seen": now,
    }
    if not await insert_ignore(session, KnowledgeGap, values, ["key"]):
        await session.execute(
            update(KnowledgeGap).where(KnowledgeGap.key == key).values(count=KnowledgeGap.count + 1, last_seen=now, guess=guess)
        )
    gap_id = await session.scalar(select(KnowledgeGap.id).where(KnowledgeGap.key == key))
    if gap_id is not None and not await insert_ignore(
        session, KnowledgeGapDay, {"gap_id": gap_id, "day": day, "count": 1}, ["gap_id", "day"]
    ):
        where = (KnowledgeGapDay.gap_id == gap_id, KnowledgeGapDay.day == day)
        await session.execute(update(KnowledgeGapDay).where(*where).values(count=KnowledgeGapDay.count + 1))


async def asked_most(session: AsyncSession, start: date, end: date, limit: int) -> list[dict[str, object]]:
    """The missed questions asked most often on office days [start, end]: masked text, times asked in the period, status."""
    asked = func.sum(KnowledgeGapDay.count).label("asked")
    query = (
        select(KnowledgeGap.text, KnowledgeGap.status, asked)
        .join(KnowledgeGapDay, KnowledgeGapDay.gap_id == KnowledgeGap.id)
        .where(KnowledgeGapDay.day >= start, KnowledgeGapDay.day <= end)
        .group_by(KnowledgeGap.id, KnowledgeGap.text, KnowledgeGap.status)
        .order_by(asked.desc(), KnowledgeGap.id)
        .limit(limit)
    )
    return [{"text": row.text, "count": int(row.asked), "status": row.status} for row in await session.execute(query)]


async def listing(
    session: AsyncSession,
    since: datetime | None = None,
    *,
    include_resolved: bool = False,
    until: datetime | None = None,
    order: str = "count",
    limit: int | None = None,
) -> list[KnowledgeGap]:
    """Gaps last seen in [since, until) (unbounded when None), most asked first (`order="recent"`: newest first); open ones only unless `include_resolved`."""
    query = select(KnowledgeGap)
    if since is not None:
        query = query.where(KnowledgeGap.last_seen >= since)
    if until is not None:
        query = query.where(KnowledgeGap.last_seen < until)
    if not include_resolved:
        query = query.where(KnowledgeGap.status == "open")
    if order == "recent":
        query = query.order_by(KnowledgeGap.last_seen.desc(), KnowledgeGap.count.desc(), KnowledgeGap.id)
    else:
        query = query.order_by(KnowledgeGap.count.desc(), KnowledgeGap.last_seen.desc(), KnowledgeGap.id)
    rows = await session.scalars(query.limit(limit) if limit is not None else query)
    return list(rows)


async def _open_gap(session: AsyncSession, gap_id: int) -> KnowledgeGap:
    gap = await session.get(KnowledgeGap, gap_id)
    if gap is None:
        raise GapError(f"no knowledge gap {gap_id}")
    if gap.status != "open":
        raise GapError(f"knowledge gap {gap_id} is already {gap.status}")
    return gap


def _write_question(knowledge_dir: Path, procedure_id: str, question: str, lang: str) -> None:
    """Add the example question to the procedure's file; put the file back as it was if the result does not load."""
    path = procedure_file(knowledge_dir, procedure_id)
    if path is None:
        raise GapError(f"no file defines procedure {procedure_id}")
    before = path.read_text(encoding="utf-8")
    if question in before:
        return  # already an example (or otherwise written there): nothing to add
    try:
        after = add_question(before, question, lang)
    except ValueError as exc:
        raise GapError(f"{path.name}: {exc}") from None
    path.write_text(after, encoding="utf-8")
    procedure, errors = load_file(path, path.name)
    if errors or procedure is None or procedure.id != procedure_id:
        path.write_text(before, encoding="utf-8")
        raise GapError("; ".join(errors) or f"{path.name}: the edited file no longer defines {procedure_id}")


async def attach(
    session: AsyncSession, store: KnowledgeStore, gap_id: int, procedure_id: str, *, actor: str, now: datetime
) -> KnowledgeGap:
    """Teach the bot a missed question: add it to the procedure's example questions, reload, audit, close the gap."""
    gap = await _open_gap(session, gap_id)
    if store.current.get(procedure_id) is None:
        raise GapError(f"no procedure {procedure_id}")
    await asyncio.to_thread(_write_question, store.folder, procedure_id, gap.text, gap.lang)
    if not await asyncio.to_thread(store.reload):
        raise GapError("the knowledge base did not reload: " + "; ".join(store.errors[:3]))
    gap.status, gap.procedure_id, gap.resolved_by, gap.resolved_at = "attached", procedure_id, actor, now
    audit.record(session, case_id=None, actor=actor, action="knowledge_gap_attached", now=now, detail=f"{procedure_id}: {gap.text}")
    return gap


async def mark_out_of_scope(session: AsyncSession, gap_id: int, *, actor: str, now: datetime) -> KnowledgeGap:
    """Close a gap as another office's topic (or chit-chat): nothing to teach."""
    gap = await _open_gap(session, gap_id)
    gap.status, gap.resolved_by, gap.resolved_at = "out_of_scope", actor, now
    audit.record(session, case_id=None, actor=actor, action="knowledge_gap_out_of_scope", now=now, detail=gap.text)
    return gap
