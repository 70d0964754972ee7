"""The /wechat callback as WeChat's server sees it: signatures, the three modes, safe XML, passive replies, retries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot.office.privacy import ANONYMISED
from bot.storage.models import Attachment, Case, Citizen, ConversationMessage, OutboxMessage
from tests.fakes.wechat_server import numbered_choice, sign
from tests.wechat_desk import (
    AES_KEY,
    APP_ID,
    CASE_NUMBER,
    TOKEN,
    desk,
    fake_api,
    open_desk,
    wechat_settings,
)

# The official sample from WeChat's message-encryption documentation (WXBizMsgCrypt demo)
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5G"
    "IItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMe"
    "zR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl"
    "9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_USER = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
CHECKLIST = ("所需材料", "身份证", "办理流程", "办理时限", "收费标准", "办理地点", "办公时间", "咨询电话", "办理依据")


async def _count(app, model, *where) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_official_sample_decrypts_to_the_known_text_message_and_is_answered(desk):
    assert sign(TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE) == SAMPLE_SIGNATURE
    body = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
    params = {
        "signature": SAMPLE_SIGNATURE,
        "timestamp": SAMPLE_TIMESTAMP,
        "nonce": SAMPLE_NONCE,
        "encrypt_type": "aes",
        "msg_signature": SAMPLE_MSG_SIGNATURE,
    }
    desk.app.clock.set(datetime.fromtimestamp(int(SAMPLE_TIMESTAMP), UTC))  # signed in 2014: answered only then
    response = await desk.client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    envelope = xmltodict.parse(response.text)["xml"]
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    reply = xmltodict.parse(crypto.decrypt_message(response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]))[
        "xml"
    ]
    assert reply["ToUserName"] == SAMPLE_USER and reply["FromUserName"] == "gh_10f6c3c3ac5a"
    assert "[Privacy]" in reply["Content"], "a first contact is answered with the privacy notice (in English: the text was Latin)"
    async with desk.app.sessions() as session:
        said = list(await session.scalars(select(ConversationMessage.text).where(ConversationMessage.direction == "in")))
    assert said == ["abcdteT"]
    desk.app.clock.advance(minutes=5, seconds=1)
    replayed = await desk.client.post("/wechat", params=params, content=body)
    assert replayed.status_code == 403, "the same signed request, more than 5 minutes on, is refused"


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_round_trip_in_each_mode(wechat_settings, clock, fake_api, mode):
    async with open_desk(wechat_settings(wechat_encryption=mode), clock, fake_api) as desk:
        answer = await desk.wechat(mode).text("o-citizen-1", "你好")
    assert answer.status == 200
    assert "您好" in answer.content and "办事指南" in answer.content
    if mode == "plain":
        assert "<Encrypt>" not in answer.raw and "o-citizen-1" in answer.raw
    else:
        assert "<Encrypt>" in answer.raw and "您好" not in answer.raw, "safe-mode replies are encrypted"


async def test_get_verification_echoes_only_when_signed(desk):
    wechat = desk.wechat()
    good = await wechat.verify("echo-123")
    assert good.status_code == 200 and good.text == "echo-123"
    bad = await wechat.verify("echo-123", signature="0" * 40)
    assert bad.status_code == 403 and "echo-123" not in bad.text


async def test_bad_or_missing_signature_is_refused_and_not_processed(desk):
    wechat = desk.wechat()
    forged = await wechat.post(wechat.text_xml("o-forger", "你好"), signature="f" * 40)
    assert forged.status == 403
    missing = await desk.client.post("/wechat", content=wechat.text_xml("o-forger", "你好"))
    assert missing.status_code == 403
    safe = desk.wechat("safe")
    wrong_key = await safe.post(safe.text_xml("o-forger", "你好"), aes_key="B" * 43)
    assert wrong_key.status == 400, "a message no configured key decrypts is not processed"
    tampered = await desk.client.post(
        "/wechat",
        params={"signature": sign(TOKEN, "1", "2"), "timestamp": "1", "nonce": "2", "encrypt_type": "aes", "msg_signature": "0" * 40},
        content="<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>",
    )
    assert tampered.status_code == 403
    assert await _count(desk.app, Citizen) == 0


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o-attacker</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o-attacker</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("attack", ["billion-laughs", "external-entity", "oversized", "not-xml"])
async def test_hostile_xml_is_refused_and_the_next_request_still_works(wechat_settings, clock, fake_api, attack, mode):
    async with open_desk(wechat_settings(wechat_encryption=mode), clock, fake_api) as desk:
        await _refused_then_still_working(desk, attack, mode)


async def _refused_then_still_working(desk, attack: str, mode: str) -> None:
    wechat = desk.wechat(mode)
    xml = {
        "billion-laughs": BILLION_LAUGHS,
        "external-entity": EXTERNAL_ENTITY,
        "oversized": wechat.text_xml("o-attacker", "办" * 40_000),
        "not-xml": "this is { not xml",
    }[attack]
    refused = await wechat.post(xml)
    assert refused.status == (413 if attack == "oversized" else 400)
    assert "root:" not in refused.raw and "lollol" not in refused.raw
    answer = await wechat.text("o-citizen-2", "你好")
    assert answer.status == 200 and "您好" in answer.content
    assert await _count(desk.app, Citizen, Citizen.external_id == "o-attacker") == 0


async def test_question_gets_the_whole_checklist_passively_and_the_faq_right_after(desk):
    wechat = desk.wechat("safe")
    await wechat.text("o-cert", "你好")
    answer = await wechat.text("o-cert", "办健康证要带什么东西")
    assert answer.status == 200
    for part in CHECKLIST:
        assert part in answer.content, f"{part} missing from the passive reply"
    # WeChat takes at most 2048 bytes in one text; the FAQ that did not fit follows as a customer-service message
    assert len(answer.content.encode()) <= 2048
    await desk.settle()
    [rest] = desk.api.custom_texts("o-cert")
    assert rest.startswith("常见问题") and len(rest.encode()) <= 2048


async def test_short_answer_is_one_passive_reply_and_nothing_else(desk):
    wechat = desk.wechat()
    await wechat.text("o-hours", "你好")
    answer = await wechat.text("o-hours", "谢谢，再见")
    assert "再见" in answer.content
    await desk.settle()
    assert desk.api.custom_texts("o-hours") == []


async def _complain_until_confirmation(wechat, openid: str) -> str:
    await wechat.text(openid, "你好")
    asked = await wechat.text(openid, "我要投诉")
    assert "描述" in asked.content
    await wechat.text(openid, "窗口工作人员态度很差，让我等了两个小时")
    await wechat.text(openid, "跳过")
    summary = await wechat.text(openid, "跳过")
    assert "请确认您的投诉" in summary.content
    return numbered_choice(summary.content, "确认提交")


async def test_complaint_with_a_photo_becomes_a_case_with_evidence(desk):
    wechat = desk.wechat("safe")
    confirm = await _complain_until_confirmation(wechat, "o-complainer")
    photo = await wechat.post(wechat.image_xml("o-complainer", "MEDIA-123"))
    assert "附件" in photo.content
    filed = await wechat.text("o-complainer", confirm)
    number = CASE_NUMBER.search(filed.content).group(0)
    assert number.startswith("TS-")
    async with desk.app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        refs = list(await session.scalars(select(Attachment.ref).where(Attachment.case_id == case.id)))
    assert case.type == "complaint" and case.channel == "wechat"
    assert refs == ["MEDIA-123"]


async def test_slow_turn_answers_success_then_a_customer_service_message(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(wechat_reply_budget_seconds=0.0), clock, fake_api) as slow:
        wechat = slow.wechat("safe")
        hello = wechat.text_xml("o-slow", "你好")
        answer = await wechat.post(hello)
        assert answer.success, "nothing ready within the budget: WeChat gets `success`, not an error"
        await slow.settle()
        [sent] = fake_api.custom_texts("o-slow")
        assert "个人信息" in sent and "您好" in sent and "1. 办事指南" in sent
        assert await _count(slow.app, OutboxMessage, OutboxMessage.status == "sent", OutboxMessage.recipient == "o-slow") == 1
    async with open_desk(wechat_settings(), clock, fake_api) as other_process:
        retried = await other_process.wechat("safe").post(hello)
        await other_process.settle()
    assert retried.success, "a retry of a message answered by customer-service message is not answered twice"
    assert len(fake_api.custom_texts("o-slow")) == 1


async def test_retries_of_one_message_make_one_turn_and_one_case_across_restarts_and_processes(desk, wechat_settings, clock, fake_api):
    wechat = desk.wechat("safe")
    confirm = await _complain_until_confirmation(wechat, "o-retry")
    retry = wechat.text_xml("o-retry", confirm, msg_id=wechat.next_id())
    async with open_desk(wechat_settings(), clock, fake_api) as second_process:
        other = second_process.wechat("safe")
        answers = await asyncio.gather(wechat.post(retry), wechat.post(retry), other.post(retry))
    assert len({a.content for a in answers}) == 1, "every retry gets the reply the first delivery got"
    assert "TS-" in answers[0].content
    async with open_desk(wechat_settings(), clock, fake_api) as restarted:
        after_restart = await restarted.wechat("safe").post(retry)
    assert after_restart.content == answers[0].content
    assert await _count(desk.app, Case) == 1
    assert await _count(desk.app, ConversationMessage, ConversationMessage.text == confirm) == 1, "one turn recorded"


async def test_subscribe_greets_and_menu_clicks_start_flows(desk):
    wechat = desk.wechat()
    followed = await wechat.post(wechat.event_xml("o-new", "subscribe"))
    assert "个人信息" in followed.content and "您好" in followed.content
    assert "1. 办事指南" in followed.content and "4. 人工服务" in followed.content
    again = await wechat.post(wechat.event_xml("o-new", "subscribe", create_time=1764554400))
    retried = await wechat.post(wechat.event_xml("o-new", "subscribe", create_time=1764554400))
    assert again.content == retried.content
    complaint = await wechat.post(wechat.event_xml("o-new", "CLICK", key="CONSULT_COMPLAINT"))
    assert "描述" in complaint.content
    status = await wechat.post(wechat.event_xml("o-new", "CLICK", key="CONSULT_STATUS"))
    assert "没有正在办理" in status.content


async def test_voice_with_recognition_is_read_as_text_and_other_types_get_a_polite_answer(desk):
    wechat = desk.wechat()
    await wechat.text("o-voice", "你好")
    heard = await wechat.post(wechat.voice_xml("o-voice", "办健康证要带什么东西"))
    assert "所需材料" in heard.content
    video = await wechat.post(wechat._xml("o-voice", "video", None, f"<MediaId>v</MediaId><MsgId>{wechat.next_id()}</MsgId>"))
    assert "文字" in video.content
    view = await wechat.post(wechat.event_xml("o-voice", "VIEW", key="https://example.org"))
    assert view.success, "events that are no conversation turn are acknowledged quietly"


async def test_unsubscribe_deletes_personal_data_and_anonymises_cases(desk):
    wechat = desk.wechat("safe")
    confirm = await _complain_until_confirmation(wechat, "o-leaving")
    await wechat.text("o-leaving", confirm)
    left = await wechat.post(wechat.event_xml("o-leaving", "unsubscribe"))
    assert left.success
    assert await _count(desk.app, Citizen, Citizen.external_id == "o-leaving") == 0
    assert await _count(desk.app, ConversationMessage) == 0
    async with desk.app.sessions() as session:
        [case] = list(await session.scalars(select(Case)))
    assert case.citizen_id is None and case.anonymised and case.description == ANONYMISED and "态度" not in case.summary


async def test_previous_aes_key_keeps_working_during_rotation(wechat_settings, clock, fake_api):
    new_key = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    settings = wechat_settings(wechat_aes_key=new_key, wechat_previous_aes_key=AES_KEY)
    async with open_desk(settings, clock, fake_api) as rotated:
        wechat = rotated.wechat("safe")
        old = await wechat.text("o-rotation", "你好", aes_key=AES_KEY)
        assert "您好" in old.content, "answered, and encrypted with the old key that worked"
        new = await wechat.text("o-rotation", "谢谢，再见", aes_key=new_key)
        assert "再见" in new.content
