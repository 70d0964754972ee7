"""The console channel: a citizen chat in the terminal (interactive or piped), and where staff alerts land locally."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any, TextIO

from bot.channels.render import as_plain_text
from bot.core.messages import Inbound, Reply
from bot.core.printable import printable
from bot.core.texts import both, staff_text
from bot.delivery.notices import NoticeKind

log = logging.getLogger(__name__)

CONSOLE_LIMIT = 100_000


class ConsoleChannel:
    """Prints proactive messages for console citizens (staff replies, case updates, surveys)."""

    name = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    async def send(self, recipient: str, replies: list[Reply], *, kind: NoticeKind, payload: dict[str, Any]) -> None:
        """Print the message for the console user."""
        for text in as_plain_text(replies, CONSOLE_LIMIT):
            print(f"bot> {printable(text)}\n", file=self.out, flush=True)


class LogChannel:
    """Alerts for staff who have no messaging channel: a log line (and stderr in console chat)."""

    name = "log"

    def __init__(self, echo: TextIO | None = None) -> None:
        self.echo = echo

    async def send(self, recipient: str, replies: list[Reply], *, kind: NoticeKind, payload: dict[str, Any]) -> None:
        """Write the alert to the log."""
        for reply in replies:
            if self.echo is not None:
                print(staff_text("console_alert", recipient=recipient, text=reply.text) + "\n", file=self.echo, flush=True)
            else:
                log.warning("ALERT to %s: %s", recipient, reply.text.replace("\n", " | "))


# how often a running chat looks for staff replies, case updates and surveys queued for its citizen
PROACTIVE_POLL_SECONDS = 1.0


def _lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Lines from stdin, read by a daemon thread so Ctrl-C never waits for the next Enter."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        try:
            for line in iter(stdin.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return queue


async def _deliver_while_open(app, closing: asyncio.Event) -> None:
    """Pass after pass until the chat closes; a pass is never cut off mid-send (that would orphan its row)."""
    while not closing.is_set():
        try:
            await app.tick_outbox()
        except Exception:  # a failed pass must not end the chat; the next one retries
            log.exception("console: delivering queued messages failed")
        try:
            await asyncio.wait_for(closing.wait(), PROACTIVE_POLL_SECONDS)
        except TimeoutError:
            pass


async def chat(app, user: str, lang: str | None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
    """Talk to the bot line by line until end of input; numbered choices are answered by typing the number.

    Staff replies, case updates and surveys for this citizen appear as they arrive, and those that arrived
    while no chat was open appear at the start.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    console = app.channels.get("console")
    if isinstance(console, ConsoleChannel):
        console.out = stdout
    if interactive:
        print(both("console_banner") + "\n", file=stdout)
    closing = asyncio.Event()
    delivering = asyncio.create_task(_deliver_while_open(app, closing))
    lines = _lines(stdin)
    try:
        while True:
            if interactive:
                print("you> ", end="", file=stdout, flush=True)
            line = await lines.get()
            if line is None:
                break
            inbound = Inbound(channel="console", user_id=user, text=printable(line.rstrip("\n")), lang_hint=lang)
            result = await app.engine.handle(inbound)
            for text in as_plain_text(result.replies, CONSOLE_LIMIT):
                print(f"bot> {text}\n", file=stdout, flush=True)
    finally:
        closing.set()
        await asyncio.gather(delivering, return_exceptions=True)
        await app.tick_outbox()  # what staff sent during the last turn
