"""Surveys through the real channels: buttons on Telegram (PTB against the fake Bot API), numbers and templates on WeChat."""

from __future__ import annotations

from tests.conftest import local
from tests.survey_helpers import add_staff, resolve
from tests.wechat_desk import CASE_NUMBER, desk, fake_api, file_complaint, open_desk, wechat_settings

ALICE = 7001
CITIZEN = "o-citizen"


async def test_telegram_survey_has_five_buttons_and_a_tap_rates_once(world, api):
    await add_staff(world.app, "李明")
    for text in ("我要投诉", "窗口工作人员态度很差，让我跑了三趟", "跳过", "跳过", "确认"):
        await world.say(api.message(ALICE, text))
    number = CASE_NUMBER.search(api.texts_to(ALICE)[-1]).group(0)
    await resolve(world.app, number, "李明")
    world.app.clock.advance(days=1)
    await world.app.tick_outbox()
    survey = [c for c in api.calls_of("sendMessage") if c.params["chat_id"] == ALICE and "评价" in c.params["text"]][-1]
    buttons = [b for row in survey.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    await world.say(api.callback(ALICE, buttons[0]["callback_data"]))
    assert "感谢您的评价（非常满意）" in api.texts_to(ALICE)[-1]
    await world.say(api.callback(ALICE, buttons[4]["callback_data"]))
    assert "已评价" in api.texts_to(ALICE)[-1]
    assert len(api.calls_of("answerCallbackQuery")) == 2, "every tap is answered"


async def test_wechat_survey_is_numbered_and_a_typed_number_rates(desk):
    wechat = desk.wechat("safe")
    number = await file_complaint(wechat, CITIZEN)
    await add_staff(desk.app, "李明")
    await resolve(desk.app, number, "李明")
    desk.app.clock.advance(days=1)
    await desk.app.tick_outbox()
    [survey] = [text for text in desk.api.custom_texts(CITIZEN) if "评价" in text]
    assert "1. 非常满意" in survey and "5. 非常不满意" in survey
    answer = await wechat.text(CITIZEN, "2")
    assert "感谢您的评价（满意）" in answer.content


async def test_wechat_survey_after_the_window_closed_uses_the_survey_template(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(wechat_template_survey="TPL-SURVEY"), clock, fake_api) as running:
        number = await file_complaint(running.wechat("safe"), CITIZEN)
        await add_staff(running.app, "李明")
        clock.set(local(2026, 12, 7, 10, 0))
        await resolve(running.app, number, "李明")
        clock.set(local(2026, 12, 8, 10, 0))
        await running.app.tick_outbox()
        templates = running.api.templates(CITIZEN)
        assert templates and templates[-1]["template_id"] == "TPL-SURVEY"
        assert not [text for text in running.api.custom_texts(CITIZEN) if "评价" in text]
