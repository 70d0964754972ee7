"""Complaint intake transcripts: description, window, call-back phone, confirmation, case number and deadline."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.messages import Attachment as InboundAttachment
from bot.storage.models import Attachment, Case, OutboxMessage, Staff
from tests.conftest import Citizen


async def _supervisor(app, name="王主任"):
    async with app.sessions() as session, session.begin():
        session.add(Staff(name=name, role="supervisor", department="投诉科", created_at=app.clock.now(), active=True))


async def test_complaint_in_one_message_skips_the_first_question_and_files_a_case(app, citizen):
    await _supervisor(app)
    await citizen.say("你好")
    [ask_where] = await citizen.say("窗口工作人员态度很差，让我跑了三趟")
    assert "哪个窗口" in ask_where
    [ask_phone] = await citizen.say("3号窗口")
    assert "手机号" in ask_phone
    [summary] = await citizen.say("138 1234 5678")
    assert "态度很差" in summary and "3号窗口" in summary
    assert "138****5678" in summary and "13812345678" not in summary
    [filed] = await citizen.say("确认")
    assert "TS-20261201-0001" in filed
    assert "10个工作日" in filed and "2026-12-15" in filed
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
        assert (case.number, case.type, case.status, case.phone) == ("TS-20261201-0001", "complaint", "new", "13812345678")
        alerts = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")))
    assert len(alerts) == 1 and "新投诉" in alerts[0].payload["replies"][0]["text"]
    assert "13812345678" not in alerts[0].payload["replies"][0]["text"]


async def test_menu_complaint_asks_what_happened_first_and_skip_works(citizen):
    await citizen.say("你好")
    [ask] = await citizen.tap("m:complaint")
    assert "描述" in ask
    await citizen.say("收费不透明，多收了钱")
    await citizen.say("跳过")
    [summary] = await citizen.say("skip")
    assert "未提供" in summary
    [filed] = await citizen.tap("c:yes")
    assert "TS-" in filed


async def test_invalid_phone_is_asked_again_with_an_example(citizen):
    await citizen.say("我要投诉")
    await citizen.say("办事人员推诿扯皮，不给办理")
    await citizen.say("跳过")
    [again] = await citizen.say("12345")
    assert "13812345678" in again and "格式不正确" in again
    [summary] = await citizen.say("+86 139-0000-1111")
    assert "139****1111" in summary


async def test_overlong_complaint_keeps_the_documented_limit_and_says_so(app, citizen):
    limit = app.settings.complaint_max_chars
    await citizen.say("我要投诉")
    replies = await citizen.say("乱" * 50_000)
    assert any(f"前{limit}字" in text and f"{50_000 - limit}字未记录" in text for text in replies)
    await citizen.say("跳过")
    await citizen.say("跳过")
    await citizen.say("确认")
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
    assert len(case.description) == limit


async def test_photos_during_intake_become_evidence(app, citizen):
    await citizen.say("我要投诉")
    await citizen.say("候诊区卫生很差，地上有垃圾")
    [saved] = await citizen.say(kind="attachment", attachments=(InboundAttachment("photo", "file-abc"),))
    assert "附件" in saved
    await citizen.say("跳过")
    await citizen.say("跳过")
    await citizen.say("确认")
    async with app.sessions() as session:
        refs = list(await session.scalars(select(Attachment.ref)))
    assert refs == ["file-abc"]


async def test_cancel_registers_nothing(app, citizen):
    await citizen.say("我要投诉")
    [cancelled] = await citizen.say("取消")
    assert "未登记" in cancelled
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0


async def test_english_complaint(citizen):
    citizen.lang = "en"
    [ask] = (await citizen.say("I want to make a complaint"))[-1:]
    assert "describe" in ask
    await citizen.say("The staff at window 2 were rude and refused my application")
    await citizen.say("skip")
    await citizen.say("skip")
    [filed] = await citizen.say("yes")
    assert "registered as TS-" in filed and "10 working days" in filed


async def test_case_numbers_are_unique_when_many_complaints_arrive_at_once(app):
    import asyncio

    async def complain(i: int) -> str:
        person = Citizen(app, user=f"c{i}")
        await person.say("我要投诉")
        await person.say(f"第{i}号投诉：窗口人员态度很差")
        await person.say("跳过")
        await person.say("跳过")
        return (await person.say("确认"))[-1]

    filed = await asyncio.gather(*(complain(i) for i in range(12)))
    numbers = sorted(text.split("编号 ")[1][:16] for text in filed)
    assert numbers == [f"TS-20261201-{n:04d}" for n in range(1, 13)]
