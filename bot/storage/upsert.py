"""Portable INSERT … ON CONFLICT for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.results import affected


def insert_for(session: AsyncSession, table: Any):
    """The dialect's own `insert` construct, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def insert_ignore(session: AsyncSession, table: Any, values: dict[str, Any], conflict: list[str]) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True when inserted."""
    # the Core table, not the ORM entity, and the values as parameters, not in the statement: the compiled
    # statement is then cached once per column set instead of rebuilt for every row
    statement = insert_for(session, getattr(table, "__table__", table)).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(statement, values)
    return bool(affected(result))
