"""Chaos: two `python -m bot run` processes on one PostgreSQL, one killed with SIGKILL every ~10 s, under steady load.

Run: `.venv/bin/python bench/chaos.py` (about two minutes; stops by itself). Uses CONSULT_TEST_POSTGRES_URL (a fresh
database in it) or starts a throwaway PostgreSQL from /usr/lib/postgresql/*/bin, removed at exit. Everything listens on
127.0.0.1 only. In this process: the fake Telegram Bot API (forgets an update only once an offset confirms it, so
unconfirmed ones are handed out again), the fake WeChat API (customer-service messages), and WeChat's server: signed
posts to either live process, retried as WeChat retries (3 tries, 5 s each). Citizens on both channels talk in a
closed loop (questions, a complaint with a unique mark) for 60 s; then the bench waits for the outbox to settle and
audits: every citizen message answered exactly once, or its reply orphaned mid-send and recorded `unknown` with staff
alerted; no duplicate case; no duplicate delivery. Exit status 0 when the targets hold.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.channels.telegram.convert import render  # noqa: E402
from bot.core.messages import Reply  # noqa: E402
from bot.storage.migrate import upgrade_async  # noqa: E402
from bot.storage.models import Case, InboundReceipt, OutboxMessage  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeBotAPI  # noqa: E402
from tests.fakes.wechat_api import FakeWeChatAPI  # noqa: E402
from tests.fakes.wechat_server import sign  # noqa: E402

WECHAT_APP_ID, WECHAT_SECRET, WECHAT_TOKEN = "wx-chaos-app", "chaos-secret", "chaos-token"
TELEGRAM_CITIZENS = 16
WECHAT_CITIZENS = 16
LOAD_SECONDS = 60.0
KILL_EVERY = 10.0
ANSWER_WAIT = 12.0  # a citizen waits this long for an answer before writing the next message anyway
WECHAT_TRIES, WECHAT_TIMEOUT = 3, 5.0
SETTLE_LIMIT = 90.0  # after the load: at most this long for the outbox to settle
LEASE_SECONDS = 10
SCRIPT = ("你好", "办健康证要带什么东西", "你们几点上班", "窗口工作人员态度很差 {mark}", "3号窗口", "跳过", "确认", "投诉电话是多少")


# ---- PostgreSQL ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres():
    """A PostgreSQL server URL (without database): CONSULT_TEST_POSTGRES_URL's, or a throwaway one removed at exit."""
    given = os.environ.get("CONSULT_TEST_POSTGRES_URL")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")])
    if not binaries:
        raise SystemExit("no PostgreSQL: set CONSULT_TEST_POSTGRES_URL or install postgresql (as .ci/run does)")
    bin_dir, data, port = binaries[-1], Path(tempfile.mkdtemp(prefix="consult-chaos-pg.")), _free_port()
    as_postgres = os.geteuid() == 0  # initdb refuses root
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")

    def pg(*command: str) -> None:
        line = [str(bin_dir / command[0]), *command[1:]]
        if as_postgres:
            line = ["su", "postgres", "-c", " ".join(f"'{part}'" for part in line)]
        subprocess.run(line, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        pg("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        pg("pg_ctl", "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start")
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        with contextlib.suppress(Exception):
            pg("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


async def _admin(server: str, sql: str) -> None:
    engine = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(sql))
    await engine.dispose()


# ---- the bot processes --------------------------------------------------------------------------------------


@dataclass
class BotProcess:
    """One `python -m bot run`, restartable on the same port."""

    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    ready: bool = False
    starts: int = 0

    def start(self) -> None:
        """Start (again)."""
        self.starts += 1
        with self.log.open("a") as log:
            log.write(f"\n---- start {self.starts} ----\n")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log.open("a")
        )
        self.ready = False

    async def wait_ready(self, limit: float = 60.0) -> None:
        """Poll /healthz (bounded) until it answers."""
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline and self.alive:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                        self.ready = True
                        return
                await asyncio.sleep(0.1)

    @property
    def alive(self) -> bool:
        """Running (not necessarily ready)."""
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.process is not None
        self.ready = False
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then wait (bounded); SIGKILL when it does not exit."""
        if not self.alive:
            return
        assert self.process is not None
        self.ready = False
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bot_env(database_url: str, port: int, telegram: FakeBotAPI, wechat: FakeWeChatAPI, cache: Path) -> dict[str, str]:
    """Environment of one bot process: both channels, on loopback fakes, PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    env.update(
        CONSULT_DATABASE_URL=database_url,
        CONSULT_HTTP_HOST="127.0.0.1",
        CONSULT_HTTP_PORT=str(port),
        CONSULT_CACHE_DIR=str(cache),
        CONSULT_LOG_LEVEL="WARNING",
        CONSULT_QUIET_HOURS="",
        CONSULT_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
        CONSULT_TELEGRAM_TOKEN=TOKEN,
        CONSULT_TELEGRAM_BASE_URL=telegram.base_url,
        CONSULT_TELEGRAM_BASE_FILE_URL=telegram.base_file_url,
        CONSULT_TELEGRAM_RATE_PER_CHAT_SECONDS="0.2",
        CONSULT_TELEGRAM_RATE_OVERALL_PER_SECOND="1000",
        CONSULT_TELEGRAM_REPLY_GRACE_SECONDS="5",
        CONSULT_WECHAT_APP_ID=WECHAT_APP_ID,
        CONSULT_WECHAT_APP_SECRET=WECHAT_SECRET,
        CONSULT_WECHAT_TOKEN=WECHAT_TOKEN,
        CONSULT_WECHAT_API_BASE_URL=wechat.base_url,
        CONSULT_WECHAT_ENCRYPTION="plain",
    )
    return env


# ---- citizens ----------------------------------------------------------------------------------------------


@dataclass
class Sent:
    """What citizens sent, for the audit."""

    telegram: list[tuple[int, int]] = field(default_factory=list)  # (chat, update_id)
    wechat: list[tuple[str, int, bool]] = field(default_factory=list)  # (openid, MsgId, got a passive reply)
    wechat_tries: int = 0
    marks: list[str] = field(default_factory=list)


async def _until(condition, limit: float) -> bool:
    """Poll `condition()` (loopback state) until it holds or `limit` seconds passed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


def _script(n: int) -> str:
    line = SCRIPT[n % len(SCRIPT)]
    return line.format(mark=f"M{uuid.uuid4().hex[:8]}") if "{mark}" in line else line


async def telegram_citizen(api: FakeBotAPI, chat: int, until: float, sent: Sent) -> None:
    """Writes, waits for an answer (bounded), thinks, writes again; until the load ends."""
    for n in itertools.count():
        if time.monotonic() >= until:
            return
        words = _script(n)
        if "M" in words.split()[-1]:
            sent.marks.append(words.split()[-1])
        before = len(api.texts_to(chat))
        (update_id,) = await api.push(api.message(chat, words))
        sent.telegram.append((chat, update_id))
        await _until(lambda before=before: len(api.texts_to(chat)) > before, ANSWER_WAIT)
        await asyncio.sleep(random.uniform(0.3, 1.0))


async def wechat_citizen(bots: list[BotProcess], wechat: FakeWeChatAPI, openid: str, until: float, sent: Sent) -> None:
    """Posts as WeChat does: signed, to a live process, the same request again on a timeout or refusal (3 tries)."""
    ids = itertools.count(int(time.time() * 1000) * 1000 + random.randrange(1000))
    async with httpx.AsyncClient(timeout=WECHAT_TIMEOUT) as client:
        for n in itertools.count():
            if time.monotonic() >= until:
                return
            words = _script(n)
            if "M" in words.split()[-1]:
                sent.marks.append(words.split()[-1])
            msg_id = next(ids)
            timestamp, nonce = str(int(time.time())), str(random.randrange(10**9))
            xml = (
                f"<xml><ToUserName><![CDATA[gh_chaos]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
                f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{words}]]></Content>"
                f"<MsgId>{msg_id}</MsgId></xml>"
            )
            params = {"timestamp": timestamp, "nonce": nonce, "signature": sign(WECHAT_TOKEN, timestamp, nonce), "openid": openid}
            before = len(wechat.custom_texts(openid))
            passive = False
            answered_at_all = False
            for attempt in range(WECHAT_TRIES):
                live = [b for b in bots if b.ready] or bots
                target = live[(n + attempt) % len(live)]
                sent.wechat_tries += 1
                try:
                    response = await client.post(f"http://127.0.0.1:{target.port}/wechat", params=params, content=xml.encode())
                except httpx.HTTPError:
                    await asyncio.sleep(0.5 if attempt < WECHAT_TRIES - 1 else 0)
                    continue
                if response.status_code == 200:
                    answered_at_all = True
                    passive = response.text.startswith("<xml>")
                    break
            sent.wechat.append((openid, msg_id, passive))
            if answered_at_all and not passive:  # `success`: the answer comes by customer-service message
                await _until(lambda before=before: len(wechat.custom_texts(openid)) > before, ANSWER_WAIT)
            await asyncio.sleep(random.uniform(0.3, 1.0))


async def killer(bots: list[BotProcess], until: float, kills: list[str]) -> None:
    """Every ~10 s, SIGKILL one process (in turn) and start it again at once."""
    starting: set[asyncio.Task] = set()
    for victim in itertools.cycle(bots):
        await asyncio.sleep(KILL_EVERY + random.uniform(-2, 2))
        if time.monotonic() >= until:
            return
        victim.kill()
        kills.append(victim.name)
        victim.start()
        task = asyncio.create_task(victim.wait_ready())
        starting.add(task)
        task.add_done_callback(starting.discard)


# ---- the audit -----------------------------------------------------------------------------------------------


async def settle(database_url: str, api: FakeBotAPI) -> float:
    """Wait (bounded) until Telegram holds no unconfirmed update and no outbox row is pending or being sent."""
    engine = create_async_engine(database_url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < SETTLE_LIMIT:
            async with engine.connect() as connection:
                busy = await connection.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not busy and not api.unconfirmed():
                break
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    return time.monotonic() - started


async def audit(database_url: str, api: FakeBotAPI, wechat: FakeWeChatAPI, sent: Sent) -> dict[str, int]:
    """Count what citizens sent against what the database and the fake platforms saw."""
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(OutboxMessage))).mappings().all()
        receipts = set((await connection.execute(select(InboundReceipt.channel, InboundReceipt.message_key))).all())
        turns = dict((await connection.execute(select(InboundReceipt.channel, func.count()).group_by(InboundReceipt.channel))).all())
        cases = (await connection.execute(select(Case.description))).scalars().all()
    await engine.dispose()
    by_key = {row["dedup_key"]: row for row in rows}
    figures: dict[str, int] = collections.Counter()
    figures["telegram messages"] = len(sent.telegram)
    figures["wechat messages"] = len(sent.wechat)
    figures["wechat posts (with retries)"] = sent.wechat_tries
    figures["turns telegram"] = turns.get("telegram", 0)
    figures["turns wechat"] = turns.get("wechat", 0)
    for _chat, update_id in sent.telegram:
        row = by_key.get(f"tg-reply:{update_id}")
        if ("telegram", f"u{update_id}") not in receipts:
            figures["telegram not handled"] += 1
        elif row is None or row["status"] in ("pending", "failed"):
            figures["telegram not answered"] += 1
        elif row["status"] == "unknown":
            figures["telegram orphaned (unknown)"] += 1
        else:
            figures["telegram answered"] += 1
    for _openid, msg_id, passive in sent.wechat:
        first = by_key.get(f"wechat:reply:{msg_id}:1")
        if passive or (first is not None and first["status"] == "sent"):
            figures["wechat answered"] += 1
        elif first is not None and first["status"] == "unknown":
            figures["wechat orphaned (unknown)"] += 1
        elif ("wechat", f"msg:{msg_id}") not in receipts and not any(key.endswith(str(msg_id)) for _, key in receipts):
            figures["wechat not handled"] += 1
        else:
            figures["wechat not answered"] += 1
    # deliveries: what each chat received, against what the outbox says went (or may have gone) out
    expected: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    possible: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    cs_expected: collections.Counter = collections.Counter()
    for row in rows:
        figures[f"outbox {row['status']}"] += 1
        replies = [Reply.from_json(r) for r in row["payload"].get("replies", [])]
        if row["channel"] == "telegram" and row["status"] in ("sent", "unknown"):
            target = expected if row["status"] == "sent" else possible
            for part in [p.html for reply in replies for p in render(reply)][int(row["payload"].get("parts_sent", 0)) :]:
                target[int(row["recipient"])][part] += 1
        if row["channel"] == "wechat" and row["kind"] == "reply" and row["status"] in ("sent", "unknown"):
            cs_expected[row["recipient"]] += 1
        if "outbox_unknown" in row["dedup_key"]:
            figures["staff alerts: unknown rows"] += 1
    chats = {chat for chat, _ in sent.telegram}
    for chat in chats:
        delivered = collections.Counter(api.texts_to(chat))
        figures["telegram replies delivered"] += sum(delivered.values())
        for text_, count in delivered.items():
            figures["duplicate deliveries"] += max(0, count - expected[chat][text_] - possible[chat][text_])
        for text_, count in expected[chat].items():
            figures["sent but not delivered"] += max(0, count - delivered[text_])
    passive = sum(1 for _, _, p in sent.wechat if p)
    figures["wechat passive replies"] = passive
    for openid in {o for o, _, _ in sent.wechat}:
        calls = len(wechat.custom_texts(openid))
        figures["wechat customer-service messages"] += calls
        figures["duplicate deliveries"] += max(0, calls - cs_expected[openid])
    marks = collections.Counter(mark for description in cases for mark in sent.marks if mark in (description or ""))
    figures["cases"] = len(cases)
    figures["duplicate cases"] = sum(count - 1 for count in marks.values() if count > 1)
    return figures


# ---- main -----------------------------------------------------------------------------------------------------


async def main(seconds: float) -> int:
    """Run the load with kills, settle, audit, print; 0 when nothing was lost or duplicated."""
    work = Path(tempfile.mkdtemp(prefix="consult-chaos."))
    with postgres() as server:
        name = f"consult_chaos_{uuid.uuid4().hex[:8]}"
        await _admin(server, f"CREATE DATABASE {name}")
        database_url = f"{server}/{name}"
        await upgrade_async(database_url)
        api = await FakeBotAPI().start()
        wechat = FakeWeChatAPI(app_id=WECHAT_APP_ID, secret=WECHAT_SECRET)
        await wechat.__aenter__()
        bots = [
            BotProcess(f"bot{i}", port, bot_env(database_url, port, api, wechat, work / "cache"), work / f"bot{i}.log")
            for i, port in enumerate((_free_port(), _free_port()), 1)
        ]
        kills: list[str] = []
        sent = Sent()
        try:
            for bot in bots:
                bot.start()
            await asyncio.gather(*(bot.wait_ready() for bot in bots))
            if not all(bot.ready for bot in bots):
                raise SystemExit(f"a bot did not start; see {work}")
            started = time.monotonic()
            until = started + seconds
            load = [telegram_citizen(api, 8000 + i, until, sent) for i in range(TELEGRAM_CITIZENS)]
            load += [wechat_citizen(bots, wechat, f"o-chaos-{i}", until, sent) for i in range(WECHAT_CITIZENS)]
            await asyncio.gather(killer(bots, until, kills), *load)
            load_seconds = time.monotonic() - started
            for bot in bots:  # a process killed last may still be starting: the outbox needs a live dispatcher
                if not bot.ready:
                    await bot.wait_ready()
            settled = await settle(database_url, api)
        finally:
            for bot in bots:
                bot.stop()
            await api.stop()
            await wechat.__aexit__(None, None, None)
        figures = await audit(database_url, api, wechat, sent)
        await _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    shutil.rmtree(work, ignore_errors=True)
    print(f"\nchaos: 2 `bot run` processes on PostgreSQL, {TELEGRAM_CITIZENS} Telegram + {WECHAT_CITIZENS} WeChat citizens")
    print(f"load {load_seconds:.0f} s, SIGKILLs: {len(kills)} ({', '.join(kills)}), settled {settled:.1f} s after\n")
    order = [
        "telegram messages",
        "wechat messages",
        "wechat posts (with retries)",
        "turns telegram",
        "turns wechat",
        "telegram answered",
        "telegram orphaned (unknown)",
        "telegram not answered",
        "telegram not handled",
        "wechat answered",
        "wechat orphaned (unknown)",
        "wechat not answered",
        "wechat not handled",
        "telegram replies delivered",
        "wechat passive replies",
        "wechat customer-service messages",
        "duplicate deliveries",
        "sent but not delivered",
        "cases",
        "duplicate cases",
        "outbox sent",
        "outbox unknown",
        "outbox failed",
        "outbox pending",
        "outbox sending",
        "staff alerts: unknown rows",
    ]
    for key in order:
        print(f"  {key:<36} {figures.get(key, 0):>7}")
    lost = sum(figures.get(k, 0) for k in ("telegram not answered", "telegram not handled", "wechat not answered", "wechat not handled"))
    unknown = figures.get("telegram orphaned (unknown)", 0) + figures.get("wechat orphaned (unknown)", 0)
    alerted = not figures.get("outbox unknown", 0) or figures.get("staff alerts: unknown rows", 0) > 0
    duplicated = figures.get("duplicate deliveries", 0) + figures.get("duplicate cases", 0)
    ok = lost == 0 and duplicated == 0 and alerted and figures.get("sent but not delivered", 0) == 0
    print(f"\n  lost {lost}, orphaned-and-alerted {unknown}, duplicated {duplicated}: {'OK' if ok else 'TARGET MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=LOAD_SECONDS, help="how long the load runs (default 60)")
    sys.exit(asyncio.run(main(parser.parse_args().seconds)))
