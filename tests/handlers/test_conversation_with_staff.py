"""Conversations between citizens and staff that strand nobody: one transcript per defect found by trying it as a citizen."""

from __future__ import annotations

from sqlalchemy import select

from bot.office import casework
from bot.storage.models import Case, ConversationMessage, OutboxMessage
from tests.conftest import Citizen
from tests.helpers import add_staff, file_complaint


async def _staff(app, action, *args):
    async with app.sessions() as session, session.begin():
        return await action(session, app.services, *args, app.clock.now())


async def _case(app, number: str) -> Case:
    async with app.sessions() as session:
        return await session.scalar(select(Case).where(Case.number == number))


async def _from_citizen_on(app, number: str) -> list[str]:
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        rows = await session.scalars(
            select(ConversationMessage.text)
            .where(ConversationMessage.case_id == case.id, ConversationMessage.direction == "in")
            .order_by(ConversationMessage.id)
        )
        return list(rows)


async def test_1_a_citizen_s_answer_to_staff_on_a_complaint_reaches_the_case_not_the_knowledge_base(app, citizen):
    clerk = await add_staff(app, "王芳", title="投诉专员")
    await citizen.say("我要投诉")
    number = await file_complaint(citizen)
    await _staff(app, casework.take, number, clerk)
    await _staff(app, casework.reply, number, clerk, "您好，我们已核实，请问您下午还在窗口附近吗？")
    await app.tick_outbox()
    assert app.channels["console"].to("alice")[-1].startswith("（以下由投诉专员为您服务）")

    replies = await citizen.say("好的，谢谢，我下午还在窗口附近")

    assert not any("无法准确回答" in r or "一次性告知" in r for r in replies)
    assert "好的，谢谢，我下午还在窗口附近" in await _from_citizen_on(app, number)


async def test_2_after_a_handoff_the_citizen_can_go_back_to_the_bot_and_is_told_how(app, citizen):
    await citizen.say("转人工")
    passed = await citizen.say("我的情况比较特殊，想跟人说一下")
    assert "返回" in passed[-1], "the acknowledgement says how to get back"
    assert await citizen.say("还有别的事") == [], "the acknowledgement is said once, not after every message"

    back = await citizen.say("结束人工")
    assert "已回到智能咨询" in back[0] and "人工服务" in back[0]
    answer = await citizen.say("办健康证要带什么东西")
    assert "一次性告知" in answer[-1], "the bot answers again"
    assert (await _case(app, "ZX-20261201-0001")).status == "new", "the case stays open for staff"


async def test_2_queued_citizens_get_knowledge_answers_which_staff_also_see(app, citizen):
    await citizen.say("转人工")
    replies = await citizen.say("办健康证要带什么东西")
    assert "一次性告知" in replies[0] and "转达" in replies[-1]
    assert "办健康证要带什么东西" in await _from_citizen_on(app, "ZX-20261201-0001")
    for word in ("菜单", "退出人工", "返回", "back"):
        await citizen.say("转人工")
        left = (await citizen.say(word))[0]
        assert "已回到智能咨询" in left or "back with the automatic assistant" in left, word


async def test_3_a_waiting_question_takes_the_next_answer_but_menu_words_keep_their_meaning(app, citizen):
    clerk = await add_staff(app, "李明")
    await citizen.say("我要投诉")
    number = await file_complaint(citizen)
    await _staff(app, casework.take, number, clerk)
    await _staff(app, casework.wait_for_citizen, number, clerk, "请问您是哪天几点办理的？")

    status = await citizen.say("进度查询")
    assert number in status[-1]
    assert (await _case(app, number)).status == "waiting", "a menu word is not the answer"

    passed = await citizen.say("上周三下午三点左右")
    assert "已转达" in passed[-1] and number in passed[-1]
    case = await _case(app, number)
    assert case.status == "in_progress"
    assert "上周三下午三点左右" in await _from_citizen_on(app, number)
    async with app.sessions() as session:
        opened = await session.scalar(select(Case).where(Case.type == "consultation"))
    assert opened is None, "no second case was opened"


async def test_4_a_transfer_s_reason_stays_internal(app, citizen):
    li = await add_staff(app, "李明")
    await add_staff(app, "张敏", department="医政科")
    await citizen.say("我要投诉")
    number = await file_complaint(citizen)
    await _staff(app, casework.take, number, li)
    await _staff(app, casework.transfer, number, li, "张敏", "请张敏核实")
    await app.tick_outbox()
    told = app.channels["console"].to("alice")
    assert any("已转交医政科" in text for text in told)
    assert not any("请张敏核实" in text for text in told)
    async with app.sessions() as session:
        payloads = [row.payload for row in await session.scalars(select(OutboxMessage))]
    assert not any("请张敏核实" in str(p) for p in payloads if p.get("case") == number and "alert" not in str(p))


async def test_6_chit_chat_is_answered_kindly_and_opens_no_case(app, citizen):
    await citizen.say("你好")
    robot = await citizen.say("你是机器人吗")
    laugh = await citizen.say("哈哈")
    assert "智能咨询助手" in robot[0] and "或选择" in robot[1], "a friendly word and the menu"
    assert "智能咨询助手" in laugh[0]
    async with app.sessions() as session:
        assert await session.scalar(select(Case)) is None


async def test_7_cancelling_a_licence_is_a_procedure_question_not_data_deletion(citizen):
    nurse = await citizen.say("护士证注销怎么办")
    death = await citizen.say("注销户口要死亡证明吗")
    assert not any("确认删除您的个人信息" in r for r in nurse + death)
    assert "护士" in nurse[-1] and "死亡" in death[-1]


async def test_7_the_deletion_flow_keeps_asking_until_the_citizen_decides(citizen):
    await citizen.say("删除我的数据")
    again = await citizen.say("办健康证要带什么")
    assert "需要您确认" in again[0]
    assert "已取消" in (await citizen.say("取消"))[0]


async def test_8_an_old_case_number_after_deletion_says_the_data_was_deleted_in_the_message_s_language(app):
    alice = Citizen(app, lang="en")
    await alice.say("I want to complain")
    number = await file_complaint(alice, text="The clerk at window 3 was rude", phone="skip")
    await alice.say("删除我的数据")
    await alice.say("确认删除")
    replies = await alice.say(f"我的事项 {number} 怎么样了")
    assert "个人信息已按申请删除" in replies[-1]


async def test_9_the_new_complaint_alert_names_the_window_the_citizen_named(app):
    await add_staff(app, "王主任", role="supervisor")
    alice = Citizen(app)
    await alice.say("我要投诉")
    await alice.say("三号窗口的工作人员态度很差")
    await alice.say("三号窗口")
    await alice.say("跳过")
    await alice.say("确认")
    await app.tick_outbox()
    async with app.sessions() as session:
        alert = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
    text = alert.payload["replies"][0]["text"]
    assert "涉及窗口/科室：三号窗口" in text and "未指定" not in text
