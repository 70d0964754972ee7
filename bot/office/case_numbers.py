"""Case numbers `<TYPE>-<YYYYMMDD>-<NNNN>`, unique under concurrency via an upserted daily counter."""

from __future__ import annotations

from datetime import datetime

from bot.storage.models import CaseCounter
from bot.storage.upsert import insert_for

PREFIXES = {"consultation": "ZX", "complaint": "TS", "rectification": "ZG"}


async def next_number(session, case_type: str, local_now: datetime) -> str:
    """Reserve the next number for this case type on the local day (atomic on SQLite and PostgreSQL)."""
    prefix = PREFIXES[case_type]
    day = local_now.strftime("%Y%m%d")
    statement = insert_for(session, CaseCounter).values(prefix=prefix, day=day, last=1)
    statement = statement.on_conflict_do_update(index_elements=["prefix", "day"], set_={"last": CaseCounter.last + 1}).returning(
        CaseCounter.last
    )
    sequence = (await session.execute(statement)).scalar_one()
    return f"{prefix}-{day}-{sequence:04d}"
