"""SQLite on the event loop: another process's write lock delays a turn but never freezes the bot."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy.engine import make_url

from bot.app import App
from tests.conftest import Citizen


@pytest.fixture
def sqlite_app(settings_factory, clock, database_url):
    """An App on the SQLite backend only (the lock wait is SQLite's concern)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    return App(settings_factory(), clock)


async def test_a_held_write_lock_delays_the_turn_while_other_work_goes_on(sqlite_app, database_url):
    path = make_url(database_url).database
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # e.g. a staff CLI command in the middle of its transaction
    try:
        turn = asyncio.create_task(Citizen(sqlite_app, "lock-wait").say("健康证怎么办"))
        ticks = 0
        for _ in range(200):  # the event loop keeps running other tasks while the turn waits
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 200 and not turn.done()
        other_process.commit()
        replies = await asyncio.wait_for(turn, 10)
        assert any("健康证" in text for text in replies)
    finally:
        other_process.close()
        await sqlite_app.close()
