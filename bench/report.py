"""Supervision benchmark: the dashboard's data and the 台账 xlsx over a year of 100,000 cases, beside a bare SELECT count(*) (the floor).

A year (2026) of cases: consultations, complaints and rectifications across six windows and thirty staff, most resolved,
a fifth surveyed (five levels, some appealed), bad reviews with rectifications and call-backs, and the citizens' conversations.
Targets: the dashboard (report.build for a month) under 500 ms; the ledger xlsx under 10 s.
Run: `python bench/report.py` (PostgreSQL too when CONSULT_TEST_POSTGRES_URL is set); `--cases N` for another size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.office import ledger, report  # noqa: E402
from bot.office.report import period_bounds  # noqa: E402
from bot.storage.migrate import upgrade_async  # noqa: E402
from bot.storage.models import Case, Citizen, ConversationMessage, Staff  # noqa: E402
from bot.storage.supervision_models import Callback  # noqa: E402
from bot.storage.survey_models import Survey  # noqa: E402

NOW = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
DEPARTMENTS = ("综合科", "审批科", "监督科", "疾控科", "妇幼科", "医政科")
LEVELS = ("very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied")
LEVEL_WEIGHTS = (50, 25, 12, 8, 5)
CHANNELS = ("wechat", "wechat", "wechat", "telegram", "phone", "walk_in", "hotline")


class Clock:
    """A fixed clock."""

    def now(self) -> datetime:
        """The benchmark's moment."""
        return NOW


async def fill(app: App, cases: int, seed: int = 7) -> None:
    """Staff, citizens, a year of cases with surveys, rectifications, call-backs and conversation lines."""
    rng = random.Random(seed)
    staff = [
        dict(
            id=i + 1,
            name=f"员工{i + 1:02d}",
            role="supervisor" if i < 6 else "staff",
            department=DEPARTMENTS[i % 6],
            created_at=NOW,
            active=True,
        )
        for i in range(30)
    ]
    citizens = [
        dict(
            id=i + 1,
            channel="wechat",
            external_id=f"o-{i}",
            lang="zh",
            notice_shown=True,
            state={},
            unknown_streak=0,
            unreachable=False,
            created_at=NOW,
            window_sends=0,
        )
        for i in range(cases // 4)
    ]
    span = (datetime(2026, 12, 31, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds()
    rows, surveys, callbacks, messages = [], [], [], []
    for i in range(cases):
        kind = rng.choices(("consultation", "complaint", "rectification"), (70, 25, 5))[0]
        created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.random() * span)
        due = created + timedelta(days={"consultation": 1, "complaint": 14, "rectification": 21}[kind])
        resolved = created + timedelta(hours=rng.expovariate(1 / (20 if kind == "consultation" else 150))) if rng.random() < 0.92 else None
        if resolved is not None and resolved > NOW:
            resolved = None
        assignee = rng.randrange(30) + 1
        rows.append(
            dict(
                id=i + 1,
                number=f"{ {'consultation': 'ZX', 'complaint': 'TS', 'rectification': 'ZG'}[kind] }-{created:%Y%m%d}-{i:06d}".replace(
                    " ", ""
                ),
                type=kind,
                status="closed" if resolved else "in_progress",
                citizen_id=(i % len(citizens)) + 1,
                channel=rng.choice(CHANNELS),
                lang="zh",
                summary=f"关于{DEPARTMENTS[i % 6]}的事项，联系电话1381234{i % 10000:04d}",
                description="",
                department=DEPARTMENTS[(assignee - 1) % 6],
                owner_id=assignee,
                assignee_id=assignee,
                resolution="已答复" if resolved else None,
                created_at=created,
                due_at=due,
                first_response_at=created + timedelta(minutes=rng.randrange(5, 600)),
                resolved_at=resolved,
                closed_at=resolved,
                alerts_raised=["reminder", "overdue"] if resolved is None or resolved > due else [],
                anonymised=False,
            )
        )
        if resolved is not None and rng.random() < 0.2:
            level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
            sent = resolved + timedelta(days=1)
            surveys.append(
                dict(
                    case_id=i + 1,
                    kind="followup",
                    citizen_id=rows[-1]["citizen_id"],
                    status="answered",
                    round=1,
                    rating=level,
                    appeal_status="upheld" if level in LEVELS[3:] and rng.random() < 0.1 else None,
                    created_at=sent,
                    due_at=sent,
                    sent_at=sent,
                    answered_at=sent,
                    expires_at=sent,
                )
            )
            if level in LEVELS[3:]:
                callbacks.append(
                    dict(
                        case_id=i + 1,
                        staff_id=1,
                        staff_name="员工01",
                        outcome=rng.choice(("reached", "reached", "unreached")),
                        note="电话回访",
                        created_at=sent + timedelta(days=2),
                    )
                )
        if i % 2 == 0:
            messages.append(
                dict(
                    citizen_id=rows[-1]["citizen_id"],
                    case_id=None,
                    direction="in",
                    text="办健康证要带什么",
                    created_at=created - timedelta(minutes=3),
                )
            )
            messages.append(
                dict(
                    citizen_id=rows[-1]["citizen_id"],
                    case_id=None,
                    direction="out",
                    text="【从业人员健康证明】一次性告知\n…",
                    created_at=created - timedelta(minutes=3),
                )
            )
    async with app.sessions() as session, session.begin():
        for table, values in (
            (Staff, staff),
            (Citizen, citizens),
            (Case, rows),
            (Survey, surveys),
            (Callback, callbacks),
            (ConversationMessage, messages),
        ):
            for start in range(0, len(values), 5000):
                await session.execute(insert(table), values[start : start + 5000])


async def timed(label: str, work) -> tuple[float, object]:
    """Best of three runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - start)
    return best, result


async def one_backend(url: str, cases: int) -> list[tuple[str, float, float, int]]:
    """(what, seconds, floor seconds, rows) for the dashboard and the ledger, a month and the year."""
    await upgrade_async(url)
    app = App(Settings(_env_file=None, database_url=url), Clock())
    started = time.perf_counter()
    await fill(app, cases)
    print(f"  filled {cases:,} cases in {time.perf_counter() - started:.1f}s")
    out = []
    try:
        for name, (first, last) in (("month", MONTH), ("year", YEAR)):
            begin, finish = period_bounds(first, last, app.settings.tz)

            async def floor(begin=begin, finish=finish):
                async with app.sessions() as session:
                    return await session.scalar(
                        select(func.count()).select_from(Case).where(Case.created_at >= begin, Case.created_at < finish)
                    )

            async def dashboard(first=first, last=last):
                async with app.sessions() as session:
                    return await report.build(session, app.services, first, last, NOW)

            async def workbook(first=first, last=last):
                async with app.sessions() as session:
                    table = await ledger.rows(session, app.services, first, last, NOW)
                return len(await asyncio.to_thread(ledger.workbook, table, first, last)), len(table)

            floor_s, count = await timed("floor", floor)
            dash_s, data = await timed("dashboard", dashboard)
            assert data["overall"]["opened"] == count
            start = time.perf_counter()
            (size, rows) = await workbook()
            ledger_s = time.perf_counter() - start
            out.append((f"dashboard ({name})", dash_s, floor_s, count))
            out.append((f"ledger xlsx ({name}, {size / 1e6:.1f} MB)", ledger_s, floor_s, rows))
    finally:
        await app.close()
    return out


async def postgres_database(base_url: str) -> tuple[str, object]:
    """A scratch PostgreSQL database and its dropper."""
    name = f"bench_report_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE DATABASE {name}"))

    async def drop() -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()

    return base_url.rsplit("/", 1)[0] + "/" + name, drop


async def main() -> None:
    """Run on each backend and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgres"] if os.environ.get("CONSULT_TEST_POSTGRES_URL") else [])
    results = []
    for backend in backends:
        print(f"{backend}:")
        if backend == "sqlite":
            url, drop = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/report.db", None
        else:
            url, drop = await postgres_database(os.environ["CONSULT_TEST_POSTGRES_URL"])
        try:
            results += [(backend, *row) for row in await one_backend(url, args.cases)]
        finally:
            if drop:
                await drop()
    print(f"\n{'backend':<10}{'what':<36}{'seconds':>10}{'count(*) floor':>16}{'rows':>10}")
    for backend, what, seconds, floor, rows in results:
        print(f"{backend:<10}{what:<36}{seconds:>10.3f}{floor:>16.4f}{rows:>10,}")
    if "postgres" not in backends:
        print("(set CONSULT_TEST_POSTGRES_URL to include PostgreSQL)")
    print("targets: dashboard under 0.5 s (a month: what the dashboard opens on), ledger xlsx under 10 s")


if __name__ == "__main__":
    asyncio.run(main())
