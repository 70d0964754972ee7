"""The escalation ladder driven by a fake clock: 提醒, 催办, 督办, untaken handoffs, pauses — each alert once."""

from __future__ import annotations

from sqlalchemy import select

from bot.office import casework
from bot.storage.models import Case
from tests.conftest import Citizen, local
from tests.fakes.recording import RecordingChannel
from tests.helpers import add_staff, file_complaint


async def _setup(app):
    app.add_channel(RecordingChannel("log"))
    li = await add_staff(app, "李明")
    await add_staff(app, "王主任", role="supervisor")
    await add_staff(app, "张局长", role="leader")
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    async with app.sessions() as session, session.begin():
        await casework.take(session, app.services, number, li, app.clock.now())
    await app.tick_outbox()
    app.channels["log"].sent.clear()
    return number


def _alerts(app) -> list[tuple[str, str]]:
    return [(item.recipient, item.payload["level"]) for item in app.channels["log"].sent]


async def test_ladder_reminder_overdue_supervise_each_once(app, clock):
    number = await _setup(app)  # received Tue 12-01, due end of Tue 12-15
    clock.set(local(2026, 12, 14, 17, 0))
    await app.sweep()
    assert _alerts(app) == []
    clock.set(local(2026, 12, 15, 9, 0))
    await app.sweep()
    await app.sweep()
    assert _alerts(app) == [("李明(staff)", "reminder")]
    text = app.channels["log"].sent[0].texts[0]
    assert number in text and "李明" in text and "2026-12-15 23:59" in text
    clock.set(local(2026, 12, 16, 0, 0, 1))
    await app.sweep()
    assert _alerts(app)[1:] == [("王主任(supervisor)", "overdue")]
    clock.set(local(2026, 12, 18, 23, 0))  # two working days late: not yet 督办
    await app.sweep()
    assert len(_alerts(app)) == 2
    clock.set(local(2026, 12, 19, 0, 0, 1))  # three working days late
    for _ in range(3):
        await app.sweep()
    assert _alerts(app)[2:] == [("张局长(leader)", "supervise")]


async def test_pause_stops_the_clock_and_resume_extends_the_due_date(app, clock):
    number = await _setup(app)
    li_name = "李明"
    clock.set(local(2026, 12, 3, 10, 0))
    async with app.sessions() as session, session.begin():
        staff = await casework.require_staff(session, name=li_name)
        await casework.wait_for_citizen(session, app.services, number, staff, "请补充办事日期", clock.now())
    clock.set(local(2026, 12, 15, 9, 0))
    await app.sweep()
    assert _alerts(app) == [], "a paused case does not escalate"
    clock.set(local(2026, 12, 15, 10, 0))
    await Citizen(app).say("是11月28日")
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
    # paused Thu 12-03 → Tue 12-15: 8 working days (12-04 … 12-15) added to the 12-15 deadline
    assert case.status == "in_progress"
    assert case.due_at.astimezone(local(2026, 1, 1).tzinfo).date().isoformat() == "2026-12-25"
    clock.set(local(2026, 12, 25, 9, 0))
    await app.sweep()
    assert _alerts(app) == [("李明(staff)", "reminder")]


async def test_untaken_handoff_alerts_supervisors_in_office_time(app, clock):
    app.add_channel(RecordingChannel("log"))
    await add_staff(app, "王主任", role="supervisor")
    clock.set(local(2026, 12, 4, 16, 50))  # Friday, ten minutes before closing
    await Citizen(app).say("转人工")
    clock.set(local(2026, 12, 4, 23, 0))
    await app.sweep()
    assert _alerts(app) == []
    clock.set(local(2026, 12, 7, 9, 19))  # 10 minutes on Friday + 19 on Monday
    await app.sweep()
    assert ("王主任(supervisor)", "unassigned") not in _alerts(app)
    assert _alerts(app) == [("王主任(supervisor)", "reminder")], "due today with nobody on it: the supervisor is reminded"
    clock.set(local(2026, 12, 7, 9, 21))
    await app.sweep()
    await app.sweep()
    assert _alerts(app)[1:] == [("王主任(supervisor)", "unassigned")]


async def test_new_complaint_alert_masks_the_phone(app):
    app.add_channel(RecordingChannel("log"))
    await add_staff(app, "王主任", role="supervisor")
    alice = Citizen(app)
    await alice.say("我要投诉")
    await file_complaint(alice, text="工作人员态度差，请回电13812345678", phone="13812345678")
    await app.tick_outbox()
    [alert] = app.channels["log"].sent
    assert alert.payload["level"] == "new_complaint"
    assert "138****5678" in alert.texts[0] and "13812345678" not in alert.texts[0]
