"""Messages the bot starts on WeChat: the 48-hour window and its quota, templates, unreachable citizens, staff alerts, the token."""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import select

from bot.channels.wechat.api import WeChatAPI
from bot.office import casework
from bot.storage.models import Citizen, KeyValue, OutboxMessage
from tests.helpers import add_staff
from tests.wechat_desk import (
    APP_ID,
    SECRET,
    TOKEN,
    desk,
    fake_api,
    file_complaint,
    open_desk,
    wechat_settings,
)

CITIZEN = "o-citizen"
SUPERVISOR = "o-supervisor"


async def _staff_reply(app, number: str, staff, text: str) -> None:
    app.clock.advance(minutes=1)  # staff replies are told apart by their time
    async with app.sessions() as session, session.begin():
        await casework.reply(session, app.services, number, staff, text, app.clock.now())
    await app.tick_outbox()


async def _taken_case(desk):
    """A complaint filed on WeChat and taken by a member of staff."""
    number = await file_complaint(desk.wechat("safe"), CITIZEN)
    handler = await add_staff(desk.app, "王芳")
    async with desk.app.sessions() as session, session.begin():
        await casework.take(session, desk.app.services, number, handler, desk.app.clock.now())
    await desk.app.tick_outbox()
    return number, handler


async def _rows(app, **where) -> list[OutboxMessage]:
    async with app.sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(await session.scalars(query))


async def test_staff_reply_inside_the_window_is_a_customer_service_message(desk):
    number, handler = await _taken_case(desk)
    await _staff_reply(desk.app, number, handler, "您好，已核实情况，明天给您回电。")
    assert any("明天给您回电" in text for text in desk.api.custom_texts(CITIZEN))
    assert desk.api.templates(CITIZEN) == []


async def test_outside_the_48_hour_window_the_configured_template_is_used(wechat_settings, clock, fake_api):
    settings = wechat_settings(wechat_template_case_update="TPL-CASE-UPDATE")
    async with open_desk(settings, clock, fake_api) as desk:
        number, handler = await _taken_case(desk)
        clock.advance(hours=49)
        await _staff_reply(desk.app, number, handler, "您反映的问题已整改完毕。")
        assert not any("整改完毕" in text for text in fake_api.custom_texts(CITIZEN))
        [template] = fake_api.templates(CITIZEN)
        assert template["template_id"] == "TPL-CASE-UPDATE"
        assert template["data"]["keyword1"]["value"] == number
        assert "整改完毕" in template["data"]["remark"]["value"]


async def test_a_current_style_template_gets_the_fields_the_office_mapped(wechat_settings, clock, fake_api):
    settings = wechat_settings(
        wechat_template_case_update="TPL-NEW-STYLE",
        wechat_template_fields="case=character_string1, time=time2, body=thing3:20",
    )
    async with open_desk(settings, clock, fake_api) as desk:
        number, handler = await _taken_case(desk)
        clock.advance(hours=49)
        await _staff_reply(desk.app, number, handler, "您反映的候诊区卫生问题已经整改完毕，感谢您的监督。")
        [template] = fake_api.templates(CITIZEN)
        assert set(template["data"]) == {"character_string1", "time2", "thing3"}, "no first/remark: WeChat no longer shows them"
        assert template["data"]["character_string1"]["value"] == number
        body = template["data"]["thing3"]["value"]
        assert len(body) == 20 and body.endswith("…")


def test_a_template_layout_without_a_body_field_is_refused_at_start(settings_factory):
    import pytest
    from pydantic import ValidationError

    for layout, problem in (
        ("case=keyword1", "body=FIELD"),
        ("body=thing3:abc", "role=field[:chars]"),
        ("message=thing3", "role=field[:chars]"),
    ):
        with pytest.raises(ValidationError) as refused:
            settings_factory(wechat_template_fields=layout)
        assert "wechat_template_fields" in str(refused.value) and problem in str(refused.value)


async def test_outside_the_window_without_a_template_it_is_recorded_unreachable_and_staff_are_told(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(), clock, fake_api) as desk:
        supervisor = await add_staff(desk.app, "张主任", role="supervisor", wechat_openid=SUPERVISOR)
        number, handler = await _taken_case(desk)
        clock.advance(hours=49)
        await desk.wechat().text(SUPERVISOR, "你好")  # the supervisor's own window on the account is open
        await _staff_reply(desk.app, number, handler, "请您补充就诊时间。")
        await desk.app.tick_outbox()
        [row] = await _rows(desk.app, kind="staff_reply")
        assert row.status == "failed" and "unreachable" in row.error and "48-hour" in row.error
        async with desk.app.sessions() as session:
            citizen = await session.scalar(select(Citizen).where(Citizen.external_id == CITIZEN))
        assert citizen.unreachable
        assert not any("补充就诊时间" in text for text in fake_api.custom_texts(CITIZEN))
        alerts = [text for text in fake_api.custom_texts(SUPERVISOR) if "消息未送达" in text]
        assert alerts and number in alerts[0] and "补充就诊时间" in alerts[0], "the supervisor hears of it on WeChat"
        assert supervisor.id


async def test_window_quota_is_five_customer_service_messages_per_citizen_message(wechat_settings, clock, fake_api):
    settings = wechat_settings(wechat_template_case_update="TPL-CASE-UPDATE")
    async with open_desk(settings, clock, fake_api) as desk:
        number, handler = await _taken_case(desk)
        for n in range(1, 7):
            await _staff_reply(desk.app, number, handler, f"第{n}条答复")
        as_service = [text for text in fake_api.custom_texts(CITIZEN) if "条答复" in text]
        assert len(as_service) == 5 and "第5条答复" in as_service[-1]
        [template] = fake_api.templates(CITIZEN)
        assert "第6条答复" in template["data"]["remark"]["value"]
        await desk.wechat().text(CITIZEN, "好的，收到")  # a new citizen message opens a fresh quota
        await _staff_reply(desk.app, number, handler, "第7条答复")
        assert "第7条答复" in fake_api.custom_texts(CITIZEN)[-1]


async def test_wechat_refusing_the_window_falls_back_to_the_template(wechat_settings, clock, fake_api):
    settings = wechat_settings(wechat_template_case_update="TPL-CASE-UPDATE")
    async with open_desk(settings, clock, fake_api) as desk:
        number, handler = await _taken_case(desk)
        fake_api.fail_next("message/custom/send", 45015)  # "response out of time limit": WeChat knows better than our records
        await _staff_reply(desk.app, number, handler, "已为您安排复查。")
        [template] = fake_api.templates(CITIZEN)
        assert "安排复查" in template["data"]["remark"]["value"]
        [row] = await _rows(desk.app, kind="staff_reply")
        assert row.status == "sent"


async def test_supervisor_alert_outside_the_window_uses_the_alert_template(wechat_settings, clock, fake_api):
    settings = wechat_settings(wechat_template_alert="TPL-ALERT")
    async with open_desk(settings, clock, fake_api) as desk:
        await add_staff(desk.app, "张主任", role="supervisor", wechat_openid=SUPERVISOR)
        number = await file_complaint(desk.wechat(), CITIZEN)
        await desk.app.tick_outbox()
        [template] = fake_api.templates(SUPERVISOR)
        assert template["template_id"] == "TPL-ALERT"
        assert template["data"]["keyword1"]["value"] == number and "新投诉" in template["data"]["first"]["value"]


async def test_access_token_is_cached_in_the_database_and_refreshed_once_when_rejected(wechat_settings, clock, fake_api):
    settings = wechat_settings()
    async with open_desk(settings, clock, fake_api) as desk:
        number, handler = await _taken_case(desk)
        await _staff_reply(desk.app, number, handler, "答复一")
        await _staff_reply(desk.app, number, handler, "答复二")
        assert len(fake_api.token_fetches) == 1, "one fetch serves every call"
    async with open_desk(settings, clock, fake_api) as restarted:
        await _staff_reply(restarted.app, number, handler, "答复三")
        assert len(fake_api.token_fetches) == 1, "another process (or a restart) reuses the token from the database"
        fake_api.revoke_tokens()
        await _staff_reply(restarted.app, number, handler, "答复四")
        assert len(fake_api.token_fetches) == 2, "a rejected token (40001) is refreshed exactly once"
        assert "答复四" in fake_api.custom_texts(CITIZEN)[-1]
        async with restarted.app.sessions() as session:
            cached = await session.get(KeyValue, "wechat:access_token")
        assert cached.value == fake_api.issued[-1]
        clock.advance(seconds=7200 - 60)
        await _staff_reply(restarted.app, number, handler, "答复五")
        assert len(fake_api.token_fetches) == 3, "refreshed before it expires"
        assert [row.status for row in await _rows(restarted.app, kind="staff_reply")] == ["sent"] * 5


async def test_wechat_menu_command_installs_the_default_menu(database_url, fake_api):
    env = dict(
        os.environ,
        CONSULT_DATABASE_URL=database_url,
        CONSULT_WECHAT_APP_ID=APP_ID,
        CONSULT_WECHAT_APP_SECRET=SECRET,
        CONSULT_WECHAT_TOKEN=TOKEN,
        CONSULT_WECHAT_API_BASE_URL=fake_api.base_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "wechat",
        "menu",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert "menu installed" in out.decode()
    [call] = fake_api.to("menu/create")
    buttons = call.body["button"]
    names = [b["name"] for b in buttons] + [s["name"] for b in buttons for s in b.get("sub_button", [])]
    assert {"办事指南", "我要投诉", "进度查询", "人工服务"} <= set(names)
    keys = {b.get("key") for b in buttons} | {s.get("key") for b in buttons for s in b.get("sub_button", [])}
    assert {"CONSULT_GUIDE", "CONSULT_COMPLAINT", "CONSULT_STATUS", "CONSULT_HANDOFF"} <= keys


async def test_two_processes_needing_a_token_at_once_fetch_it_once(wechat_settings, clock, fake_api):
    settings = wechat_settings()
    async with open_desk(settings, clock, fake_api) as first, open_desk(settings, clock, fake_api) as second:
        apis = [WeChatAPI(settings, desk.app.sessions, clock) for desk in (first, second) for _ in range(2)]
        tokens = await asyncio.gather(*(api.access_token() for api in apis))
    assert len(set(tokens)) == 1
    assert len(fake_api.token_fetches) == 1, "WeChat allows 2,000 fetches a day: processes share one token"


LONG_QUESTIONS = (
    "办健康证要带什么东西",
    "公共场所卫生许可证新办需要什么材料",
    "护士执业注册怎么办",
    "出生医学证明怎么补办",
    "医师执业注册需要什么材料",
    "中医诊所备案怎么办",
)


async def test_each_long_answer_keeps_its_own_customer_service_slot_however_late_the_outbox_sends_it(desk, fake_api, clock):
    wechat = desk.wechat()
    await wechat.text(CITIZEN, "你好")
    fake_api.fail_next("message/custom/send", -1, times=len(LONG_QUESTIONS))  # WeChat busy: every later part waits
    for question in LONG_QUESTIONS:
        answer = await wechat.text(CITIZEN, question)
        assert "一次性告知" in answer.content
        await desk.settle()
    assert fake_api.custom_texts(CITIZEN) == []
    clock.advance(minutes=2)  # past the outbox's retry delay: six parts now go out together, after all six questions
    await desk.app.tick_outbox()
    later_parts = fake_api.custom_texts(CITIZEN)
    assert len(later_parts) == len(LONG_QUESTIONS), "a later part was refused for a quota its own question had opened"
    assert [row.status for row in await _rows(desk.app, kind="reply")] == ["sent"] * len(LONG_QUESTIONS)
