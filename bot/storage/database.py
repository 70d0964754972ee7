"""Database engine and sessions: SQLite (WAL, foreign keys, asynchronous lock waits) or PostgreSQL via asyncpg."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.storage import sqlite_inline

SQLITE_LOCK_WAIT_S = 30
SQLITE_POOL_TIMEOUT_S = 30


def is_sqlite(url: str) -> bool:
    """True when the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_folder(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine with the per-backend settings the bot relies on."""
    if not is_sqlite(url):
        return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
    _ensure_sqlite_folder(url)
    database = make_url(url).database or ":memory:"

    async def connect() -> sqlite_inline.InlineConnection:
        return await sqlite_inline.connect(database, SQLITE_LOCK_WAIT_S)

    # SQLite has one writer: a single pooled connection makes transactions queue on an asyncio wait (woken the
    # moment the previous one commits) instead of on SQLite's busy handler, which sleeps in steps of up to 100 ms
    engine = create_async_engine(
        url,
        echo=echo,
        async_creator=connect,
        pool_size=1,
        max_overflow=0,
        pool_timeout=SQLITE_POOL_TIMEOUT_S,
    )
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver callback
        # pysqlite's own transaction handling defers BEGIN; we issue BEGIN IMMEDIATE ourselves so that
        # two writers queue on the (asynchronous) lock wait instead of failing on a read-to-write upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=0")  # lock waits are asyncio sleeps in sqlite_inline, never a blocked loop
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection) -> None:  # pragma: no cover - driver callback
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
