"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when configured), an app with a fake clock."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App
from bot.config import Settings
from bot.core.messages import Inbound
from bot.storage.migrate import upgrade
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingChannel
from tests.telegram_fixtures import api, world

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTGRES_URL = os.environ.get("CONSULT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def local(*args: int) -> datetime:
    """An aware Asia/Shanghai datetime, e.g. local(2026, 12, 1, 10, 0)."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(sql))
    await engine.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> str | None:
    """A migrated PostgreSQL template database, cloned for every test."""
    if not POSTGRES_URL:
        return None
    name = f"consult_tpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    upgrade(f"{base}/{name}")
    yield name
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, sqlite_template) -> str:
    """A fresh, migrated database for one test, on each backend under test."""
    if request.param == "sqlite":
        path = tmp_path / "consult.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    template = request.getfixturevalue("postgres_template")
    name = f"consult_t_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    request.addfinalizer(lambda: asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
    return f"{base}/{name}"


@pytest.fixture
def clock() -> FakeClock:
    """Tuesday 2026-12-01 10:00 in Shanghai, office hours."""
    return FakeClock(local(2026, 12, 1, 10, 0))


@pytest.fixture
def settings_factory(database_url, tmp_path):
    """Build Settings for a test, with overrides; never reads the developer's .env."""

    def make(**overrides) -> Settings:
        values = dict(database_url=database_url, quiet_hours="21:00-08:00", office_hours="09:00-17:00", cache_dir=tmp_path / "cache")
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
async def app(settings_factory, clock):
    """A wired App on a fresh database, with a recording console channel."""
    application = App(settings_factory(), clock)
    application.add_channel(RecordingChannel("console"))
    yield application
    await application.close()


class Citizen:
    """A console citizen in a test transcript."""

    def __init__(self, app: App, user: str = "alice", channel: str = "console", lang: str | None = None) -> None:
        self.app = app
        self.user = user
        self.channel = channel
        self.lang = lang

    async def say(self, text: str = "", **fields) -> list[str]:
        """Send a message and return the bot's reply texts."""
        result = await self.app.engine.handle(Inbound(channel=self.channel, user_id=self.user, text=text, lang_hint=self.lang, **fields))
        return [r.text for r in result.replies]

    async def tap(self, value: str) -> list[str]:
        """Tap a choice by its value."""
        return await self.say(kind="choice", choice=value)

    async def replies(self, text: str = "", **fields):
        """Send a message and return the Reply objects (with choices)."""
        result = await self.app.engine.handle(Inbound(channel=self.channel, user_id=self.user, text=text, lang_hint=self.lang, **fields))
        return result.replies


@pytest.fixture
def citizen(app) -> Citizen:
    """The default console citizen."""
    return Citizen(app)
