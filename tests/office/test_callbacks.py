"""回访 as a staff action: recorded with its outcome and audited, required before a rectification closes, reminded by the ladder."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.__main__ import main
from bot.app import App
from bot.office import callbacks, casework, report, sla, staff_verbs
from bot.storage.models import AuditEvent, Case, OutboxMessage
from bot.storage.supervision_models import Callback
from tests.conftest import Citizen, local
from tests.survey_helpers import add_staff, file_complaint, offered, resolve, survey_messages


async def _bad_review(app) -> tuple[str, str]:
    """A complaint resolved by 李明 and rated 非常不满意: (its number, the rectification's number)."""
    await add_staff(app, "李明")
    await add_staff(app, "王主任", role="supervisor", department="综合科")
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    app.clock.advance(hours=1)
    await resolve(app, number, "李明")
    app.clock.advance(days=1)
    await app.tick_outbox()
    [sent] = survey_messages(app.channels["console"])
    await alice.tap(offered(sent)[4][1])
    async with app.sessions() as session:
        rect = await session.scalar(select(Case).where(Case.type == "rectification"))
    return number, rect.number


async def _perform(app, name: str, act: staff_verbs.Act):
    async with app.sessions() as session, session.begin():
        staff = await casework.require_staff(session, name=name)
        return await staff_verbs.perform(session, app.services, staff, act, app.clock.now())


async def test_rectification_cannot_be_resolved_before_a_call_back_is_recorded(app):
    _, rect = await _bad_review(app)
    app.clock.advance(days=2)
    try:
        await resolve(app, rect, "王主任", "已整改")
        raise AssertionError("resolved without a 回访")
    except casework.CaseActionError as exc:
        assert "回访" in str(exc) and rect in str(exc)
    # an unreached attempt is still a recorded 回访 (with its note), and lets the case close
    await _perform(app, "王主任", staff_verbs.Act("callback", rect.lower(), text="两次电话无人接听", outcome="unreached"))
    await resolve(app, rect, "王主任", "已整改")
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == rect))
        trail = [(e.actor, e.action, e.detail) for e in await session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))]
    assert case.status == "resolved"
    assert ("staff:王主任", "callback", "未联系上，两次电话无人接听") in trail


async def test_call_back_verb_checks_its_fields_and_who_may_use_it(app):
    _, rect = await _bad_review(app)
    for act, refusal in (
        (staff_verbs.Act("callback", rect, outcome="maybe"), "reached|unreached"),
        (staff_verbs.Act("callback", rect, outcome="reached", satisfied="perhaps"), "yes"),
        (staff_verbs.Act("callback", rect, outcome="unreached", satisfied="yes"), "未联系上"),
    ):
        try:
            await _perform(app, "王主任", act)
            raise AssertionError(f"accepted {act}")
        except casework.CaseActionError as exc:
            assert refusal in str(exc)
    try:  # 李明 is staff and the rectification is 王主任's
        await _perform(app, "李明", staff_verbs.Act("callback", rect, outcome="reached", satisfied="yes"))
        raise AssertionError("a colleague recorded a 回访 on someone else's case")
    except casework.CaseActionError as exc:
        assert "王主任" in str(exc)
    async with app.sessions() as session:
        assert list(await session.scalars(select(Callback))) == []


def test_cases_callback_command_records_and_shows_it(settings_factory, clock, database_url, monkeypatch, capsys):
    import asyncio

    from tests.fakes.recording import RecordingChannel

    async def prepare_with_console() -> str:
        app = App(settings_factory(), clock)
        app.add_channel(RecordingChannel("console"))
        try:
            return (await _bad_review(app))[1]
        finally:
            await app.close()

    rect = asyncio.run(prepare_with_console())
    monkeypatch.setenv("CONSULT_DATABASE_URL", database_url)
    args = [
        "cases",
        "callback",
        rect,
        "--outcome",
        "reached",
        "--satisfied",
        "yes",
        "--note",
        "市民认可，电话13812345678",
        "--as",
        "王主任",
    ]
    assert main(args) == 0
    try:
        main(["cases", "callback", rect, "--outcome", "sometimes", "--as", "王主任"])
        raise AssertionError("accepted an unknown outcome")
    except SystemExit as exit_:
        assert exit_.code == 2
    capsys.readouterr()
    assert main(["cases", "show", rect, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    [line] = [m for m in shown["messages"] if m["text"].startswith("回访")]
    assert line["author"] == "王主任" and "已联系上" in line["text"] and "市民表示满意" in line["text"]
    assert "13812345678" not in line["text"] and "138****5678" in line["text"]


async def test_ladder_reminds_when_a_rectification_has_no_call_back(app):
    _, rect = await _bad_review(app)
    # the rectification opened on Wed 2026-12-02; three working days later is the end of Mon 12-07
    app.clock.set(local(2026, 12, 7, 23, 0))
    async with app.sessions() as session, session.begin():
        await sla.sweep(session, app.services, app.clock.now())
    assert await _callback_alerts(app) == []
    app.clock.set(local(2026, 12, 8, 0, 1))
    async with app.sessions() as session, session.begin():
        await sla.sweep(session, app.services, app.clock.now())
    alerts = await _callback_alerts(app)
    assert len(alerts) == 1 and rect in alerts[0].payload["replies"][0]["text"] and "回访" in alerts[0].payload["replies"][0]["text"]


async def test_ladder_stays_quiet_when_the_call_back_came_in_time(app):
    _, rect = await _bad_review(app)
    app.clock.advance(days=1)
    await _perform(app, "王主任", staff_verbs.Act("callback", rect, outcome="reached", satisfied="no", text="仍有意见"))
    app.clock.set(local(2026, 12, 8, 9, 0))
    async with app.sessions() as session, session.begin():
        await sla.sweep(session, app.services, app.clock.now())
    assert await _callback_alerts(app) == []


async def _callback_alerts(app) -> list[OutboxMessage]:
    async with app.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "alert", OutboxMessage.payload["level"].as_string() == "callback")
        return list(await session.scalars(query))


async def test_paused_days_move_the_deadline_so_a_late_looking_resolution_is_on_time(app):
    """A complaint (10 working days) opened Tue 12-01, due end of Tue 12-15; paused Wed 12-02 → resumed Fri 12-04 (2 working days),
    so due end of Thu 12-17; resolved Wed 12-16 15:00 — after the first deadline, on time by the moved one."""
    await add_staff(app, "李明")
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    await _perform(app, "李明", staff_verbs.Act("take", number))
    app.clock.set(local(2026, 12, 2, 10, 0))
    await _perform(app, "李明", staff_verbs.Act("wait", number, text="请补充发票照片"))
    app.clock.set(local(2026, 12, 4, 10, 0))
    await _perform(app, "李明", staff_verbs.Act("resume", number))
    app.clock.set(local(2026, 12, 16, 15, 0))
    await _perform(app, "李明", staff_verbs.Act("resolve", number, text="已退费"))
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        data = await report.build(session, app.services, local(2026, 12, 1).date(), local(2026, 12, 31).date(), local(2026, 12, 31, 9))
    assert case.due_at.astimezone(local(2026, 1, 1).tzinfo).date().isoformat() == "2026-12-17"
    assert (data["overall"]["resolved"], data["overall"]["on_time"], data["overall"]["on_time_rate"]) == (1, 1, 1.0)
    [decided] = [d for d in data["daily"] if d["deadlines"]]
    assert (decided["day"], decided["on_time"], decided["resolved"]) == ("2026-12-16", 1, 1)


def test_describe_reads_like_the_ledger():
    reached = Callback(outcome="reached", satisfied=True, note="认可整改")
    assert callbacks.describe(reached) == "已联系上，市民表示满意，认可整改"
    assert callbacks.describe(Callback(outcome="unreached", satisfied=None, note="")) == "未联系上"
