"""Citizens in a private Telegram chat, end to end: a real PTB Application against the fake Bot API over loopback."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.channels.telegram.convert import callback_data
from bot.core.messages import Reply
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.storage.models import Attachment, InboundReceipt, OutboxMessage
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.telegram_world import TelegramWorld, telegram_settings

ALICE, BOB = 7001, 7002


def keyboard_of(api: FakeBotAPI, chat_id: int) -> list[dict]:
    """The buttons of the last message to a chat that had any."""
    calls = [c for c in api.calls_of("sendMessage") if c.params["chat_id"] == chat_id and "reply_markup" in c.params]
    return [button for row in calls[-1].params["reply_markup"]["inline_keyboard"] for button in row]


async def test_start_greets_with_notice_and_menu_buttons_and_a_question_gets_the_answer(world, api):
    await world.say(api.message(ALICE, "/start"))
    notice, greeting, _menu = api.texts_to(ALICE)
    assert "个人信息" in notice and "您好" in greeting
    assert [b["text"] for b in keyboard_of(api, ALICE)] == ["办事指南", "我要投诉", "进度查询", "人工服务"]
    await world.say(api.message(ALICE, "办健康证要带什么东西"))
    answer = api.texts_to(ALICE)[-1]
    for part in ("所需材料", "身份证", "办理时限", "办理地点"):
        assert part in answer
    assert all(c.params.get("parse_mode") == "HTML" for c in api.calls_of("sendMessage"))


async def test_a_tapped_button_is_answered_and_acts_as_the_choice(world, api):
    await world.say(api.message(ALICE, "/start"))
    await world.say(api.callback(ALICE, "m:guide"))
    assert len(api.calls_of("answerCallbackQuery")) == 1
    guide = keyboard_of(api, ALICE)
    assert guide and all(b["callback_data"].startswith("p:") for b in guide[:-1] or guide)
    await world.say(api.callback(ALICE, guide[0]["callback_data"]))
    assert len(api.calls_of("answerCallbackQuery")) == 2
    assert "所需材料" in api.texts_to(ALICE)[-1]


async def test_a_stale_or_unknown_button_is_still_answered(world, api):
    await world.say(api.callback(ALICE, "zz:gone"))
    assert len(api.calls_of("answerCallbackQuery")) == 1
    assert api.texts_to(ALICE), "the citizen gets the menu instead of silence"


async def test_all_button_data_fits_telegrams_64_bytes(world, api):
    await world.say(api.message(ALICE, "/start"))
    await world.say(api.callback(ALICE, "m:guide"))
    await world.say(api.message(ALICE, "许可证"))
    await world.say(api.message(ALICE, "/delete"))
    data = [
        b["callback_data"]
        for c in api.calls_of("sendMessage")
        if "reply_markup" in c.params
        for row in c.params["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    ]
    assert len(data) >= 8
    assert all(len(value.encode()) <= 64 for value in data)
    with pytest.raises(ValueError):
        callback_data("p:" + "健康证" * 7)


async def test_citizen_text_is_html_escaped(world, api):
    await world.say(api.message(ALICE, "我要投诉"))
    await world.say(api.message(ALICE, "<b>3号窗口</b> 态度差 & 推诿扯皮"))
    await world.say(api.message(ALICE, "跳过"))
    await world.say(api.message(ALICE, "跳过"))
    summary = api.texts_to(ALICE)[-1]
    assert "&lt;b&gt;3号窗口&lt;/b&gt; 态度差 &amp; 推诿扯皮" in summary
    assert "<b>" not in summary


async def test_voice_sticker_and_location_get_a_polite_request_to_type(world, api):
    await world.say(api.message(ALICE, "你好"))
    before = len(api.texts_to(ALICE))
    await world.say(api.message(ALICE, None, voice={"file_id": "v1", "file_unique_id": "v", "duration": 3}))
    await world.say(
        api.message(
            ALICE,
            None,
            sticker={
                "file_id": "s1",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        )
    )
    await world.say(api.message(ALICE, None, location={"latitude": 31.2, "longitude": 121.5}))
    texts = api.texts_to(ALICE)[before:]
    assert len(texts) == 3 and all("文字" in text for text in texts)


async def test_english_language_code_gets_english_until_the_citizen_writes_chinese(world, api):
    await world.say(api.message(ALICE, "/start", language_code="en-GB"))
    assert "Privacy" in api.texts_to(ALICE)[0] and "Hello" in api.texts_to(ALICE)[1]
    await world.say(api.message(ALICE, "办公时间是几点", language_code="en-GB"))
    assert "办公时间" in api.texts_to(ALICE)[-1]


async def test_command_menu_is_registered_in_chinese_and_english(world, api):
    calls = api.calls_of("setMyCommands")
    by_language = {c.params.get("language_code"): [cmd["command"] for cmd in c.params["commands"]] for c in calls}
    assert by_language == {None: ["start", "help", "status", "delete"], "en": ["start", "help", "status", "delete"]}
    zh = next(c for c in calls if "language_code" not in c.params)
    assert zh.params["commands"][3]["description"] == "删除我的数据"


async def test_status_help_and_delete_commands(world, api):
    await world.say(api.message(ALICE, "/status"))
    assert "没有正在办理的事项" in api.texts_to(ALICE)[-1]
    await world.say(api.message(ALICE, "/help"))
    assert [b["text"] for b in keyboard_of(api, ALICE)] == ["办事指南", "我要投诉", "进度查询", "人工服务"]
    await world.say(api.message(ALICE, "/delete"))
    assert "确认删除" in api.texts_to(ALICE)[-1]
    await world.say(api.callback(ALICE, "d:yes"))
    assert "已删除" in api.texts_to(ALICE)[-1]


async def test_flood_control_is_waited_out_and_the_message_arrives_once(world, api):
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        """Note the wait instead of spending it."""
        waits.append(seconds)
        await asyncio.sleep(0)

    world.runtime.sender.sleep = recorded_sleep
    api.fail_next("sendMessage", 429, retry_after=3, chat_id=ALICE)
    await world.say(api.message(ALICE, "你好"))
    assert 3.0 in waits
    notice_attempts = [c for c in api.calls_of("sendMessage") if c.params["chat_id"] == ALICE and "个人信息" in c.params["text"]]
    assert len(notice_attempts) == 2, "one refused with 429, one accepted"
    texts = api.texts_to(ALICE)
    assert len(texts) == 3 and "个人信息" in texts[0] and "您好" in texts[1], "the notice shows once, then the greeting"


async def test_server_errors_are_retried_and_bad_requests_are_not(world, api):
    world.runtime.sender.sleep = lambda seconds: asyncio.sleep(0)
    api.fail_next("sendMessage", 502, chat_id=ALICE)
    await world.say(api.message(ALICE, "你好"))
    assert len(api.calls_of("sendMessage")) == 4
    api.fail_next("sendMessage", 400, chat_id=ALICE)
    await world.say(api.message(ALICE, "办公时间"))
    async with world.app.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reply"))
    assert row is not None and row.status == "sent", "a refused reply goes to the outbox and is sent from there"


async def test_long_text_is_split_at_line_boundaries(world, api):
    await world.say(api.message(ALICE, "你好"))
    lines = [f"第{i}行：" + "材料说明" * 30 for i in range(80)]
    long_text = "\n".join(lines)
    assert len(long_text) > 2 * 4096
    async with world.app.sessions() as session, session.begin():
        now = world.app.clock.now()
        notice = Notice(NoticeKind.CASE_UPDATE, "telegram", str(ALICE), (Reply(long_text),), "long")
        await enqueue(session, notice, due_at=now, now=now)
    await world.app.tick_outbox()
    parts = api.texts_to(ALICE)[-3:]
    assert all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == long_text
    assert all(part.split("\n")[0].startswith("第") for part in parts), "every part starts at a line start"


async def test_duplicate_update_id_is_processed_once_even_after_a_restart(settings_factory, clock, api):
    settings = telegram_settings(settings_factory, api)
    first = await TelegramWorld.start(settings, clock, api)
    try:
        await api.push(api.message(ALICE, "你好") | {"update_id": 5000})
        await first.handled(1)
        answered = list(api.texts_to(ALICE))
        assert answered
    finally:
        await first.close()
    second = await TelegramWorld.start(settings, clock, api)
    try:
        # the same update again (e.g. the offset was lost): the fresh Application must not act twice
        await api.push(api.message(ALICE, "你好") | {"update_id": 5000})
        await second.handled(1)
        assert api.texts_to(ALICE) == answered
        receipts = await second.all(select(InboundReceipt.message_key))
        assert receipts == ["u5000"]
    finally:
        await second.close()


async def test_quick_successive_messages_are_answered_in_order(world, api):
    await world.say(api.message(ALICE, "你好"), api.message(ALICE, "办健康证要带什么东西"), api.message(ALICE, "再见"))
    texts = api.texts_to(ALICE)
    assert len(texts) == 5
    assert "个人信息" in texts[0] and "您好" in texts[1] and "所需材料" in texts[3] and "再见" in texts[4]


async def test_a_document_during_complaint_intake_is_kept_as_evidence(world, api):
    await world.say(api.message(ALICE, "我要投诉"))
    await world.say(api.message(ALICE, "窗口人员态度恶劣，拒绝受理我的申请"))
    await world.say(api.message(ALICE, None, document={"file_id": "doc-file-9", "file_unique_id": "d9", "file_name": "收据.pdf"}))
    assert "附件" in api.texts_to(ALICE)[-1]
    await world.say(api.message(ALICE, "跳过"))
    await world.say(api.message(ALICE, "跳过"))
    await world.say(api.callback(ALICE, "c:yes"))
    [(kind, ref, name)] = [(a.kind, a.ref, a.name) for a in await world.all(select(Attachment))]
    assert (kind, ref, name) == ("document", "doc-file-9", "收据.pdf")


async def test_a_long_message_cut_off_part_way_sends_only_the_missing_parts_on_retry(world, api):
    await world.say(api.message(ALICE, "你好"))
    long_text = "\n".join(f"第{i}行：" + "材料说明" * 30 for i in range(80))
    async with world.app.sessions() as session, session.begin():
        now = world.app.clock.now()
        notice = Notice(NoticeKind.CASE_UPDATE, "telegram", str(ALICE), (Reply(long_text),), "long-cut")
        await enqueue(session, notice, due_at=now, now=now)
    world.runtime.sender.sleep = lambda seconds: asyncio.sleep(0)
    for attempt in range(5):  # the second part meets a Telegram outage longer than the sender's own retries
        api.fail_next("sendMessage", 502, chat_id=ALICE, after=1 if attempt == 0 else 0)
    before = len(api.texts_to(ALICE))
    await world.app.tick_outbox()
    assert len(api.texts_to(ALICE)) == before + 1, "the first part went out before the outage"

    world.app.clock.advance(minutes=5)  # past the retry back-off
    await world.app.tick_outbox()
    parts = api.texts_to(ALICE)[before:]
    assert "\n".join(parts) == long_text, "each part exactly once, in order"
    async with world.app.sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == "long-cut"))
    assert row.status == "sent" and row.payload["parts_sent"] == 1
