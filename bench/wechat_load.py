"""Load test of the /wechat callback in safe mode, the bot and a bare wechatpy handler side by side in one run.

(a) open loop: a fixed 100 signed, encrypted questions a second for 30 s, whatever the answers' pace (target: bot
    p99 under 100 ms, latency counted from when each request was due, so a stall is not hidden);
(b) closed loop: 2,000 questions over 200 connections, as fast as each server answers (target: the bot's throughput
    at least a third of the bare handler's). Answers over WeChat's 2,048-byte passive-reply limit continue as
    customer-service messages, sent by the bot's asynchronous HTTP client to the fake WeChat API after the passive
    reply: counted separately, with their own drain rate.

Run from the project root: `.venv/bin/python bench/wechat_load.py` (loopback only, SQLite in a temp dir, about 2
minutes). The bot, the bare handler and the fake WeChat API each run in their own uvicorn process.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
SECRET = "bench-secret"
RATE = 100.0  # (a) requests a second, open loop
SECONDS = 30.0
USERS = 300  # (a) citizens the open-loop questions are spread over
MESSAGES = 2000  # (b) closed loop
CONCURRENCY = 200
TIME_LIMIT = 300  # seconds for the whole run
KEEP_ALIVE_REUSE_SECONDS = 2.0
QUESTIONS = [
    "办健康证要带什么东西",
    "公共场所卫生许可证新办需要什么材料",
    "护士执业注册怎么办",
    "出生医学证明怎么补办",
    "医师执业注册需要什么材料",
    "中医诊所备案怎么办",
    "预防接种证丢了怎么补办",
    "放射诊疗许可怎么申请",
    "你们几点上班，地址在哪",
    "医疗广告审查证明怎么办",
]


def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


# --- the servers (each in its own process) -------------------------------------------------------------
def _bare_app():
    """Only verify, parse with wechatpy, and answer a fixed TextReply (encrypted in safe mode)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import TextReply
    from wechatpy.utils import check_signature

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    async def wechat(request: Request) -> Response:
        params = request.query_params
        try:
            check_signature(TOKEN, params["signature"], params["timestamp"], params["nonce"])
        except Exception:
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        safe = params.get("encrypt_type") == "aes"
        xml = crypto.decrypt_message(body, params["msg_signature"], params["timestamp"], params["nonce"]) if safe else body
        message = parse_message(xml)
        reply = TextReply(message=message, content="您好，这是固定回复。").render()
        if safe:
            reply = crypto.encrypt_message(reply, params["nonce"], params["timestamp"])
        return Response(reply, media_type="application/xml")

    return Starlette(routes=[Route("/wechat", wechat, methods=["POST"]), Route("/healthz", lambda r: PlainTextResponse("ok"))])


async def _serve_bot(port: int, database_url: str, api_base: str) -> None:
    import uvicorn

    from bot.app import App
    from bot.channels.wechat.runtime import attach
    from bot.config import Settings
    from bot.web import create_web_app

    settings = Settings(
        _env_file=None,
        database_url=database_url,
        wechat_app_id=APP_ID,
        wechat_app_secret=SECRET,
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_api_base_url=api_base,
        log_level="WARNING",
    )
    app = App(settings)
    await app.warm_up()  # as bot.runner does before any channel starts
    routes: list = []
    runtime = await attach(app, routes)
    server = uvicorn.Server(uvicorn.Config(create_web_app(app, routes), host="127.0.0.1", port=port, log_level="warning", access_log=False))
    try:
        await server.serve()
    finally:
        await runtime.stop()
        await app.close()


async def _serve_fake_api(port: int) -> None:
    from tests.fakes.wechat_api import FakeWeChatAPI

    fake = FakeWeChatAPI(app_id=APP_ID, secret=SECRET)
    async with fake:
        print(fake.base_url, flush=True)
        await asyncio.Event().wait()  # serve until the bench kills this process


def serve(kind: str, port: int, database_url: str, api_base: str) -> None:
    """Entry point of the server subprocesses."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    if kind == "bot":
        asyncio.run(_serve_bot(port, database_url, api_base))
    elif kind == "bare":
        import uvicorn

        uvicorn.run(_bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    else:
        asyncio.run(_serve_fake_api(port))


# --- the load generator -----------------------------------------------------------------------------------
_NEXT_ID = iter(range(10**12, 10**13))  # MsgIds and nonces, unique across the whole run


def _request(openid: str, content: str) -> bytes:
    """One raw HTTP request as WeChat sends it in safe mode: signed now, fresh nonce, the message encrypted."""
    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    msg_id = next(_NEXT_ID)
    timestamp, nonce = str(int(time.time())), str(msg_id)
    xml = (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )
    encrypted = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, timestamp))["xml"]["Encrypt"]
    query = (
        f"signature={_sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid={openid}"
        f"&encrypt_type=aes&msg_signature={_sign(TOKEN, timestamp, nonce, encrypted)}"
    )
    data = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    head = f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


def _requests(tag: str, count: int, users: int) -> tuple[list[bytes], list[bytes]]:
    """A greeting and a question per user (privacy notice, menu, caches warmed), then `count` questions over the users."""
    warmup = [_request(f"o-{tag}-{u}", "你好") for u in range(users)]
    warmup += [_request(f"o-{tag}-{u}", QUESTIONS[u % len(QUESTIONS)]) for u in range(users)]
    questions = [_request(f"o-{tag}-{i % users}", QUESTIONS[i % len(QUESTIONS)]) for i in range(count)]
    return warmup, questions


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


def _figures(latencies: list[float], elapsed: float, statuses: dict[int, int], passive: int) -> dict:
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "elapsed": elapsed,
        "rps": len(ordered) / elapsed,
        "statuses": statuses,
        "passive": passive,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        "max": ordered[-1] * 1000,
    }


async def _closed_loop(port: int, requests: list[bytes], concurrency: int) -> dict:
    """Send the requests over `concurrency` keep-alive connections, each waiting for its answer before the next."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    passive = 0
    lanes = [requests[lane::concurrency] for lane in range(concurrency)]

    async def lane(items: list[bytes]) -> None:
        nonlocal passive
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for raw in items:
                started = time.perf_counter()
                writer.write(raw)
                status, body = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                passive += body.startswith(b"<xml>")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(lane(items) for items in lanes if items))
    return _figures(latencies, time.perf_counter() - started, statuses, passive)


async def _open_loop(port: int, requests: list[bytes], rate: float) -> dict:
    """Send request i at start + i/rate whatever the answers do (idle keep-alive connections reused, more opened as
    needed); each latency runs from when its request was due, so a server that falls behind shows it."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    passive = 0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    opened: list[asyncio.StreamWriter] = []

    async def one(raw: bytes, due: float) -> None:
        nonlocal passive
        while idle and time.perf_counter() - idle[-1][2] > KEEP_ALIVE_REUSE_SECONDS:
            idle.pop()[1].close()  # uvicorn closes a connection idle for 5 s: never send on one that old
        if idle:
            reader, writer, _ = idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            opened.append(writer)
        writer.write(raw)
        status, body = await _read_response(reader)
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1
        passive += body.startswith(b"<xml>")
        idle.append((reader, writer, time.perf_counter()))

    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    tasks = []
    for index, raw in enumerate(requests):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(one(raw, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for writer in opened:
        writer.close()
    figures = _figures(latencies, elapsed, statuses, passive)
    figures["connections"] = len(opened)
    return figures


async def _engine_only(messages: int, concurrency: int, database_url: str) -> dict:
    """The same questions straight into the dialog engine, no HTTP and no WeChat: the ceiling the callback works under."""
    from bot.app import App
    from bot.config import Settings
    from bot.core.messages import Inbound

    app = App(Settings(_env_file=None, database_url=database_url))
    latencies: list[float] = []
    try:
        await app.warm_up()
        await asyncio.gather(*(app.engine.handle(Inbound(channel="wechat", user_id=f"e{u}", text="你好")) for u in range(concurrency)))

        async def lane(user: int) -> None:
            for i in range(user, messages, concurrency):
                started = time.perf_counter()
                inbound = Inbound(channel="wechat", user_id=f"e{user}", text=QUESTIONS[i % len(QUESTIONS)], message_id=f"e{i}")
                await app.engine.handle(inbound)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(lane(u) for u in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await app.close()
    return _figures(latencies, elapsed, {}, len(latencies))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _ = await _read_response(reader)
            writer.close()
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _sqlite_path(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).database or ""


def _outbox_counts(database_url: str) -> dict[str, int]:
    """Outbox rows of the bot's database by status (read with sqlite3, beside the running bot)."""
    import sqlite3

    with sqlite3.connect(_sqlite_path(database_url), timeout=30) as db:
        return dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def _parts_sent_between(database_url: str, since_id: int) -> tuple[int, float, int]:
    """Customer-service parts queued after row `since_id`: how many were sent, over how many seconds from the first
    one queued to the last one sent (the drain rate's interval), and the highest row id."""
    import sqlite3
    from datetime import datetime

    with sqlite3.connect(_sqlite_path(database_url), timeout=30) as db:
        count, first, last, top = db.execute(
            "SELECT count(*), min(created_at), max(sent_at), max(id) FROM outbox WHERE id > ? AND kind = 'reply' AND status = 'sent'",
            (since_id,),
        ).fetchone()
        top = top or db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
    if not count:
        return 0, 0.0, top
    return count, (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds(), top


async def _drained(database_url: str, deadline: float) -> float:
    """Wait until the bot has sent every queued customer-service message; the seconds it took after the run."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        counts = _outbox_counts(database_url)
        if not counts.get("pending") and not counts.get("sending"):
            break
        await asyncio.sleep(0.1)
    return time.monotonic() - started


def _spawn(kind: str, port: int, database_url: str = "", api_base: str = "") -> subprocess.Popen:
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--database-url", database_url, "--api-base", api_base]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def main(rate: float, seconds: float, messages: int, concurrency: int, users: int, database_url: str, engine_url: str) -> int:
    """Run (a) and (b) against the bot and the bare handler; print the figures side by side; 0 when the targets are met."""
    deadline = time.monotonic() + TIME_LIMIT
    fake = _spawn("fakeapi", 0)
    api_base = (fake.stdout.readline() if fake.stdout else "").strip()
    bot_port, bare_port = _free_port(), _free_port()
    bot, bare = _spawn("bot", bot_port, database_url, api_base), _spawn("bare", bare_port)
    servers = {"bot": (bot_port, psutil.Process(bot.pid)), "bare": (bare_port, psutil.Process(bare.pid))}
    results: dict[tuple[str, str], dict] = {}
    parts: dict[str, tuple[int, float, float]] = {}

    async def run(label: str, name: str, load) -> None:
        port, process = servers[name]
        cpu = _cpu_seconds(process)
        since = _parts_sent_between(database_url, 0)[2] if name == "bot" else 0
        result = await asyncio.wait_for(load(port), max(1, deadline - time.monotonic()))
        result["cpu_ms"] = (_cpu_seconds(process) - cpu) * 1000 / result["n"]
        results[(label, name)] = result
        if name == "bot":  # the overflow parts go out after the passive replies; no run may inherit them
            after = await _drained(database_url, deadline)
            sent, span, _ = _parts_sent_between(database_url, since)
            parts[label] = (sent, span, after)

    try:
        await _wait_ready(bot_port, deadline)
        await _wait_ready(bare_port, deadline)
        total = int(rate * seconds)
        for name in ("bot", "bare"):
            warmup, questions = _requests(f"open-{name}", total, users)
            await asyncio.wait_for(_closed_loop(servers[name][0], warmup, 50), max(1, deadline - time.monotonic()))
            if name == "bot":
                await _drained(database_url, deadline)
            await run("open", name, lambda port, q=questions: _open_loop(port, q, rate))
        for name in ("bot", "bare"):
            warmup, questions = _requests(f"closed-{name}", messages, concurrency)
            await asyncio.wait_for(_closed_loop(servers[name][0], warmup, concurrency), max(1, deadline - time.monotonic()))
            await run("closed", name, lambda port, q=questions: _closed_loop(port, q, concurrency))
    finally:
        for process in (bot, bare, fake):
            process.terminate()
        for process in (bot, bare, fake):
            process.wait(timeout=15)
    engine = await asyncio.wait_for(_engine_only(messages, concurrency, engine_url), max(1, deadline - time.monotonic()))
    print(f"\n/wechat load, safe mode (AES), knowledge-base answers, loopback, SQLite, {os.cpu_count()} CPU(s)")
    print(f"{'run':<40} {'server':<6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'CPU ms/msg':>11} {'passive':>8}  statuses")
    titles = {
        "open": f"(a) open loop {rate:.0f}/s for {seconds:.0f} s ({users} users)",
        "closed": f"(b) closed loop {messages} over {concurrency} conns",
    }
    for (label, name), r in results.items():
        print(
            f"{titles[label]:<40} {name:<6} {r['p50']:8.1f} {r['p99']:8.1f} {r['max']:8.1f} {r['rps']:8.0f} {r['cpu_ms']:11.2f} {r['passive']:8d}  {r['statuses']}"
        )
    print(
        f"{'(b) engine alone, in-process, no HTTP':<40} {'engine':<6} {engine['p50']:8.1f} {engine['p99']:8.1f} {engine['max']:8.1f} "
        f"{engine['rps']:8.0f} {'-':>11} {engine['passive']:8d}  (Engine.handle: the ceiling any channel can reach)"
    )
    for label, (sent, span, after) in parts.items():
        rate_text = f"{sent / span:.0f}/s" if span > 0 else "-"
        print(
            f"customer-service parts after {label} run (bot only; httpx.AsyncClient to the fake API): {sent} sent, drain rate {rate_text} "
            f"(first queued → last sent {span:.1f} s), last one {after:.1f} s after the last passive reply"
        )
    print(f"outbox at the end: {_outbox_counts(database_url)}")
    open_bot, closed_bot, closed_bare = results[("open", "bot")], results[("closed", "bot")], results[("closed", "bare")]
    ratio = closed_bot["rps"] / closed_bare["rps"]
    p99_ok, ratio_ok = open_bot["p99"] < 100, ratio >= 1 / 3
    errors = sum(n for r in results.values() for status, n in r["statuses"].items() if status != 200)
    print(
        f"(a) bot p99 at {rate:.0f}/s: {open_bot['p99']:.1f} ms (target < 100 ms: {'met' if p99_ok else 'NOT met'}); "
        f"(b) bot/bare throughput {ratio:.2f} (target >= 0.33: {'met' if ratio_ok else 'NOT met'}; the engine alone reaches "
        f"{engine['rps'] / closed_bare['rps']:.2f} of bare); non-200 answers: {errors}"
    )
    return 0 if p99_ok and ratio_ok and not errors else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", choices=("bot", "bare", "fakeapi"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--api-base", default="", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=RATE, help="open-loop requests per second (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="open-loop duration (default %(default)s)")
    parser.add_argument("--users", type=int, default=USERS, help="open-loop citizens (default %(default)s)")
    parser.add_argument("--messages", type=int, default=MESSAGES, help="closed-loop messages (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="closed-loop connections (default %(default)s)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.database_url, args.api_base)
    else:
        from bot.storage.migrate import upgrade

        workdir = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
        urls = [f"sqlite+aiosqlite:///{workdir / name}" for name in ("bot.db", "engine.db")]
        for url in urls:
            upgrade(url)
        raise SystemExit(asyncio.run(main(args.rate, args.seconds, args.messages, args.concurrency, args.users, *urls)))
