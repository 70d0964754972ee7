"""SLA sweep benchmark: one sweep over 1,000 and 100,000 open cases on SQLite and PostgreSQL.

Each database holds the open cases plus a fixed number whose reminder (提醒) or overdue (催办) time has
passed; the sweep must raise each of those alerts once, take under 1 s at 100,000 cases, and cost about
the same whatever the number of cases that need nothing. A second sweep must raise nothing.
Run: `python bench/sla_sweep.py` (PostgreSQL too when CONSULT_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.office import sla  # noqa: E402
from bot.storage.migrate import upgrade_async  # noqa: E402
from bot.storage.models import Case, OutboxMessage, Staff  # noqa: E402

NOW = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # Wed 10:00 in Shanghai


class Clock:
    """A fixed clock."""

    def now(self) -> datetime:
        """The benchmark's moment."""
        return NOW


async def fill(app: App, open_cases: int, needing: int) -> None:
    """Insert staff and cases: `needing` of them overdue or due today, the rest comfortably in time."""
    async with app.sessions() as session, session.begin():
        session.add_all(
            [
                Staff(id=1, name="承办人", role="staff", created_at=NOW, active=True),
                Staff(id=2, name="科长", role="supervisor", created_at=NOW, active=True),
                Staff(id=3, name="局长", role="leader", created_at=NOW, active=True),
            ]
        )
    rows = []
    for i in range(open_cases):
        late = i < needing
        due = NOW - timedelta(hours=2) if late else NOW + timedelta(days=10 + i % 5)
        rows.append(
            dict(
                number=f"TS-20261201-{i:06d}",
                type="complaint",
                status="assigned",
                citizen_id=None,
                channel="console",
                lang="zh",
                summary="投诉",
                description="投诉",
                assignee_id=1,
                owner_id=1,
                created_at=NOW - timedelta(days=12),
                due_at=due,
                next_alert_at=due - timedelta(hours=10) if not late else NOW - timedelta(hours=1),
                alerts_raised=[],
                anonymised=False,
            )
        )
    async with app.sessions() as session, session.begin():
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Case), rows[start : start + 5000])


async def one_run(url: str, open_cases: int, needing: int) -> tuple[float, int, float, int]:
    """Sweep twice; return (first sweep seconds, alerts queued, second sweep seconds, alerts queued)."""
    await upgrade_async(url)
    app = App(Settings(_env_file=None, database_url=url), Clock())
    await fill(app, open_cases, needing)
    async with app.sessions() as session:  # warm the connection pool, as a running bot's is
        await session.execute(text("SELECT count(*) FROM staff"))
    results = []
    for _ in range(2):
        start = time.perf_counter()
        async with app.sessions() as session, session.begin():
            queued = await sla.sweep(session, app.services, NOW)
        results += [time.perf_counter() - start, queued]
    async with app.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert rows == results[1], "every alert exactly once"
    await app.close()
    return tuple(results)


async def postgres_database(base_url: str) -> tuple[str, callable]:
    """A scratch PostgreSQL database and its dropper."""
    name = f"bench_sla_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE DATABASE {name}"))

    async def drop() -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()

    return base_url.rsplit("/", 1)[0] + "/" + name, drop


async def main() -> None:
    """Run every scenario on each backend and print one table."""
    scenarios = [(1_000, 100), (100_000, 100), (100_000, 1_000)]
    backends = ["sqlite"] + (["postgres"] if os.environ.get("CONSULT_TEST_POSTGRES_URL") else [])
    print("SLA sweep benchmark: seconds per sweep (alerts raised)")
    print(
        f"{'backend':<10}{'open cases':>12}{'needing alert':>15}{'1st sweep':>12}{'alerts':>8}{'2nd sweep':>12}{'alerts':>8}{'per alert':>12}"
    )
    for backend in backends:
        for open_cases, needing in scenarios:
            if backend == "sqlite":
                folder = tempfile.mkdtemp()
                url, drop = f"sqlite+aiosqlite:///{folder}/sla.db", None
            else:
                url, drop = await postgres_database(os.environ["CONSULT_TEST_POSTGRES_URL"])
            first, queued, second, again = await one_run(url, open_cases, needing)
            print(
                f"{backend:<10}{open_cases:>12,}{needing:>15,}{first:>12.3f}{queued:>8}{second:>12.3f}{again:>8}{first / max(queued, 1) * 1000:>10.2f}ms"
            )
            if drop:
                await drop()
    if "postgres" not in backends:
        print("(set CONSULT_TEST_POSTGRES_URL to include PostgreSQL)")
    print("target: under 1 s at 100,000 cases on each backend; cost follows the alerts raised, not the open cases")


if __name__ == "__main__":
    asyncio.run(main())
