"""Handoff to staff, status lookups without information leaks, and deletion on request."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.office import casework
from bot.storage.models import AuditEvent, Case, ConversationMessage
from bot.storage.models import Citizen as CitizenRow
from tests.conftest import Citizen, local
from tests.helpers import add_staff, file_complaint


async def test_handoff_opens_a_consultation_case_and_says_when(app, citizen):
    await citizen.say("你好")
    [reply] = await citizen.say("转人工")
    assert "ZX-20261201-0001" in reply and "30分钟" in reply


async def test_handoff_outside_office_hours_names_the_next_opening(app, citizen, clock):
    clock.set(local(2026, 12, 4, 19, 30))  # Friday evening
    [reply] = (await citizen.say("转人工"))[-1:]
    assert "非办公时间" in reply and "2026-12-07 09:00" in reply


async def test_two_unanswered_questions_in_a_row_hand_over_to_staff(citizen):
    await citizen.say("你好")
    first = await citizen.say("今天天气怎么样")
    assert "无法准确回答" in first[-1]
    second = await citizen.say("股票怎么买")
    assert "转给工作人员" in second[0] and "ZX-" in second[1]


async def test_citizen_messages_during_handoff_reach_the_case_and_staff_reply_reaches_the_citizen(app, citizen):
    staff = await add_staff(app, "李明", title="窗口工作人员")
    await citizen.say("转人工")
    ack = await citizen.say("我想问一下健康证可以代办吗")
    assert "转达" in ack[-1]
    async with app.sessions() as session, session.begin():
        await casework.reply(session, app.services, "ZX-20261201-0001", staff, "可以代办，请携带委托书。", app.clock.now())
    await app.tick_outbox()
    console = app.channels["console"]
    assert console.to("alice") == ["（以下由窗口工作人员为您服务）\n【窗口工作人员】可以代办，请携带委托书。"]
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
        texts = list(await session.scalars(select(ConversationMessage.text).where(ConversationMessage.case_id == case.id)))
    assert "我想问一下健康证可以代办吗" in texts
    assert (case.owner_id, case.assignee_id, case.status) == (staff.id, staff.id, "in_progress")


async def test_status_lists_only_the_citizens_own_open_cases(app):
    alice, bob = Citizen(app, "alice"), Citizen(app, "bob")
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    [mine] = (await alice.say("我的投诉处理得怎么样了"))[-1:]
    assert number in mine and "待受理" in mine and "2026-12-15" in mine
    [theirs] = (await bob.say("我的投诉处理得怎么样了"))[-1:]
    assert number not in theirs and "没有正在办理" in theirs


async def test_foreign_unknown_and_malformed_numbers_all_get_the_same_not_found(app):
    alice, bob = Citizen(app, "alice"), Citizen(app, "bob")
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    [own] = (await alice.say(number.lower().replace("-", "")))[-1:]
    assert "窗口工作人员态度很差" not in own and "待受理" in own
    [foreign] = (await bob.say(number))[-1:]
    [unknown] = (await bob.say("TS-20261201-0099"))[-1:]
    assert foreign.replace(number, "N") == unknown.replace("TS-20261201-0099", "N")
    [malformed] = (await bob.say("TS-2026"))[-1:]
    assert "未找到" in malformed


async def test_delete_my_data_asks_first_then_forgets_and_anonymises(app):
    alice = Citizen(app, "alice")
    await alice.say("我要投诉")
    await file_complaint(alice, phone="13812345678")
    [ask] = (await alice.say("删除我的数据"))[-1:]
    assert "确认删除" in ask
    [done] = await alice.say("确认删除")
    assert "已删除" in done
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CitizenRow)) == 0
        assert await session.scalar(select(func.count()).select_from(ConversationMessage)) == 0
        case = await session.scalar(select(Case))
        assert case.anonymised and case.phone is None and "态度" not in case.description and case.citizen_id is None
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert "anonymised" in actions and "personal_data_deleted" in actions
    [fresh] = (await alice.say("你好"))[:1]
    assert "个人信息" in fresh, "a returning citizen starts over with the notice"


async def test_delete_can_be_cancelled(app):
    alice = Citizen(app, "alice")
    await alice.say("你好")
    await alice.say("删除我的数据")
    [kept] = await alice.say("取消")
    assert "未删除" in kept
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CitizenRow)) == 1
