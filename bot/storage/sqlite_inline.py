"""An aiosqlite-shaped SQLite connection that runs statements on the event loop and waits for locks with asyncio.

Why not aiosqlite's worker thread: in WAL mode with synchronous=NORMAL a statement takes microseconds, while
handing each call to a thread and back costs far more (a quarter of a conversation turn's CPU, measured in
bench/telegram_load.py). The one call that can take long is waiting for another process's write lock; here
SQLite's own busy handler is off and that wait is an asyncio.sleep loop, so it never blocks the event loop.
Long statements (a report over every case) do run on the loop; the bot only issues short ones.
SQLAlchemy's aiosqlite dialect drives this object through `async_creator` exactly as it drives aiosqlite.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
FIRST_WAIT_SECONDS = 0.001
LONGEST_WAIT_SECONDS = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in str(error)


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses directly to set `isolation_level`."""

    def put_nowait(self, item: tuple[asyncio.Future, Callable[[], Any]]) -> None:
        """Run the request now and settle its future."""
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineCursor:
    """The cursor half of the aiosqlite interface, over a plain sqlite3 cursor."""

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        """Run one statement, waiting (asynchronously) while another connection holds the lock."""
        await self._connection.retry_busy(self._cursor.execute, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        """Run one statement for each parameter set."""
        await self._connection.retry_busy(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to `size` more rows."""
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        """All remaining rows."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Release the cursor."""
        self._cursor.close()

    @property
    def description(self) -> Any:
        """Column descriptions of the last query."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """Row id of the last inserted row."""
        return self._cursor.lastrowid


class InlineConnection:
    """The connection half of the aiosqlite interface that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection, lock_wait_seconds: float) -> None:
        self._conn = connection
        self._tx = _ImmediateQueue()
        self._lock_wait_seconds = lock_wait_seconds

    async def retry_busy(self, function: Callable[..., T], *args: Any) -> T:
        """Call `function`; while SQLite answers "busy", sleep with backoff and try again, up to the lock wait."""
        deadline = None
        wait = FIRST_WAIT_SECONDS
        while True:
            try:
                return function(*args)
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                now = time.monotonic()
                deadline = deadline or now + self._lock_wait_seconds
                if now >= deadline:
                    raise
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_SECONDS)

    @property
    def isolation_level(self) -> str | None:
        """sqlite3's transaction mode (None: the bot issues BEGIN itself)."""
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        """True inside an open transaction."""
        return self._conn.in_transaction

    async def cursor(self) -> InlineCursor:
        """A new cursor."""
        return InlineCursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        """Run one statement on a new cursor."""
        cursor = await self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        """Commit the open transaction."""
        await self.retry_busy(self._conn.commit)

    async def rollback(self) -> None:
        """Roll the open transaction back."""
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """Register an SQL function (SQLAlchemy adds REGEXP)."""
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self._conn.close()

    def stop(self) -> None:
        """Close without awaiting (SQLAlchemy's forced termination)."""
        self._conn.close()


async def connect(database: str, lock_wait_seconds: float) -> InlineConnection:
    """Open `database` with SQLite's own busy handler off: lock waits are asynchronous, in InlineConnection."""
    connection = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False)
    return InlineConnection(connection, lock_wait_seconds)
