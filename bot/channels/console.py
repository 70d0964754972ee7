"""The console channel: a citizen chat in the terminal (interactive or piped), and where staff alerts land locally."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, TextIO

from bot.channels.render import as_plain_text
from bot.core.messages import Inbound, Reply
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
            print(f"bot> {text}\n", file=self.out, flush=True)


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


async def chat(app, user: str, lang: str | None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
    """Talk to the bot line by line until end of input; numbered choices are answered by typing the number."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    if interactive:
        print(both("console_banner") + "\n", file=stdout)
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        inbound = Inbound(channel="console", user_id=user, text=line.rstrip("\n"), lang_hint=lang)
        result = await app.engine.handle(inbound)
        for text in as_plain_text(result.replies, CONSOLE_LIMIT):
            print(f"bot> {text}\n", file=stdout, flush=True)
        await app.tick_outbox()
