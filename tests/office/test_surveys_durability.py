"""Durable scheduling: restarts lose nothing and send nothing twice; two dispatchers on PostgreSQL never share a row."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app import App
from bot.core.messages import Reply
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue, unknown_rows
from bot.storage.models import OutboxMessage
from tests.conftest import Citizen
from tests.fakes.recording import RecordingChannel
from tests.survey_helpers import add_staff, file_complaint, resolve, survey_messages, survey_of


async def _app(settings_factory, clock) -> tuple[App, RecordingChannel]:
    app = App(settings_factory(), clock)
    console = RecordingChannel("console")
    app.add_channel(console)
    return app, console


async def test_restart_mid_dispatch_marks_the_claimed_row_unknown_and_sends_nothing_twice(settings_factory, clock):
    first, console = await _app(settings_factory, clock)
    await add_staff(first, "李明")
    numbers = []
    for user in ("alice", "bob", "carol"):
        citizen = Citizen(first, user)
        await citizen.say("我要投诉")
        numbers.append(await file_complaint(citizen))
    await first.tick_outbox()
    for number in numbers[:2]:
        await resolve(first, number, "李明")
    clock.advance(hours=2)
    await resolve(first, numbers[2], "李明")
    await first.tick_outbox()
    clock.advance(days=1, minutes=1)
    claimed = await first.dispatcher.claim(2)  # alice's and bob's surveys are claimed ...
    await first.close()  # ... and the process dies before sending them
    assert not survey_messages(console, "alice") and not survey_messages(console, "bob")

    clock.advance(seconds=first.settings.outbox_lease_seconds + 1)
    second, console2 = await _app(settings_factory, clock)
    try:
        assert await second.recover_orphans() == 2
        await second.tick_outbox()
        clock.advance(hours=2)
        await second.tick_outbox()
        assert not survey_messages(console2, "alice") and not survey_messages(console2, "bob"), "never re-sent blindly"
        [carol] = survey_messages(console2, "carol")
        assert numbers[2] in carol.texts[0], "the row not yet due at the crash went out after the restart"
        async with second.sessions() as session:
            listed = await unknown_rows(session)
        assert {row.case_id for row in listed} == {row.case_id for row in claimed} and len(listed) == 2
        assert all(row.kind == "survey" for row in listed)

        third, console3 = await _app(settings_factory, clock)
        try:
            await third.recover_orphans()
            await third.tick_outbox()
            assert not console3.sent, "a second restart sends nothing already handled"
        finally:
            await third.close()
        assert (await survey_of(second, numbers[0])).status == "pending", "not marked sent: staff verify it"
    finally:
        await second.close()


async def test_pending_surveys_survive_a_restart(settings_factory, clock):
    first, _ = await _app(settings_factory, clock)
    await add_staff(first, "李明")
    alice = Citizen(first)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    await resolve(first, number, "李明")
    await first.close()
    clock.advance(days=1)
    second, console = await _app(settings_factory, clock)
    try:
        await second.recover_orphans()
        await second.tick_outbox()
        [sent] = survey_messages(console)
        assert number in sent.texts[0]
        await second.tick_outbox()
        assert len(survey_messages(console)) == 1
    finally:
        await second.close()


async def test_two_dispatchers_on_postgres_claim_disjoint_sets_and_lose_nothing(settings_factory, clock, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("concurrent dispatchers need PostgreSQL (SQLite runs one dispatcher)")
    one, console_one = await _app(settings_factory, clock)
    two, console_two = await _app(settings_factory, clock)
    one.dispatcher.worker, two.dispatcher.worker = "worker-one", "worker-two"
    try:
        now = clock.now()
        async with one.sessions() as session, session.begin():
            for i in range(600):
                notice = Notice(NoticeKind.SURVEY, "console", f"citizen-{i}", (Reply(f"survey {i}"),), f"survey:{i}:followup")
                await enqueue(session, notice, due_at=now, now=now)
        handled = await asyncio.gather(one.dispatcher.run_once(batch=25), two.dispatcher.run_once(batch=25))
        got_one = {s.recipient for s in console_one.sent}
        got_two = {s.recipient for s in console_two.sent}
        assert sum(handled) == 600
        assert not got_one & got_two, "no survey sent by both"
        assert got_one | got_two == {f"citizen-{i}" for i in range(600)}, "nothing lost"
        assert len(console_one.sent) + len(console_two.sent) == 600
        async with one.sessions() as session:
            rows = list(await session.scalars(select(OutboxMessage)))
        assert {r.status for r in rows} == {"sent"}
        assert {r.claimed_by for r in rows if r.recipient in got_one} == {"worker-one"}
    finally:
        await one.close()
        await two.close()
