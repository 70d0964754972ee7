"""The staff forum group end to end: a topic per case, relays both ways, in-topic commands, refusals, alerts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.core.messages import Inbound
from bot.delivery.notices import NoticeKind
from bot.office import casework
from bot.storage.models import Attachment, Case, Citizen, OutboxMessage
from bot.storage.telegram_models import RelayedMessage, StaffTopic
from tests.fakes.recording import RecordingChannel
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.telegram_world import STAFF_CHAT, TelegramWorld, telegram_settings

ALICE, BOB = 7001, 7002
SUPERVISOR, CLERK, CLERK2, STRANGER = 9001, 9002, 9003, 9999


@pytest.fixture
async def world(settings_factory, clock, api):
    """The bot with its Telegram channel attached to the fake API."""
    running = await TelegramWorld.start(telegram_settings(settings_factory, api), clock, api)
    await running.add_staff("王主任", "supervisor", SUPERVISOR)
    await running.add_staff("王芳", "staff", CLERK, title="投诉专员")
    await running.add_staff("李强", "staff", CLERK2)
    yield running
    await running.close()


async def file_complaint_with_photo(world: TelegramWorld, api: FakeBotAPI) -> str:
    """Alice files a complaint with a photo through the chat; returns the confirmation text."""
    await world.say(api.message(ALICE, "我要投诉"))
    await world.say(api.message(ALICE, "候诊区卫生很差，地上有垃圾，联系我13812345678"))
    await world.say(api.photo(ALICE, "evidence-photo-1"))
    await world.say(api.message(ALICE, "跳过"))
    await world.say(api.message(ALICE, "跳过"))
    await world.say(api.callback(ALICE, "c:yes"))
    return api.texts_to(ALICE)[-1]


async def _topic(world: TelegramWorld) -> StaffTopic:
    for _ in range(500):
        topic = await world.one(select(StaffTopic))
        if topic is not None:
            return topic
        await world.app.tick_outbox()
        await asyncio.sleep(0.01)
    raise AssertionError("no staff topic was created")


async def test_complaint_with_photo_goes_through_its_topic_and_back(world, api):
    filed = await file_complaint_with_photo(world, api)
    assert "TS-20261201-0001" in filed
    assert await world.all(select(Attachment.ref)) == ["evidence-photo-1"]

    topic = await _topic(world)
    [created] = api.calls_of("createForumTopic")
    assert created.params["chat_id"] == STAFF_CHAT and created.params["name"] == "TS-20261201-0001"
    [card] = await api.wait_texts(STAFF_CHAT, 1, topic.thread_id)
    assert "TS-20261201-0001" in card and "附件：1个" in card and "138****5678" in card
    assert "13812345678" not in card
    card_call = next(c for c in api.calls_of("sendMessage") if c.params.get("message_thread_id") == topic.thread_id)
    buttons = [b["callback_data"] for row in card_call.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"st:take:{topic.case_id}", f"st:resolve:{topic.case_id}"]
    [photo] = [c for c in api.calls_of("sendPhoto") if c.params.get("message_thread_id") == topic.thread_id]
    assert photo.params["chat_id"] == STAFF_CHAT and photo.params["photo"] == "evidence-photo-1", "staff see the evidence itself"

    # the supervisor's alert arrives as a direct message with a button opening the topic
    alert = await api.wait_for(lambda: [c for c in api.calls_of("sendMessage") if c.params["chat_id"] == SUPERVISOR])
    assert "新投诉" in alert[0].params["text"] and "13812345678" not in alert[0].params["text"]
    [[link]] = alert[0].params["reply_markup"]["inline_keyboard"]
    assert link["url"] == f"https://t.me/c/1234567890/{topic.thread_id}"

    before = len(api.texts_to(ALICE))
    await world.say(api.message(CLERK, "您好，我们已安排保洁，请问是几楼？", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    relayed = (await api.wait_texts(ALICE, before + 1))[-1]
    assert relayed == "（以下由投诉专员为您服务）\n【投诉专员】您好，我们已安排保洁，请问是几楼？", (
        "the first staff message says who speaks"
    )
    assert any("已转达市民" in text for text in api.texts_to(STAFF_CHAT, topic.thread_id))

    await world.say(api.message(CLERK, "/wait 请告知具体楼层", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    asked = (await api.wait_texts(ALICE, before + 2))[-1]
    assert "需要您补充信息" in asked and "请告知具体楼层" in asked
    await world.say(api.message(ALICE, "二楼候诊区，我的电话13812345678"))
    mirrored = await api.wait_for(lambda: [t for t in api.texts_to(STAFF_CHAT, topic.thread_id) if t.startswith("【市民】")])
    assert mirrored == ["【市民】二楼候诊区，我的电话138****5678"]

    world.app.clock.advance(minutes=5)
    await world.say(api.message(CLERK, "/resolve 已完成清洁并加强巡查", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    told = await api.wait_for(lambda: [t for t in api.texts_to(ALICE) if "已办结" in t])
    assert "TS-20261201-0001" in told[0] and "已完成清洁并加强巡查" in told[0]
    case = await world.one(select(Case))
    assert case.status == "resolved" and case.owner_id is not None


async def test_a_stranger_in_the_staff_group_is_refused_and_nothing_is_relayed(world, api):
    await file_complaint_with_photo(world, api)
    topic = await _topic(world)
    before = api.texts_to(ALICE)
    await world.say(api.message(STRANGER, "我来回复：你的投诉不成立", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    await world.say(api.message(STRANGER, "/resolve 不成立", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    await world.say(api.callback(STRANGER, f"st:take:{topic.case_id}", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    refusals = [t for t in api.texts_to(STAFF_CHAT, topic.thread_id) if "不是已登记的工作人员" in t]
    assert len(refusals) == 3
    assert "不是已登记的工作人员" in api.calls_of("answerCallbackQuery")[-1].params["text"]
    await world.app.tick_outbox()
    assert api.texts_to(ALICE) == before
    case = await world.one(select(Case))
    assert case.status == "new" and case.assignee_id is None
    assert [r.outcome for r in await world.all(select(RelayedMessage))] == ["refused", "refused"]


async def test_take_by_two_staff_at_once_has_exactly_one_winner(world, api):
    await file_complaint_with_photo(world, api)
    topic = await _topic(world)
    data = f"st:take:{topic.case_id}"
    await world.say(
        api.callback(CLERK, data, chat_id=STAFF_CHAT, thread_id=topic.thread_id),
        api.callback(CLERK2, data, chat_id=STAFF_CHAT, thread_id=topic.thread_id),
    )
    case = await world.one(select(Case))
    winner = {9002: "王芳", 9003: "李强"}
    texts = api.texts_to(STAFF_CHAT, topic.thread_id)
    taken = [t for t in texts if "已受理" in t and "⚠️" not in t]
    refused = [t for t in texts if "已由" in t]
    assert len(taken) == 1 and len(refused) == 1
    holder = taken[0].split(" ")[0]
    assert holder in winner.values() and f"已由 {holder} 受理" in refused[0]
    answers = api.calls_of("answerCallbackQuery")
    assert len(answers) >= 3  # the citizen's "submit" tap and both staff taps were answered
    assert case.assignee_id is not None


async def test_a_citizen_cannot_read_another_citizens_case(world, api):
    await file_complaint_with_photo(world, api)
    await world.say(api.message(BOB, "你好"))
    await world.say(api.message(BOB, "TS-20261201-0001"))
    await world.say(api.message(BOB, "TS-20261201-0099"))
    foreign, missing = api.texts_to(BOB)[-2:]
    assert foreign.replace("0001", "0099") == missing
    assert "未找到" in foreign and "卫生" not in foreign


async def test_blocked_citizen_is_marked_unreachable_and_staff_are_told(world, api):
    await file_complaint_with_photo(world, api)
    topic = await _topic(world)
    api.fail_next("sendMessage", 403, chat_id=ALICE)
    await world.say(api.message(CLERK, "请补充就诊时间", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    citizen = await world.one(select(Citizen).where(Citizen.external_id == str(ALICE)))
    assert citizen.unreachable is True
    failed = await world.one(select(OutboxMessage).where(OutboxMessage.kind == "staff_reply"))
    assert failed.status == "failed" and "unreachable" in failed.error
    await world.app.tick_outbox()
    alerts = [
        c.params["text"] for c in api.calls_of("sendMessage") if c.params["chat_id"] in (SUPERVISOR, CLERK) and "未送达" in c.params["text"]
    ]
    assert alerts and "TS-20261201-0001" in alerts[0]


async def test_staff_actions_made_elsewhere_appear_in_the_topic(world, api):
    await world.say(api.message(ALICE, "转人工"))
    topic = await _topic(world)
    assert (await world.one(select(Case))).number.startswith("ZX-")
    async with world.app.sessions() as session, session.begin():
        clerk = await casework.require_staff(session, name="李强")
        case = await session.scalar(select(Case))
        await casework.note(session, world.app.services, case.number, clerk, "市民来电已核实", world.app.clock.now())
    await world.app.tick_outbox()
    assert any("【李强 内部备注】市民来电已核实" in t for t in api.texts_to(STAFF_CHAT, topic.thread_id))
    assert not any("市民来电已核实" in t for t in api.texts_to(ALICE))


async def test_a_console_citizen_gets_a_topic_and_the_staff_reply_through_their_own_channel(world, api):
    console = RecordingChannel("console")
    world.app.add_channel(console)
    result = await world.app.engine.handle(Inbound(channel="console", user_id="carol", text="转人工"))
    assert any("ZX-" in reply.text for reply in result.replies)
    await world.app.tick_outbox()
    topic = await _topic(world)
    assert api.calls_of("createForumTopic")[0].params["name"].startswith("ZX-")
    await world.say(api.message(CLERK2, "您好，请问要咨询什么？", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    assert console.to("carol") == ["（以下由李强为您服务）\n【李强】您好，请问要咨询什么？"]
    await world.app.engine.handle(Inbound(channel="console", user_id="carol", text="我想问健康证体检的事"))
    await world.app.tick_outbox()
    assert "【市民】我想问健康证体检的事" in api.texts_to(STAFF_CHAT, topic.thread_id)


async def test_join_notices_in_the_staff_group_are_ignored_and_a_redelivered_staff_message_acts_once(world, api):
    await world.say(api.message(ALICE, "转人工"))
    topic = await _topic(world)
    await world.say(api.message(STRANGER, None, chat_id=STAFF_CHAT, new_chat_members=[api.user(STRANGER)]))
    assert not any("不是已登记" in text for text in api.texts_to(STAFF_CHAT))
    relay = api.message(CLERK, "马上为您处理", chat_id=STAFF_CHAT, thread_id=topic.thread_id)
    await world.say(relay)
    await world.say(relay | {"update_id": 99999})
    await world.app.tick_outbox()
    assert sum("【投诉专员】马上为您处理" in text for text in api.texts_to(ALICE)) == 1


async def test_a_photo_sent_during_a_handoff_appears_in_its_topic(world, api):
    await world.say(api.message(ALICE, "转人工"))
    topic = await _topic(world)
    await world.say(api.photo(ALICE, "rash-photo-7", caption="皮疹照片"))
    await world.app.tick_outbox()
    photos = [c.params["photo"] for c in api.calls_of("sendPhoto") if c.params.get("message_thread_id") == topic.thread_id]
    assert photos == ["rash-photo-7"]
    assert any("皮疹照片" in text for text in api.texts_to(STAFF_CHAT, topic.thread_id))


async def test_withheld_mode_keeps_what_citizens_write_out_of_the_staff_group(settings_factory, clock, api):
    settings = telegram_settings(settings_factory, api, telegram_staff_content="withheld")
    running = await TelegramWorld.start(settings, clock, api)
    try:
        await running.say(api.message(ALICE, "转人工"))
        topic = await _topic(running)
        await running.say(api.message(ALICE, "我有乙肝，体检能过吗"))
        await running.app.tick_outbox()
        relayed = api.texts_to(STAFF_CHAT, topic.thread_id)
        assert relayed and not any("乙肝" in text or "转人工" in text for text in relayed)
        assert any("cases reveal" in text for text in relayed)
        async with running.app.sessions() as session:
            history = list(await session.scalars(select(Case.description)))
        assert history == ["转人工"], "the case record itself keeps what was said"
    finally:
        await running.close()


async def test_withheld_mode_keeps_what_citizens_write_out_of_supervisor_alerts_too(settings_factory, clock, api):
    settings = telegram_settings(settings_factory, api, telegram_staff_content="withheld")
    running = await TelegramWorld.start(settings, clock, api)
    try:
        await running.add_staff("王主任", "supervisor", SUPERVISOR)
        confirmation = await file_complaint_with_photo(running, api)
        await running.app.tick_outbox()
        [alert] = [text for text in api.texts_to(SUPERVISOR) if "新投诉" in text]
        number = confirmation.split("TS-", 1)[1][:13]
        assert f"TS-{number}" in alert and "答复期限" in alert
        assert "卫生" not in alert and "垃圾" not in alert and "cases reveal" in alert
        assert api.calls_of("sendPhoto") == [], "nor does the evidence photo go to Telegram's staff group"
    finally:
        await running.close()


async def test_deliveries_racing_to_create_one_case_topic_make_exactly_one(world, api, settings_factory, clock, database_url):
    from telegram import Bot

    from bot.app import App
    from bot.channels.telegram.http import AiohttpRequest
    from bot.channels.telegram.sender import TelegramSender
    from bot.core.messages import Reply
    from tests.fakes.telegram_api import TOKEN

    await world.app.engine.handle(Inbound(channel="console", user_id="walk-in", text="转人工"))  # queued, not yet sent
    api.latency["createForumTopic"] = 0.2  # both deliveries are past "no topic yet" before either is answered
    row = await world.one(select(OutboxMessage).where(OutboxMessage.kind == "staff_topic"))
    senders = [world.runtime.sender, world.runtime.sender]
    other = None
    if database_url.startswith("postgresql"):  # a second bot process on the same database
        other = App(telegram_settings(settings_factory, api), clock)
        bot = Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest(2))
        await bot.initialize()
        senders[1] = TelegramSender(bot, other.sessions, staff_chat_id=STAFF_CHAT, clock=clock)
    try:
        replies = [Reply.from_json(r) for r in row.payload["replies"]]
        await asyncio.gather(*(sender.send(row.recipient, replies, kind=NoticeKind.STAFF_TOPIC, payload=row.payload) for sender in senders))
    finally:
        if other is not None:
            await senders[1].bot.shutdown()
            await other.close()
    assert len(api.calls_of("createForumTopic")) == 1
    assert len(await world.all(select(StaffTopic))) == 1


async def test_a_citizen_s_reply_to_staff_on_a_complaint_shows_in_the_topic(world, api):
    await file_complaint_with_photo(world, api)
    topic = await _topic(world)
    await world.say(api.message(CLERK, "/take", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    await world.say(api.message(CLERK, "您好，我们已安排专人处理，您下午方便吗？", chat_id=STAFF_CHAT, thread_id=topic.thread_id))
    before = len(api.texts_to(ALICE))
    await world.say(api.message(ALICE, "好的，谢谢，我下午还在窗口附近"))
    mirrored = await api.wait_for(lambda: [t for t in api.texts_to(STAFF_CHAT, topic.thread_id) if t.startswith("【市民】")])
    assert mirrored == ["【市民】好的，谢谢，我下午还在窗口附近"], "staff see the citizen's answer"
    assert not any("无法准确回答" in t or "一次性告知" in t for t in api.texts_to(ALICE)[before:])
