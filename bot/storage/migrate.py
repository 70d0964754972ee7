"""Apply Alembic migrations to the configured database (`python -m bot db upgrade`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for a database without our schema (blocking)."""
    found: list[str | None] = []

    def read(rev, context):  # alembic's stamp-less inspection: record, change nothing
        found.append(context.get_current_revision())
        return []

    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    with EnvironmentContext(config, script, fn=read):
        script.run_env()
    return found[0] if found else None


def upgrade(database_url: str, revision: str = "heads") -> tuple[str | None, str | None]:
    """Bring the database schema up to `revision` (blocking; runs its own event loop); returns (before, after)."""
    before = current_revision(database_url)
    command.upgrade(alembic_config(database_url), revision)
    return before, current_revision(database_url)


async def upgrade_async(database_url: str, revision: str = "heads") -> None:
    """Same as `upgrade`, from inside a running event loop (in a worker thread)."""
    await asyncio.to_thread(upgrade, database_url, revision)
