"""Dialog transcripts for the core flows: greeting, procedure answers, choices, unknown questions, bad input."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.conftest import Citizen


async def test_first_contact_gets_privacy_notice_greeting_and_menu(citizen):
    replies = await citizen.replies("你好")
    assert "个人信息" in replies[0].text and "删除我的数据" in replies[0].text
    assert "您好" in replies[1].text
    assert [c.label for c in replies[2].choices] == ["办事指南", "我要投诉", "进度查询", "人工服务"]
    again = await citizen.say("你好")
    assert not any("个人信息" in text for text in again), "the notice is shown once"


async def test_health_certificate_question_gets_the_whole_checklist_in_one_message(citizen):
    await citizen.say("你好")
    [answer] = await citizen.say("办健康证要带什么东西")
    for part in ("所需材料", "身份证", "办理流程", "办理时限", "收费标准", "办理地点", "办公时间", "咨询电话", "办理依据"):
        assert part in answer


async def test_colloquial_barbershop_question_finds_the_hygiene_license(citizen):
    await citizen.say("你好")
    [answer] = await citizen.say("我想开个理发店，卫生许可怎么申请")
    assert "公共场所卫生许可" in answer and "所需材料" in answer


async def test_english_question_gets_english_answer(citizen):
    replies = await citizen.say("What are your opening hours?")
    answer = replies[-1]
    assert "Hours" in answer and "Phone" in answer
    assert "办公时间" not in answer
    assert "Privacy" in replies[0], "the first-contact notice follows the citizen's language"


async def test_vague_question_offers_choices_and_a_number_picks_one(citizen):
    await citizen.say("你好")
    [offer] = await citizen.replies("许可证怎么办")
    procedures = [c for c in offer.choices if c.value.startswith("p:")]
    assert 2 <= len(procedures) <= 3
    [answer] = await citizen.say("1")
    assert procedures[0].label in answer and "所需材料" in answer


async def test_unanswerable_question_is_not_answered_with_a_procedure(citizen):
    await citizen.say("你好")
    [reply] = await citizen.replies("今天天气怎么样")
    assert "无法准确回答" in reply.text
    assert "所需材料" not in reply.text
    assert {c.value for c in reply.choices} == {"m:handoff", "m:complaint", "m:guide"}


async def test_goodbye(citizen):
    await citizen.say("你好")
    [reply] = await citizen.say("谢谢，再见")
    assert "再见" in reply


@pytest.mark.parametrize(
    "junk",
    ["", "   \t ", "\x00\x01\x02\x7f", "😀😀😀", "a" * 100_000, "办健康证" * 25_000, "\ufffd\ufffe binary \x00 junk", "Здравствуйте مرحبا"],
    ids=["empty", "whitespace", "control", "emoji", "100k-latin", "100k-chinese", "binary", "mixed-script"],
)
async def test_bad_input_gets_a_polite_reply_and_keeps_state(app, junk):
    alice = Citizen(app)
    await alice.say("我要投诉")
    replies = await alice.say(junk)
    assert replies and all(text.strip() for text in replies)
    assert not any("Traceback" in text for text in replies)
    summary = await alice.say("跳过") if junk.strip() else None
    assert junk.strip() == "" or summary, "the complaint flow is still going after the junk"


async def test_state_survives_a_restart(settings_factory, clock):
    first = App(settings_factory(), clock)
    await Citizen(first).say("我要投诉")
    await first.close()
    second = App(settings_factory(), clock)
    [reply] = await Citizen(second).say("窗口人员不理人，让我等了两个小时")
    await second.close()
    assert "哪个窗口" in reply


async def test_repeated_message_id_is_processed_once(app):
    alice = Citizen(app)
    first = await alice.say("我要投诉", message_id="m-1")
    repeat = await alice.say("我要投诉", message_id="m-1")
    assert repeat == first
    nxt = await alice.say("他们态度很差让我跑了三趟", message_id="m-2")
    assert "哪个窗口" in nxt[-1], "the repeat did not restart or advance the flow"


async def test_handler_error_gives_a_safe_reply_with_trace_id(app, monkeypatch):
    alice = Citizen(app)

    def broken(question):
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(app.services.knowledge.current.index, "search", broken)
    [reply] = (await alice.say("办健康证"))[-1:]
    assert "出现问题" in reply and "index corrupted" not in reply
