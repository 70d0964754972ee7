"""Load test of the /wechat callback: 2,000 signed messages, 200 at a time, against the bot and a bare wechatpy handler.

Run from the project root: `.venv/bin/python bench/wechat_load.py` (loopback only, SQLite in a temp dir, < 3 minutes).
The bot, the bare handler and the fake WeChat API (which takes the customer-service messages carrying the part of an
answer beyond WeChat's 2,048-byte passive-reply limit) each run in their own uvicorn process; this process only sends.
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
MESSAGES = 2000
CONCURRENCY = 200
LIGHT_MESSAGES = 300
LIGHT_CONCURRENCY = 5
TIME_LIMIT = 240  # seconds for the whole run
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
def _requests(mode: str, run: str, count: int, users: int) -> tuple[list[bytes], list[bytes]]:
    """Pre-built raw HTTP requests: one greeting per user (warm-up), then `count` questions spread over the users."""
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def build(openid: str, content: str, msg_id: int) -> bytes:
        timestamp, nonce = str(1764554400 + msg_id % 1000), str(msg_id)
        xml = (
            f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>"
        )
        query = f"signature={_sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid={openid}"
        body = xml
        if mode == "safe":
            import xmltodict

            encrypted = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]["Encrypt"]
            query += f"&encrypt_type=aes&msg_signature={_sign(TOKEN, timestamp, nonce, encrypted)}"
            body = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        data = body.encode()
        head = f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: {len(data)}\r\n\r\n"
        return head.encode() + data

    base = (1 + ["plain-bot", "plain-bare", "safe-bot", "safe-bare", "plain-light", "safe-light"].index(f"{mode}-{run}")) * 10**9
    warmup = [build(f"o-{run}-{mode}-{u}", "你好", base + u) for u in range(users)]
    questions = [build(f"o-{run}-{mode}-{i % users}", QUESTIONS[i % len(QUESTIONS)], base + users + i) for i in range(count)]
    return warmup, questions


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def _blast(port: int, requests: list[bytes], concurrency: int) -> dict:
    """Send the requests over `concurrency` keep-alive connections; one user's messages always go in order on one connection."""
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
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "n": len(latencies),
        "elapsed": elapsed,
        "rps": len(latencies) / elapsed,
        "statuses": statuses,
        "passive": passive,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
    }


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
                await app.engine.handle(
                    Inbound(channel="wechat", user_id=f"e{user}", text=QUESTIONS[i % len(QUESTIONS)], message_id=f"e{i}")
                )
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(lane(u) for u in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await app.close()
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "elapsed": elapsed,
        "rps": len(ordered) / elapsed,
        "statuses": {},
        "passive": len(ordered),
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
    }


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


def _outbox_counts(database_url: str) -> dict[str, int]:
    """Outbox rows of the bot's database by status (read with sqlite3, beside the running bot)."""
    import sqlite3

    from sqlalchemy.engine import make_url

    with sqlite3.connect(make_url(database_url).database, timeout=30) as db:
        return dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


async def _drained(database_url: str, deadline: float) -> float:
    """Wait until the bot has sent every queued customer-service message; the seconds it took after the run."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        counts = _outbox_counts(database_url)
        if not counts.get("pending") and not counts.get("sending"):
            break
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def _spawn(kind: str, port: int, database_url: str = "", api_base: str = "") -> subprocess.Popen:
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--database-url", database_url, "--api-base", api_base]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def main(messages: int, concurrency: int, database_url: str, engine_database_url: str) -> int:
    deadline = time.monotonic() + TIME_LIMIT
    fake = _spawn("fakeapi", 0)
    api_base = fake.stdout.readline().strip()
    bot_port, bare_port = _free_port(), _free_port()
    bot, bare = _spawn("bot", bot_port, database_url, api_base), _spawn("bare", bare_port)
    results: dict[tuple[str, str], dict] = {}
    try:
        await _wait_ready(bot_port, deadline)
        await _wait_ready(bare_port, deadline)
        users = concurrency
        processes = {"bot": psutil.Process(bot.pid), "bare": psutil.Process(bare.pid)}
        for mode in ("plain", "safe"):
            for name, port in (("bot", bot_port), ("bare", bare_port)):
                warmup, questions = _requests(mode, name, messages, users)
                await asyncio.wait_for(_blast(port, warmup, concurrency), max(1, deadline - time.monotonic()))
                cpu = _cpu_seconds(processes[name])
                results[(mode, name)] = await asyncio.wait_for(_blast(port, questions, concurrency), max(1, deadline - time.monotonic()))
                if name == "bot":  # the overflow parts go out after the passive replies; no run may inherit them
                    results[(mode, name)]["drain"] = await _drained(database_url, deadline)
                results[(mode, name)]["cpu_ms"] = (_cpu_seconds(processes[name]) - cpu) * 1000 / messages
        for mode in ("plain", "safe"):  # the same bot lightly loaded: what a citizen waits when the office is not swamped
            warmup, questions = _requests(mode, "light", LIGHT_MESSAGES, LIGHT_CONCURRENCY)
            await asyncio.wait_for(_blast(bot_port, warmup, LIGHT_CONCURRENCY), max(1, deadline - time.monotonic()))
            results[(mode, f"bot@{LIGHT_CONCURRENCY}")] = await asyncio.wait_for(
                _blast(bot_port, questions, LIGHT_CONCURRENCY), max(1, deadline - time.monotonic())
            )
            results[(mode, f"bot@{LIGHT_CONCURRENCY}")]["drain"] = await _drained(database_url, deadline)
    finally:
        for process in (bot, bare, fake):
            process.terminate()
        for process in (bot, bare, fake):
            process.wait(timeout=15)
    results[("-", "engine")] = await asyncio.wait_for(
        _engine_only(messages, concurrency, engine_database_url), max(1, deadline - time.monotonic())
    )
    print(f"\n/wechat load: {messages} signed text messages per run, {concurrency} concurrent, loopback, SQLite, {os.cpu_count()} CPU(s)")
    print(f"{'mode':<6} {'server':<6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'CPU ms/msg':>11} {'passive':>8}  statuses")
    for (mode, name), r in results.items():
        cpu = f"{r['cpu_ms']:11.2f}" if "cpu_ms" in r else f"{'-':>11}"
        print(f"{mode:<6} {name:<6} {r['p50']:8.1f} {r['p99']:8.1f} {r['rps']:8.0f} {cpu} {r['passive']:8d}  {r['statuses']}")
    print(
        f"(bot@{LIGHT_CONCURRENCY} = {LIGHT_MESSAGES} messages, {LIGHT_CONCURRENCY} concurrent; engine = the same questions straight into Engine.handle in-process, the ceiling any channel can reach)"
    )
    sent = _outbox_counts(database_url)
    drains = ", ".join(f"{mode} {name} +{r['drain']:.1f} s" for (mode, name), r in results.items() if "drain" in r)
    print(
        f"answers over 2,048 bytes: the rest went by customer-service message after the passive reply; outbox now {sent}; "
        f"time to send the last of them after each bot run: {drains}"
    )
    ok = True
    for mode in ("plain", "safe"):
        bot_r, bare_r = results[(mode, "bot")], results[(mode, "bare")]
        ratio = bot_r["rps"] / bare_r["rps"]
        p99_ok, ratio_ok = bot_r["p99"] < 100, ratio >= 1 / 3
        ok &= p99_ok and ratio_ok
        print(
            f"{mode}: bot/bare throughput ratio {ratio:.2f} (target >= 0.33: {'met' if ratio_ok else 'NOT met'}); "
            f"bot p99 {bot_r['p99']:.1f} ms (target < 100 ms: {'met' if p99_ok else 'NOT met'})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", choices=("bot", "bare", "fakeapi"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--api-base", default="")
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.database_url, args.api_base)
    else:
        from bot.storage.migrate import upgrade

        workdir = Path(tempfile.mkdtemp(prefix="wechat-bench-"))
        urls = [f"sqlite+aiosqlite:///{workdir / name}" for name in ("bot.storage.database", "engine.db")]
        for url in urls:
            upgrade(url)
        raise SystemExit(asyncio.run(main(args.messages, args.concurrency, *urls)))
