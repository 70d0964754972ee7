"""Outbox delivery semantics (retry, failure seen by staff, orphan → unknown) and retention of personal data."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from bot.core.messages import Reply
from bot.delivery import outbox
from bot.delivery.channel import DeliveryError
from bot.delivery.notices import Notice, NoticeKind
from bot.office import casework
from bot.storage.models import Case, ConversationMessage, OutboxMessage
from bot.storage.models import Citizen as CitizenRow
from tests.conftest import Citizen, local
from tests.fakes.recording import RecordingChannel
from tests.helpers import add_staff, file_complaint


async def _queue(app, key="k1", channel="console", recipient="alice"):
    async with app.sessions() as session, session.begin():
        now = app.clock.now()
        inserted = await outbox.enqueue(
            session, Notice(NoticeKind.CASE_UPDATE, channel, recipient, (Reply("hello"),), key), due_at=now, now=now
        )
    return inserted


async def test_dedup_key_makes_a_second_enqueue_a_no_op_and_rows_send_once(app):
    assert await _queue(app) is True
    assert await _queue(app) is False
    await app.tick_outbox()
    await app.tick_outbox()
    assert app.channels["console"].to("alice") == ["hello"]


async def test_transient_failure_is_retried_later_then_sent(app, clock):
    console = app.channels["console"]
    console.fail_with = DeliveryError("timeout", permanent=False)
    await _queue(app)
    await app.tick_outbox()
    console.fail_with = None
    await app.tick_outbox()
    assert console.to("alice") == [], "not due again yet"
    clock.advance(minutes=1)
    await app.tick_outbox()
    assert console.to("alice") == ["hello"]


async def test_permanent_failure_is_recorded_and_staff_are_told(app):
    app.add_channel(RecordingChannel("log"))
    await add_staff(app, "王主任", role="supervisor")
    alice = Citizen(app)
    await alice.say("转人工")
    staff = await add_staff(app, "李明")
    app.channels["console"].fail_with = DeliveryError("unreachable: blocked the bot", permanent=True)
    async with app.sessions() as session, session.begin():
        await casework.reply(session, app.services, "ZX-20261201-0001", staff, "您好", app.clock.now())
    await app.tick_outbox()
    await app.tick_outbox()  # the next tick delivers the alert the failure raised
    async with app.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "staff_reply"))
        citizen = await session.scalar(select(CitizenRow))
    assert row.status == "failed" and "blocked" in row.error
    assert citizen.unreachable is True
    warned = [s for s in app.channels["log"].sent if s.payload["level"] == "delivery_failed"]
    assert {s.recipient for s in warned} == {"李明(staff)", "王主任(supervisor)"}
    assert "您好" in warned[0].texts[0]


async def test_row_orphaned_mid_send_becomes_unknown_and_is_never_resent(settings_factory, clock):
    first = App(settings_factory(), clock)
    first.add_channel(RecordingChannel("console"))
    await _queue(first)
    claimed = await first.dispatcher.claim(10)
    assert len(claimed) == 1  # the process "dies" here, before it could send or confirm
    await first.close()
    second = App(settings_factory(), clock)
    second.add_channel(RecordingChannel("console"))
    second.add_channel(RecordingChannel("log"))
    await add_staff(second, "王主任", role="supervisor")
    assert await second.recover_orphans() == 0, "still within the lease: maybe the other process is sending"
    clock.advance(minutes=10)
    assert await second.recover_orphans() == 1
    await second.tick_outbox()
    assert second.channels["console"].sent == []
    async with second.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.CASE_UPDATE))
    assert row.status == "unknown"
    assert any(s.payload["level"] == "outbox_unknown" for s in second.channels["log"].sent)
    await second.close()


async def test_retention_purge_removes_old_history_and_anonymises_old_closed_cases(app, clock):
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice, phone="13812345678")
    staff = await add_staff(app, "李明")
    async with app.sessions() as session, session.begin():
        await casework.take(session, app.services, number, staff, clock.now())
        await casework.resolve(session, app.services, number, staff, "已处理", clock.now())
        await casework.close(session, number, "system", clock.now())
    clock.advance(days=app.settings.retention_days - 1)
    await alice.say("你好")
    await app.purge()
    async with app.sessions() as session:
        assert (await session.scalar(select(Case))).anonymised is False
    clock.advance(days=2)
    await app.purge()
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
        remaining = await session.scalar(select(func.count()).select_from(ConversationMessage))
    assert case.anonymised and case.phone is None and "态度" not in case.description
    assert remaining == 3, "only the recent greeting and its two answers remain"


async def test_a_deadline_in_a_year_without_holiday_data_alerts_supervisors(app, clock):
    app.add_channel(RecordingChannel("log"))
    await add_staff(app, "王主任", role="supervisor")
    clock.set(local(2026, 12, 24, 10, 0))  # ten working days later is in 2027, which chinesecalendar does not know
    alice = Citizen(app)
    await alice.say("我要投诉")
    await file_complaint(alice)
    await app.tick_outbox()
    levels = [s.payload["level"] for s in app.channels["log"].sent]
    assert "calendar_missing" in levels
    text = next(s.texts[0] for s in app.channels["log"].sent if s.payload["level"] == "calendar_missing")
    assert "2027" in text and "workdays.yaml" in text
