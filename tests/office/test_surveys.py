"""Transcripts of a survey's whole life: rating, comment, reminder, unrated close, bad review → rectification → call-back."""

from __future__ import annotations

from sqlalchemy import select

from bot.office import callbacks, casework, surveys
from bot.office.privacy import forget_citizen
from bot.storage.models import AuditEvent, Case, OutboxMessage
from bot.storage.models import Citizen as CitizenRow
from bot.storage.survey_models import Survey
from tests.conftest import Citizen
from tests.survey_helpers import add_staff, case_by_number, file_complaint, offered, resolve, survey_messages, survey_of


async def _resolved_complaint(app, citizen=None) -> str:
    await add_staff(app, "李明")
    alice = citizen or Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    app.clock.advance(hours=1)
    await resolve(app, number, "李明")
    await app.tick_outbox()
    return number


async def test_good_rating_then_comment_closes_the_case(app):
    console = app.channels["console"]
    alice = Citizen(app)
    number = await _resolved_complaint(app, alice)
    assert not survey_messages(console), "no survey before the delay"
    app.clock.advance(hours=23, minutes=59)
    await app.tick_outbox()
    assert not survey_messages(console)
    app.clock.advance(minutes=1)
    await app.tick_outbox()
    [sent] = survey_messages(console)
    assert number in sent.texts[0] and "评价" in sent.texts[0]
    labels = [label for label, _ in offered(sent)]
    assert labels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert all(value.startswith("sv:") and len(value.encode()) <= 40 for _, value in offered(sent))

    satisfied = offered(sent)[1][1]
    [thanks] = await alice.tap(satisfied)
    assert "感谢您的评价（满意）" in thanks and "跳过" in thanks
    [saved] = await alice.say("工作人员态度很好，办得很快")
    assert "意见已记录" in saved
    case = await case_by_number(app, number)
    survey = await survey_of(app, number)
    assert case.status == "closed"
    assert (survey.status, survey.rating, survey.comment) == ("answered", "satisfied", "工作人员态度很好，办得很快")

    [again] = await alice.tap(offered(sent)[4][1])
    assert "已评价" in again and "满意" in again
    assert (await survey_of(app, number)).rating == "satisfied", "a rating is accepted once"

    app.clock.advance(days=4)
    await app.tick_outbox()
    assert len(survey_messages(console)) == 1, "no reminder after an answer"
    async with app.sessions() as session:
        reminder = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("survey_reminder:")))
    assert reminder.status == "cancelled"


async def test_typed_number_rates_and_skip_ends_the_comment(app):
    alice = Citizen(app)
    number = await _resolved_complaint(app, alice)
    app.clock.advance(days=1)
    await app.tick_outbox()
    [thanks] = await alice.say("3")
    assert "基本满意" in thanks
    [done] = await alice.say("跳过")
    assert "感谢您的评价" in done
    survey = await survey_of(app, number)
    assert (survey.rating, survey.comment) == ("fairly_satisfied", None)
    greeting = await alice.say("你好")
    assert "您好" in greeting[0], "after the comment step the conversation is back to normal"


async def test_level_name_typed_in_english(app):
    bob = Citizen(app, "bob", lang="en")
    await add_staff(app, "李明")
    await bob.say("I want to complain")
    number = await file_complaint(bob, "The clerk at window 3 shouted at me and refused my form", english=True)
    app.clock.advance(hours=1)
    await resolve(app, number, "李明")
    app.clock.advance(days=1)
    await app.tick_outbox()
    [sent] = survey_messages(app.channels["console"], "bob")
    assert "How satisfied" in sent.texts[0]
    assert next(label for label, _ in offered(sent)) == "Very satisfied"
    [thanks] = await bob.say("Very satisfied!")
    assert "Thank you for your rating (Very satisfied)" in thanks


async def test_reminder_after_three_days_then_closed_as_unrated(app):
    console = app.channels["console"]
    alice = Citizen(app)
    number = await _resolved_complaint(app, alice)
    app.clock.advance(days=1)
    await app.tick_outbox()
    app.clock.advance(days=2, hours=23)
    await app.tick_outbox()
    assert len(survey_messages(console)) == 1
    app.clock.advance(hours=1)
    await app.tick_outbox()
    first, reminder = survey_messages(console)
    assert reminder.payload["reminder"] and "还没有对事项" in reminder.texts[0] and number in reminder.texts[0]
    assert offered(reminder) == offered(first), "the reminder carries the same five choices"
    assert (await survey_of(app, number)).status == "reminded"

    app.clock.advance(days=2, hours=23)
    assert await surveys.tick(app) == 0
    app.clock.advance(hours=1)
    assert await surveys.tick(app) == 1
    case, survey = await case_by_number(app, number), await survey_of(app, number)
    assert (case.status, survey.status, survey.rating) == ("closed", "unrated", None)
    app.clock.advance(days=10)
    await app.tick_outbox()
    assert len(survey_messages(console)) == 2, "one reminder only"
    [late] = await alice.tap(offered(first)[0][1])
    assert "回访已结束" in late


async def test_bad_review_opens_rectification_and_the_call_back_follows(app):
    console = app.channels["console"]
    supervisor = await add_staff(app, "王主任", role="supervisor", department="综合科")
    await add_staff(app, "赵主任", role="supervisor", department="办公室")
    alice = Citizen(app)
    number = await _resolved_complaint(app, alice)
    app.clock.advance(days=1)
    await app.tick_outbox()
    [sent] = survey_messages(console)
    [told] = await alice.tap(offered(sent)[4][1])
    assert "非常不满意" in told
    assert "ZG-20261202-0001" in told and "15个工作日" in told and "2026-12-23" in told
    [saved] = await alice.say("处理结果只是口头道歉，问题没解决")
    assert "意见已记录" in saved

    async with app.sessions() as session:
        original = await session.scalar(select(Case).where(Case.number == number))
        rect = await session.scalar(select(Case).where(Case.type == "rectification"))
        alerts = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "alert", OutboxMessage.payload["level"].as_string() == "rectification")
            )
        )
        trail = [e.action for e in await session.scalars(select(AuditEvent).where(AuditEvent.case_id == rect.id))]
    assert original.status == "closed"
    assert (rect.number, rect.linked_case_id, rect.assignee_id, rect.owner_id, rect.status) == (
        "ZG-20261202-0001",
        original.id,
        supervisor.id,
        supervisor.id,
        "assigned",
    )
    assert alerts and all(number in a.payload["replies"][0]["text"] for a in alerts)
    assert "citizen_comment" in trail

    app.clock.advance(days=5)
    async with app.sessions() as session, session.begin():
        boss = await casework.require_staff(session, name="王主任")
        await callbacks.record(session, rect.number, boss, "reached", True, "电话回访，市民认可整改", app.clock.now())
    await resolve(app, rect.number, "王主任", "已核实并对窗口人员进行批评教育，补办了手续")
    app.clock.advance(days=1)
    await app.tick_outbox()
    callback = survey_messages(console)[-1]
    assert not callback.payload.get("reminder") and rect.number in callback.texts[0] and "整改" in callback.texts[0]
    [thanks] = await alice.tap(offered(callback)[1][1])
    assert "满意" in thanks
    assert (await case_by_number(app, rect.number)).status == "closed"
    assert (await survey_of(app, rect.number, "callback")).rating == "satisfied"


async def test_someone_elses_survey_and_malformed_values_are_answered_politely(app):
    alice, mallory = Citizen(app), Citizen(app, "mallory")
    number = await _resolved_complaint(app, alice)
    app.clock.advance(days=1)
    await app.tick_outbox()
    [sent] = survey_messages(app.channels["console"])
    refused = (await mallory.tap(offered(sent)[4][1]))[-1]
    assert "没有找到这份回访" in refused
    for junk in ("sv:", "sv:abc:good", "sv:99999999:satisfied", "sv:1:excellent", "sv:" + "9" * 40):
        [reply] = await alice.tap(junk)
        assert "没有找到" in reply
    assert (await survey_of(app, number)).status == "sent"


async def test_reopened_case_is_not_surveyed_until_resolved_again(app):
    console = app.channels["console"]
    number = await _resolved_complaint(app)
    app.clock.advance(hours=2)
    from bot.office import casework

    async with app.sessions() as session, session.begin():
        staff = await casework.require_staff(session, name="李明")
        await casework.reopen(session, app.services, number, staff, "citizen called: not fixed", app.clock.now())
    app.clock.advance(days=2)
    await app.tick_outbox()
    assert not survey_messages(console)
    await resolve(app, number, "李明", "补办完成")
    app.clock.advance(days=1)
    await app.tick_outbox()
    [sent] = survey_messages(console)
    assert number in sent.texts[0]


async def test_deleted_citizen_gets_no_survey(app):
    await _resolved_complaint(app)
    async with app.sessions() as session, session.begin():
        row = await session.scalar(select(CitizenRow).where(CitizenRow.external_id == "alice"))
        await forget_citizen(session, row, app.clock.now(), reason="test")
    async with app.sessions() as session:
        survey = await session.scalar(select(Survey))
    assert survey is not None and survey.citizen_id is None
    app.clock.advance(days=2)
    await app.tick_outbox()
    assert not survey_messages(app.channels["console"])


async def test_upheld_appeal_takes_a_rating_out_of_the_statistics_and_is_audited(app):
    from bot.office import appeals as survey_appeals
    from bot.office import report
    from bot.office.casework import CaseActionError, require_staff

    await add_staff(app, "王主任", role="supervisor", department="综合科")
    alice = Citizen(app)
    number = await _resolved_complaint(app, alice)
    app.clock.advance(days=1)
    await app.tick_outbox()
    [sent] = survey_messages(app.channels["console"])
    await alice.tap(offered(sent)[3][1])
    day = app.clock.now().astimezone(app.settings.tz).date()

    async def figures():
        async with app.sessions() as session:
            return (await report.build(session, app.services, day, day, app.clock.now()))["overall"]

    assert (await figures())["bad_reviews"] == 1
    async with app.sessions() as session, session.begin():
        li = await require_staff(session, name="李明")
        await survey_appeals.appeal(session, number, li, "mistaken", "市民误点，电话核实后表示满意", app.clock.now())
        try:
            await survey_appeals.decide(session, number, li, True, "", app.clock.now())
            raise AssertionError("a staff member must not decide their own appeal")
        except CaseActionError as exc:
            assert "负责人" in str(exc)
    assert (await figures())["bad_reviews"] == 1, "a pending appeal changes nothing yet"
    async with app.sessions() as session, session.begin():
        boss = await require_staff(session, name="王主任")
        await survey_appeals.decide(session, number, boss, True, "核实属实", app.clock.now())
    after = await figures()
    assert (after["bad_reviews"], after["rated"], after["surveys_sent"], after["appeals_upheld"]) == (0, 0, 0, 1)
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        trail = [
            (e.actor, e.action)
            for e in await session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
        ]
    assert ("staff:李明", "rating_appealed") in trail and ("staff:王主任", "appeal_decided") in trail
