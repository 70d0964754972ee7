"""The daily supervisor digest: sent at the configured local time, once per date, whatever restarts happen."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.office import digest
from bot.storage.models import OutboxMessage
from tests.conftest import Citizen, local
from tests.fakes.recording import RecordingChannel
from tests.survey_helpers import add_staff, file_complaint


def _app(settings_factory, clock, **overrides) -> tuple[App, RecordingChannel]:
    app = App(settings_factory(**overrides), clock)
    log = RecordingChannel("log")  # supervisors without Telegram/WeChat get staff messages through the log channel
    app.add_channel(log)
    app.add_channel(RecordingChannel("console"))
    return app, log


def _digests(channel: RecordingChannel) -> list:
    return [s for s in channel.sent if s.kind == "digest"]


async def test_digest_goes_to_each_supervisor_once_a_day_even_across_restarts(settings_factory, clock):
    app, log = _app(settings_factory, clock)
    try:
        await add_staff(app, "王主任", role="supervisor")
        await add_staff(app, "赵主任", role="supervisor", department="办公室")
        await add_staff(app, "李明")
        alice = Citizen(app)
        await alice.say("我要投诉")
        await file_complaint(alice)
        clock.set(local(2026, 12, 2, 8, 29))
        assert await digest.tick(app) == 0
        clock.set(local(2026, 12, 2, 8, 30))
        assert await digest.tick(app) == 2
        sent = _digests(log)
        assert len(sent) == 2 and len({s.recipient for s in sent}) == 2
        text = sent[0].texts[0]
        assert "每日服务简报" in text and "2026-12-01" in text and "受理 1 件" in text and "未办结 1 件" in text
        clock.set(local(2026, 12, 2, 9, 30))
        assert await digest.tick(app) == 0
    finally:
        await app.close()

    again, log_again = _app(settings_factory, clock)
    try:
        assert await digest.tick(again) == 0, "a restart on the same day sends nothing twice"
        assert not _digests(log_again)
        clock.set(local(2026, 12, 3, 8, 30))
        assert await digest.tick(again) == 2
        async with again.sessions() as session:
            keys = sorted(r.dedup_key for r in await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")))
        assert len(keys) == 4 and keys[0].startswith("digest:2026-12-02:")
    finally:
        await again.close()


async def test_digest_time_is_configurable(settings_factory, clock):
    app, log = _app(settings_factory, clock, digest_time="07:00")
    try:
        await add_staff(app, "王主任", role="supervisor")
        clock.set(local(2026, 12, 2, 6, 59))
        assert await digest.tick(app) == 0
        clock.set(local(2026, 12, 2, 7, 0))
        assert await digest.tick(app) == 1
        assert len(_digests(log)) == 1
    finally:
        await app.close()
