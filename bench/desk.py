"""Desk benchmark: server time of the inbox with 10,000 open cases and of a case page with a 500-message conversation.

Each backend gets 10,000 open cases (half waiting in 待接手, each with a question and an answer) and one handed-off
case whose citizen has written 500 messages. A signed-in supervisor opens the inbox (`/desk/`, 200 rows) and the big
case's page through the ASGI app in-process (httpx.ASGITransport: server time, no network), ROUNDS times each; the
floor beside them is the same data read as `cases list --json` and `cases show --json` do (bot/cli/output.py
case_record over the same cases). Then the desk is served by uvicorn on a loopback port, 50 staff open the big case's
page's live stream (server-sent events), and the time from engine.handle of the citizen's next message to the
`conversation` event reaching each page is measured over ROUNDS_LIVE messages.
Run: `python bench/desk.py` (PostgreSQL too when CONSULT_TEST_POSTGRES_URL is set). Targets: p95 under 100 ms for
both pages; a citizen message reaches the open case page in under 1 s at p95 with 50 staff connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.cli.output import case_record  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.messages import Inbound  # noqa: E402
from bot.desk import queues  # noqa: E402
from bot.office import accounts  # noqa: E402
from bot.storage.migrate import upgrade_async  # noqa: E402
from bot.storage.models import Case, Citizen, ConversationMessage, Staff  # noqa: E402
from bot.web import create_web_app  # noqa: E402
from tests.desk.desk_client import PASSWORD, Browser  # noqa: E402

OPEN_CASES = 10_000
CONVERSATION = 500
STAFF_CONNECTED = 50
ROUNDS = 40
ROUNDS_LIVE = 20
CITIZEN = "bench-citizen"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


async def fill(app: App) -> str:
    """Insert staff, citizens, 10,000 open cases and a handed-off case with a 500-message conversation; its number."""
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        for i in range(STAFF_CONNECTED):
            member = Staff(name=f"科长{i:02d}", role="supervisor", department="综合科", active=True, created_at=now)
            session.add(member)
            await session.flush()
            await accounts.set_password(session, member, PASSWORD, now, actor="bench")
    # a real handoff through the engine, so the citizen's later messages land in the case as they do in production
    await app.engine.handle(Inbound(channel="console", user_id=CITIZEN, text="人工服务", display_name="王小明"))
    async with app.sessions() as session:
        big = await session.scalar(select(Case).order_by(Case.id.desc()))
        assert big is not None, "the handoff opened a case"
        number, big_id, big_citizen = big.number, big.id, big.citizen_id
    citizens = [
        dict(channel="console", external_id=f"c{i}", display_name=f"市民{i}", lang="zh", state={}, created_at=now - timedelta(days=20))
        for i in range(1000)
    ]
    async with app.sessions() as session, session.begin():
        await session.execute(insert(Citizen), citizens)
        first = await session.scalar(select(Citizen.id).where(Citizen.external_id == "c0"))
    cases, messages = [], []
    for i in range(OPEN_CASES):
        created = now - timedelta(days=10, minutes=i)
        cases.append(
            dict(
                number=f"ZX-20261120-{i:06d}",
                type="consultation",
                status="new" if i % 2 else "assigned",
                citizen_id=first + i % 1000,
                channel="console",
                lang="zh",
                summary=f"咨询 社保转移 电话13800138{i % 1000:03d}",
                description="我想问一下社保关系怎么转移到本市",
                department="综合科",
                assignee_id=None if i % 2 else 1 + i % STAFF_CONNECTED,
                owner_id=None if i % 2 else 1 + i % STAFF_CONNECTED,
                created_at=created,
                due_at=created + timedelta(days=15 + i % 5),
                alerts_raised=[],
                anonymised=False,
            )
        )
    async with app.sessions() as session, session.begin():
        for start in range(0, len(cases), 5000):
            await session.execute(insert(Case), cases[start : start + 5000])
        ids = dict((await session.execute(select(Case.number, Case.id).where(Case.number.like("ZX-%")))).all())
    for row in cases:
        case_id, at = ids[row["number"]], row["created_at"]
        messages.append(dict(citizen_id=row["citizen_id"], case_id=case_id, direction="in", text="请问怎么办理", created_at=at))
        messages.append(dict(citizen_id=row["citizen_id"], case_id=case_id, direction="out", text="请携带身份证", created_at=at))
    for i in range(CONVERSATION):
        messages.append(
            dict(
                citizen_id=big_citizen,
                case_id=big_id,
                direction="in" if i % 3 else "staff",
                author=None if i % 3 else "科长00",
                text=f"第{i}条：我的电话是13912345678，地址在人民路{i}号，请尽快处理。",
                created_at=now - timedelta(hours=5) + timedelta(seconds=i * 30),
            )
        )
    async with app.sessions() as session, session.begin():
        for start in range(0, len(messages), 5000):
            await session.execute(insert(ConversationMessage), messages[start : start + 5000])
    return number


async def timed(call, rounds: int) -> list[float]:
    """Seconds per call, after two warm-up calls."""
    for _ in range(2):
        await call()
    spent = []
    for _ in range(rounds):
        start = time.perf_counter()
        await call()
        spent.append(time.perf_counter() - start)
    return spent


async def pages(app: App, number: str) -> dict[str, list[float]]:
    """Inbox and case page through ASGITransport, and the `cases list/show --json` floor over the same cases."""
    web = create_web_app(app)
    transport = httpx.ASGITransport(app=web, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        browser = Browser(client)
        assert (await browser.login("科长00")).status_code == 303, "signed in"

        async def inbox() -> None:
            response = await client.get("/desk/")
            assert response.status_code == 200 and response.text.count('name="case"') >= 100, response.status_code

        async def inbox_all() -> None:
            response = await client.get("/desk/?view=all")
            assert response.status_code == 200 and response.text.count('name="case"') >= 100, response.status_code

        async def case_page() -> None:
            response = await client.get(f"/desk/cases/{number}")
            assert response.status_code == 200 and "第499条" in response.text, response.status_code

        async with app.sessions() as session:
            staff = await session.scalar(select(Staff).where(Staff.name == "科长00"))
            assert staff is not None
            shown_ids = [c.id for c in await session.scalars(queues.queue_query(staff, "unassigned", app.clock.now()).limit(queues.PAGE))]

        async def inbox_floor() -> None:
            async with app.sessions() as session:
                shown = await session.scalars(select(Case).where(Case.id.in_(shown_ids)).order_by(Case.created_at))
                [await case_record(session, c, app.settings.tz) for c in shown]

        async def case_floor() -> None:
            async with app.sessions() as session:
                case = await session.scalar(select(Case).where(Case.number == number))
                record = await case_record(session, case, app.settings.tz, history=True)
                assert len(record["messages"]) >= CONVERSATION

        return {
            "inbox": await timed(inbox, ROUNDS),
            "inbox floor": await timed(inbox_floor, ROUNDS),
            "inbox (all)": await timed(inbox_all, ROUNDS),
            "case page": await timed(case_page, ROUNDS),
            "case floor": await timed(case_floor, ROUNDS),
        }


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def live(app: App, number: str) -> list[float]:
    """Seconds from engine.handle of a citizen message to the `conversation` event at each of 50 open case pages."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_web_app(app), host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    sent_at: list[float] = [0.0]
    arrived: list[list[float]] = [[] for _ in range(STAFF_CONNECTED)]
    ready = [asyncio.Event() for _ in range(STAFF_CONNECTED)]
    came = [asyncio.Event() for _ in range(STAFF_CONNECTED)]
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) for _ in range(STAFF_CONNECTED)]

    async def listen(i: int) -> None:
        browser = Browser(clients[i])
        assert (await browser.login(f"科长{i:02d}")).status_code == 303, "signed in"
        async with clients[i].stream("GET", f"/desk/cases/{number}/events") as stream:
            ready[i].set()
            async for line in stream.aiter_lines():
                if line == "event: conversation":
                    arrived[i].append(time.perf_counter())
                    came[i].set()

    listeners = [asyncio.create_task(listen(i)) for i in range(STAFF_CONNECTED)]
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 120)
        await asyncio.sleep(2)  # let the presence announcements settle
        latencies: list[float] = []
        jitter = random.Random(13)  # spread the messages over the live poll's 0.5 s phase
        for n in range(ROUNDS_LIVE):
            for got, event in zip(arrived, came, strict=True):
                got.clear()
                event.clear()
            sent_at[0] = time.perf_counter()
            await app.engine.handle(Inbound(channel="console", user_id=CITIZEN, text=f"还有一个问题 {n}", message_id=f"live-{n}"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(event.wait() for event in came)), 5)
            latencies += [got[0] - sent_at[0] if got else 5.0 for got in arrived]  # a missed event counts as 5 s
            await asyncio.sleep(0.5 + jitter.random())
        return latencies
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        for client in clients:
            await client.aclose()
        server.should_exit = True
        await serving


async def postgres_database(base_url: str):
    """A scratch PostgreSQL database and its dropper."""
    name = f"bench_desk_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE DATABASE {name}"))

    async def drop() -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()

    return base_url.rsplit("/", 1)[0] + "/" + name, drop


async def one_backend(url: str, cache: Path) -> dict[str, list[float]]:
    """Fill one database, time the pages and the live update."""
    await upgrade_async(url)
    app = App(Settings(_env_file=None, database_url=url, cache_dir=cache))
    try:
        await app.warm_up()
        number = await fill(app)
        results = await pages(app, number)
        results["live update"] = await live(app, number)
        return results
    finally:
        await app.close()


async def main() -> None:
    """Run each backend and print one table."""
    backends = ["sqlite"] + (["postgres"] if os.environ.get("CONSULT_TEST_POSTGRES_URL") else [])
    folder = Path(tempfile.mkdtemp())
    table: dict[str, dict[str, list[float]]] = {}
    for backend in backends:
        if backend == "sqlite":
            url, drop = f"sqlite+aiosqlite:///{folder}/desk.db", None
        else:
            url, drop = await postgres_database(os.environ["CONSULT_TEST_POSTGRES_URL"])
        try:
            table[backend] = await one_backend(url, folder / "cache")
        finally:
            if drop:
                await drop()
    print(f"Desk benchmark: {OPEN_CASES:,} open cases, a {CONVERSATION}-message case, {STAFF_CONNECTED} staff on its live page")
    print(f"{'what':<14}" + "".join(f"{b + ' p50':>14}{b + ' p95':>14}" for b in backends) + f"{'target p95':>12}")
    targets = {"inbox": "100 ms", "inbox (all)": "100 ms", "case page": "100 ms", "live update": "1000 ms"}
    for what in ["inbox", "inbox floor", "inbox (all)", "case page", "case floor", "live update"]:
        cells = "".join(f"{pct(table[b][what], 50):>11.1f} ms{pct(table[b][what], 95):>11.1f} ms" for b in backends)
        print(f"{what:<14}{cells}{targets.get(what, '-'):>12}")
    print(
        f"(pages: {ROUNDS} requests each through ASGITransport; floors: case_record as `cases list/show --json`; live: {ROUNDS_LIVE} messages x {STAFF_CONNECTED} pages over uvicorn on 127.0.0.1)"
    )
    if "postgres" not in backends:
        print("(set CONSULT_TEST_POSTGRES_URL to include PostgreSQL)")


if __name__ == "__main__":
    asyncio.run(main())
