"""Staff act from the command line; messages reach citizens only through a process that has their channel."""

from __future__ import annotations

import asyncio
import io
import os

from sqlalchemy import select

from bot.app import App
from bot.channels.console import ConsoleChannel, chat
from bot.office import casework
from bot.storage.models import OutboxMessage
from tests.cli.test_cli import db_env, run
from tests.conftest import Citizen
from tests.helpers import add_staff


def test_a_cli_reply_is_queued_not_printed_and_the_citizen_s_next_chat_shows_it(db_env):
    assert run(["chat", "--user", "alice"], stdin="转人工\n", env=db_env).returncode == 0
    assert run(["staff", "add", "--name", "李明", "--role", "staff", "--title", "窗口工作人员"], env=db_env).returncode == 0

    replied = run(["cases", "reply", "ZX-20261201-0001", "可以代办，请携带委托书", "--as", "李明"], env=db_env)
    if replied.returncode != 0 and "no case" in replied.stderr:  # the clock is real here: find today's number
        number = run(["cases", "list", "--json"], env=db_env).stdout.split('"number": "')[1][:16]
        replied = run(["cases", "reply", number, "可以代办，请携带委托书", "--as", "李明"], env=db_env)
    assert replied.returncode == 0, replied.stderr
    assert "可以代办" not in replied.stdout + replied.stderr, "the staff member's terminal is not the citizen's chat"

    someone_else = run(["chat", "--user", "bob"], stdin="", env=db_env)
    assert "可以代办" not in someone_else.stdout, "another console citizen does not get it"
    later = run(["chat", "--user", "alice"], stdin="", env=db_env)
    assert "【窗口工作人员】可以代办，请携带委托书" in later.stdout, "it waited for alice's next chat"
    again = run(["chat", "--user", "alice"], stdin="", env=db_env)
    assert "可以代办" not in again.stdout, "and is shown once"


async def test_a_staff_reply_appears_in_a_running_chat_without_the_citizen_typing(settings_factory, clock):
    app = App(settings_factory(), clock, echo_alerts=False)
    out = io.StringIO()
    app.channels["console"] = ConsoleChannel(out)
    app.dispatcher.serve_only(set(), console_user="alice", staff=False)
    reader, writer = os.pipe()
    stdin = os.fdopen(reader, "r", encoding="utf-8")
    try:
        staff = await add_staff(app, "李明", title="窗口工作人员")
        await Citizen(app).say("转人工")
        running = asyncio.create_task(chat(app, "alice", None, stdin=stdin, stdout=out))
        async with app.sessions() as session, session.begin():
            await casework.reply(session, app.services, "ZX-20261201-0001", staff, "请问您方便几点来窗口？", clock.now())
        for _ in range(300):  # bounded wait for the chat's own delivery loop (it polls about once a second)
            if "请问您方便几点来窗口" in out.getvalue():
                break
            await asyncio.sleep(0.01)
        assert "【窗口工作人员】请问您方便几点来窗口？" in out.getvalue()
        os.close(writer)
        await asyncio.wait_for(running, 5)
        async with app.sessions() as session:
            assert await session.scalar(select(OutboxMessage.status).where(OutboxMessage.kind == "staff_reply")) == "sent"
    finally:
        await app.close()
