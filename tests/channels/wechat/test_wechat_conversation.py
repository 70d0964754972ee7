"""A WeChat citizen with staff: back to the bot from a handoff, and an answer to a waiting question, through the signed callback."""

from __future__ import annotations

from sqlalchemy import select

from bot.office import casework
from bot.storage.models import Case, ConversationMessage
from tests.helpers import add_staff
from tests.wechat_desk import desk, fake_api, file_complaint, wechat_settings

CITIZEN = "o-conversation"


async def test_a_wechat_citizen_leaves_a_handoff_and_the_bot_answers_again(desk):
    wechat = desk.wechat()
    await wechat.text(CITIZEN, "转人工")
    passed = await wechat.text(CITIZEN, "我的情况比较特殊，想跟人说一下")
    assert "返回" in passed.content
    back = await wechat.text(CITIZEN, "返回")
    assert "已回到智能咨询" in back.content and "人工服务" in back.content
    answer = await wechat.text(CITIZEN, "办健康证要带什么东西")
    assert "一次性告知" in answer.content


async def test_a_wechat_citizen_s_next_message_answers_the_waiting_question(desk):
    wechat = desk.wechat()
    number = await file_complaint(wechat, CITIZEN)
    clerk = await add_staff(desk.app, "李明")
    async with desk.app.sessions() as session, session.begin():
        await casework.take(session, desk.app.services, number, clerk, desk.app.clock.now())
        await casework.wait_for_citizen(session, desk.app.services, number, clerk, "请问您是哪天几点办理的？", desk.app.clock.now())

    status = await wechat.text(CITIZEN, "进度查询")
    assert number in status.content
    passed = await wechat.text(CITIZEN, "上周三下午三点")
    assert "已转达" in passed.content
    async with desk.app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        said = list(await session.scalars(select(ConversationMessage.text).where(ConversationMessage.case_id == case.id)))
    assert case.status == "in_progress" and "上周三下午三点" in said
