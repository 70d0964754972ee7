"""Load on the Telegram channel: the real bot vs a bare PTB echo bot, both against the fake Bot API over loopback.

Run: `.venv/bin/python bench/telegram_load.py` (about a minute). The fake Bot API and the load generator run
in this process; each bot runs in its own child process, whose CPU time and peak resident memory are measured.
Phase 1 (throughput): 200 citizens, each with a greeting and 5 knowledge-base questions queued at once.
Phase 2 (latency): questions at a steady 50 updates/s, latency = update offered → first reply message received.
The bench raises Telegram's overall 30 msg/s cap (it could not reach 50 updates/s otherwise) and keeps the
per-chat pacing; both are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bot.channels.telegram.sender import RateLimits  # noqa: E402
from tests.fakes.telegram_api import TOKEN, Call, FakeBotAPI  # noqa: E402

CITIZENS = 200
QUESTIONS_EACH = 5
LATENCY_RATE = 50.0
LATENCY_SECONDS = 8.0
TIME_LIMIT = 110.0
QUESTIONS = (
    "办健康证要带什么东西",
    "出生医学证明怎么办理",
    "你们几点上班",
    "投诉电话是多少",
    "健康证多少钱",
    "理发店卫生许可证",
    "出生证明需要什么材料",
)
BENCH_LIMITS = dict(CONSULT_TELEGRAM_RATE_OVERALL_PER_SECOND="100000", CONSULT_TELEGRAM_RATE_PER_CHAT_SECONDS="1.0")
PER_CHAT_BURST = RateLimits().per_chat_burst
# the per-chat pacing lets a chat's burst refill completely between phases, so no phase inherits the last one's
REFILL_SECONDS = float(BENCH_LIMITS["CONSULT_TELEGRAM_RATE_PER_CHAT_SECONDS"]) * PER_CHAT_BURST + 0.1
# with a full burst, a chat's 5 answers need (5 - burst) pacing intervals: the fastest phase 1 Telegram's limits allow
PACING_FLOOR_SECONDS = float(BENCH_LIMITS["CONSULT_TELEGRAM_RATE_PER_CHAT_SECONDS"]) * (QUESTIONS_EACH - PER_CHAT_BURST)


# ---- the bot processes -----------------------------------------------------------------------


async def run_our_bot(base_url: str, database: str) -> None:
    """The real bot: migrated SQLite, App, Telegram runtime in polling mode, until SIGTERM."""
    import logging

    from bot.app import App
    from bot.channels.telegram.runtime import attach
    from bot.config import Settings
    from bot.storage.migrate import upgrade_async

    logging.basicConfig(level=logging.ERROR)
    url = f"sqlite+aiosqlite:///{database}"
    await upgrade_async(url)
    settings = Settings(_env_file=None, database_url=url, telegram_token=TOKEN, telegram_base_url=base_url, quiet_hours="")
    app = App(settings)
    await app.warm_up()  # as bot.runner does before any channel starts
    runtime = await attach(app, [])
    await _until_terminated()
    await runtime.stop()
    await app.close()


async def run_engine_only(database: str) -> None:
    """The same questions straight into the engine (no Telegram): where the bot's per-update cost lies."""
    import json
    import logging

    from bot.app import App
    from bot.config import Settings
    from bot.core.messages import Inbound
    from bot.storage.migrate import upgrade_async

    logging.basicConfig(level=logging.ERROR)
    url = f"sqlite+aiosqlite:///{database}"
    await upgrade_async(url)
    app = App(Settings(_env_file=None, database_url=url, quiet_hours=""))
    await app.warm_up()
    users = [str(300_000 + i) for i in range(CITIZENS)]
    await asyncio.gather(*(app.engine.handle(Inbound(channel="telegram", user_id=u, text="你好")) for u in users))
    turns = [
        Inbound(channel="telegram", user_id=u, text=QUESTIONS[(i + r) % len(QUESTIONS)], message_id=f"e{r}-{i}")
        for r in range(QUESTIONS_EACH)
        for i, u in enumerate(users)
    ]
    gate = asyncio.Semaphore(256)

    async def turn(inbound: Inbound) -> None:
        """One engine turn, within the concurrency bound."""
        async with gate:
            await app.engine.handle(inbound)

    cpu0, start = time.process_time(), time.monotonic()
    await asyncio.gather(*(turn(inbound) for inbound in turns))
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu0
    print(json.dumps({"per_second": len(turns) / seconds, "cpu_ms": cpu * 1000 / len(turns)}))
    await app.close()


async def run_echo_bot(base_url: str) -> None:
    """A bare python-telegram-bot echo bot with default settings."""
    from telegram import Update
    from telegram.ext import Application, MessageHandler, filters

    async def echo(update: Update, context) -> None:
        """Say the same text back."""
        await update.message.reply_text(update.message.text)

    application = Application.builder().token(TOKEN).base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=10)
    await _until_terminated()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


# ---- the driver ------------------------------------------------------------------------------


@dataclass
class Figures:
    """What one bot achieved."""

    name: str
    updates: int = 0
    seconds: float = 0.0
    cpu_ms_per_update: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    latency_updates: int = 0
    achieved_rate: float = 0.0
    full_answers: int = 0

    @property
    def per_second(self) -> float:
        """Updates handled per second in phase 1."""
        return self.updates / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """A latency percentile of phase 2, in ms."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class ReplyWatch:
    """Matches each offered update to the first message the bot sends to that chat afterwards."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.waiting: dict[int, list[tuple[float, asyncio.Future]]] = {}
        self.answers = 0
        api.listeners.append(self._seen)

    def expect(self, chat_id: int) -> asyncio.Future:
        """A future resolved with the latency (ms) of the next message the bot sends to `chat_id`."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(chat_id, []).append((time.monotonic(), future))
        return future

    def _seen(self, call: Call) -> None:
        if call.method != "sendMessage":
            return
        queue = self.waiting.get(call.params.get("chat_id"))
        if queue:
            offered, future = queue.pop(0)
            if not future.done():
                future.set_result((call.at - offered) * 1000)
                self.answers += "一次性告知" in call.params.get("text", "")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return psutil.Process(pid).memory_info().rss / 2**20


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def bench_bot(name: str, api: FakeBotAPI, args: list[str], env: dict[str, str], *, warm_up: bool) -> Figures:
    """Start one bot process, load it, measure it, stop it."""
    figures = Figures(name)
    before_polls = len(api.calls_of("getUpdates"))
    child = await asyncio.create_subprocess_exec(sys.executable, __file__, *args, env={**os.environ, **env}, cwd=str(ROOT))
    process = psutil.Process(child.pid)
    try:
        await api.wait_for(lambda: len(api.calls_of("getUpdates")) > before_polls, 60, f"{name} to start polling")
        watch = ReplyWatch(api)
        base = 100_000 if name == "echo" else 200_000
        users = [base + i for i in range(CITIZENS)]
        if warm_up:  # first contact carries the privacy notice; not what we measure
            futures = [watch.expect(user) for user in users]
            await api.push(*(api.message(user, "你好") for user in users))
            await asyncio.wait_for(asyncio.gather(*futures), 60)
            await asyncio.sleep(REFILL_SECONDS)  # let the per-chat pacing window of the greeting pass
            watch.waiting.clear()

        # phase 1: everything queued at once, replies counted until the last arrives
        cpu0, start = _cpu(process), time.monotonic()
        futures = []
        updates = []
        for round_ in range(QUESTIONS_EACH):
            for i, user in enumerate(users):
                futures.append(watch.expect(user))
                updates.append(api.message(user, QUESTIONS[(i + round_) % len(QUESTIONS)]))
        await api.push(*updates)
        await asyncio.wait_for(asyncio.gather(*futures), 90)
        figures.seconds = time.monotonic() - start
        figures.updates = len(updates)
        figures.cpu_ms_per_update = (_cpu(process) - cpu0) * 1000 / len(updates)
        figures.full_answers = watch.answers
        await asyncio.sleep(REFILL_SECONDS)
        watch.waiting.clear()

        # phase 2: a steady 50 updates/s, round-robin over the citizens (each asks every 4 s)
        futures = []
        count = int(LATENCY_RATE * LATENCY_SECONDS)
        start = time.monotonic()
        for n in range(count):
            target = start + n / LATENCY_RATE
            delay = target - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            user = users[n % len(users)]
            futures.append(watch.expect(user))
            await api.push(api.message(user, QUESTIONS[n % len(QUESTIONS)]))
        figures.achieved_rate = count / (time.monotonic() - start)
        figures.latencies_ms = list(await asyncio.wait_for(asyncio.gather(*futures), 60))
        figures.latency_updates = count
        figures.peak_rss_mb = _peak_rss_mb(child.pid)
    finally:
        api.listeners.clear()
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.wait(), 15)
            except TimeoutError:
                child.kill()
                await child.wait()
    return figures


async def bench_engine_only(database: str) -> dict:
    """Run the engine-only child and read its figures."""
    import json

    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "engine", database, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT)
    )
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    return json.loads(out.decode().strip().splitlines()[-1])


def report(ours: Figures, echo: Figures, engine: dict) -> None:
    """Print both rows and the ratios."""
    print(
        f"\nTelegram load: {CITIZENS} citizens × {QUESTIONS_EACH} knowledge-base questions (phase 1), "
        f"{LATENCY_RATE:.0f} updates/s for {LATENCY_SECONDS:.0f} s (phase 2); fake Bot API on loopback; SQLite"
    )
    print(
        f"limits during the bench: per chat {BENCH_LIMITS['CONSULT_TELEGRAM_RATE_PER_CHAT_SECONDS']} s (burst {PER_CHAT_BURST}), "
        f"overall cap raised to {BENCH_LIMITS['CONSULT_TELEGRAM_RATE_OVERALL_PER_SECOND']}/s; the echo bot has no pacing"
    )
    print(
        f"per-chat pacing alone keeps our phase 1 at ≥ {PACING_FLOOR_SECONDS:.0f} s, i.e. ≤ "
        f"{CITIZENS * QUESTIONS_EACH / PACING_FLOOR_SECONDS:.0f} updates/s\n"
    )
    header = f"{'bot':<10}{'updates/s':>12}{'CPU ms/update':>16}{'p50 ms':>10}{'p99 ms':>10}{'peak RSS MB':>14}{'offered/s':>12}"
    print(header)
    print("-" * len(header))
    for row in (ours, echo):
        print(
            f"{row.name:<10}{row.per_second:>12.1f}{row.cpu_ms_per_update:>16.2f}{row.percentile(50):>10.1f}"
            f"{row.percentile(99):>10.1f}{row.peak_rss_mb:>14.1f}{row.achieved_rate:>12.1f}"
        )
    print()
    print(f"phase 1 replies that were complete knowledge-base answers: {ours.full_answers}/{ours.updates}")
    print(f"throughput ours/echo : {ours.per_second / echo.per_second:.2f}  (target ≥ 0.50)")
    print(f"CPU per update ours/echo: {ours.cpu_ms_per_update / echo.cpu_ms_per_update:.2f}")
    print(
        f"p99 latency ours/echo: {ours.percentile(99) / echo.percentile(99):.2f}; ours p99 {ours.percentile(99):.1f} ms (target < 250 ms)"
    )
    print(f"peak RSS ours/echo   : {ours.peak_rss_mb / echo.peak_rss_mb:.2f}")
    print(
        f"\nfor reference, the dialog engine alone (same questions, no Telegram, 256 concurrent turns): "
        f"{engine['per_second']:.1f} turns/s, {engine['cpu_ms']:.2f} CPU ms/turn"
    )


async def drive() -> None:
    """Run both bots against one fake Bot API and print the figures."""
    api = await FakeBotAPI().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            database = str(Path(folder) / "bench.db")
            ours = await bench_bot("consult", api, ["ours", api.base_url, database], BENCH_LIMITS, warm_up=True)
            echo = await bench_bot("echo", api, ["echo", api.base_url], {}, warm_up=True)
            engine = await bench_engine_only(str(Path(folder) / "engine.db"))
        report(ours, echo, engine)
    finally:
        await api.stop()


def main() -> None:
    """`telegram_load.py` drives the bench; `ours`/`echo` are the child processes it starts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="drive", choices=["drive", "ours", "echo", "engine"])
    parser.add_argument("base_url", nargs="?")
    parser.add_argument("database", nargs="?")
    args = parser.parse_args()
    if args.role == "ours" and os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("asyncio.run(run_our_bot(args.base_url, args.database))", globals(), locals(), os.environ["BENCH_PROFILE"])
    elif args.role == "ours":
        asyncio.run(run_our_bot(args.base_url, args.database))
    elif args.role == "engine":
        asyncio.run(run_engine_only(args.base_url))
    elif args.role == "echo":
        asyncio.run(run_echo_bot(args.base_url))
    else:
        asyncio.run(asyncio.wait_for(drive(), TIME_LIMIT))


if __name__ == "__main__":
    main()
