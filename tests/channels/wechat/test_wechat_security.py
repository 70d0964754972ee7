"""The /wechat callback probed as an attacker would: modes, expired and replayed signatures, injection, malformed fields."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import timedelta
from xml.etree import ElementTree

import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat.api import TOKEN_KEY, WeChatAPI
from bot.office import casework
from bot.scheduler import create_scheduler
from bot.storage.models import Base, Citizen, ConversationMessage, KeyValue, OutboxMessage
from bot.storage.wechat_models import WeChatNonce
from tests.fakes.wechat_server import cdata, sign
from tests.helpers import add_staff
from tests.wechat_desk import (
    AES_KEY,
    APP_ID,
    SECRET,
    TOKEN,
    desk,
    fake_api,
    file_complaint,
    open_desk,
    wechat_settings,
)


async def _count(app, model, *where) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def _inbound_texts(app) -> list[str]:
    async with app.sessions() as session:
        return list(await session.scalars(select(ConversationMessage.text).where(ConversationMessage.direction == "in")))


# --- item 3: modes, the 5-minute window, nonce memory ------------------------------------------------------
async def test_with_an_aes_key_the_default_is_safe_mode_and_plaintext_posts_are_refused(desk):
    assert desk.app.settings.wechat_mode == "safe"
    forged = await desk.wechat("plain").text("o-victim", "我要投诉")
    assert forged.status == 403, "anyone holding one signed URL could post plaintext as any openid"
    # the compatible layout (plaintext copy beside Encrypt) is answered from the encrypted copy only
    compatible = desk.wechat("compatible")
    xml = compatible.text_xml("o-citizen", "你好")
    answered = await compatible.post(xml)
    assert answered.status == 200 and "您好" in answered.content
    assert await _count(desk.app, Citizen, Citizen.external_id == "o-victim") == 0


async def test_compatible_mode_takes_both_and_trusts_only_the_encrypted_copy(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(wechat_encryption="compatible"), clock, fake_api) as running:
        plain = await running.wechat("plain").text("o-plain", "你好")
        assert plain.status == 200 and "您好" in plain.content
        wechat = running.wechat("compatible")
        real = wechat.text_xml("o-real", "你好")
        params_and_body = wechat.text_xml("o-real", "我要投诉")
        answer = await wechat.post(real)
        assert "您好" in answer.content
        # a body whose plaintext copy says something else than its signed, encrypted copy: the encrypted one counts
        encrypted = xmltodict.parse(answer.body.decode())["xml"]["Encrypt"]
        tampered = params_and_body.replace("</xml>", f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>")
        retried = await wechat.send(answer.params, tampered.encode(), WeChatCrypto(TOKEN, AES_KEY, APP_ID))
        assert retried.content == answer.content
        assert await _inbound_texts(running.app) == ["你好", "你好"]


async def test_plain_mode_never_needs_a_key(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(wechat_aes_key=None, wechat_encryption=None), clock, fake_api) as running:
        assert running.app.settings.wechat_mode == "plain"
        answer = await running.wechat().text("o-plain", "你好")
        assert answer.status == 200 and "<Encrypt>" not in answer.raw


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_an_encrypted_mode_without_a_key_is_one_clear_operator_error(tmp_path, mode, monkeypatch, capsys):
    from bot.__main__ import _settings

    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("CONSULT_WECHAT_ENCRYPTION", mode)
    monkeypatch.delenv("CONSULT_WECHAT_AES_KEY", raising=False)
    with pytest.raises(SystemExit) as exited:
        _settings()
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("environment: CONSULT_WECHAT_ENCRYPTION:") and "CONSULT_WECHAT_AES_KEY" in line


@pytest.mark.parametrize("skew", [-301, 301, -3600, 10**9])
async def test_a_timestamp_more_than_five_minutes_from_now_is_refused(desk, skew):
    wechat = desk.wechat()
    moment = str(int(desk.app.clock.now().timestamp()) + skew)
    stale = await wechat.text("o-late", "你好", timestamp=moment)
    assert stale.status == 403
    stale_check = await desk.client.get(
        "/wechat", params={"timestamp": moment, "nonce": "1", "echostr": "e", "signature": sign(TOKEN, moment, "1")}
    )
    assert stale_check.status_code == 403
    assert await _count(desk.app, Citizen) == 0


async def test_a_timestamp_within_five_minutes_is_accepted(desk):
    moment = str(int(desk.app.clock.now().timestamp()) - 299)
    assert (await desk.wechat().text("o-skewed", "你好", timestamp=moment)).status == 200


@pytest.mark.parametrize("mode", ["safe", "compatible", "plain"])
async def test_a_seen_nonce_with_another_body_is_refused_in_every_process_and_the_same_body_is_a_retry(
    wechat_settings, clock, fake_api, mode
):
    settings = wechat_settings(wechat_encryption=mode)
    async with open_desk(settings, clock, fake_api) as first, open_desk(settings, clock, fake_api) as second:
        wechat = first.wechat()
        original = await wechat.text("o-alice", "你好")
        assert original.status == 200
        # an eavesdropper reuses the signed query with a body of their own, on either process
        forged_xml = wechat.text_xml("o-mallory", "我要投诉")
        for process in (first, second):
            forged = await process.wechat().post(forged_xml, timestamp=original.params["timestamp"], nonce=original.params["nonce"])
            assert forged.status == 403
        # WeChat retrying sends the very same request: it gets the same answer, and no second turn
        for process in (first, second):
            retried = await process.wechat().replay(original)
            assert retried.status == 200 and retried.content == original.content
        assert await _inbound_texts(first.app) == ["你好"]
        assert await _count(first.app, Citizen, Citizen.external_id == "o-mallory") == 0


async def test_two_bodies_racing_with_one_nonce_one_wins_and_identical_retries_racing_all_pass(desk):
    wechat = desk.wechat()
    timestamp, nonce = wechat.stamp()
    racing = await asyncio.gather(
        *(wechat.post(wechat.text_xml(f"o-racer-{n}", "你好"), timestamp=timestamp, nonce=nonce) for n in range(4))
    )
    assert sorted(answer.status for answer in racing) == [200, 403, 403, 403]
    winner = next(answer for answer in racing if answer.status == 200)
    retries = await asyncio.gather(*(wechat.replay(winner) for _ in range(3)))
    assert [answer.content for answer in retries] == [winner.content] * 3
    assert await _count(desk.app, Citizen) == 1


async def test_nonces_are_remembered_for_the_window_then_purged_by_the_scheduler(desk):
    await desk.wechat().text("o-alice", "你好")
    assert await _count(desk.app, WeChatNonce) == 1
    job = create_scheduler(desk.app).get_job("wechat_nonces")
    assert job is not None, "the scheduler purges old nonces"
    await desk.app.forget_wechat_nonces()
    assert await _count(desk.app, WeChatNonce) == 1, "still inside the window"
    desk.app.clock.advance(minutes=5, seconds=1)
    assert await desk.app.forget_wechat_nonces() == 1
    assert await _count(desk.app, WeChatNonce) == 0


# --- item 4: secrets out of logs, stored errors and staff messages ------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _everything_stored(app) -> list[tuple[str, str]]:
    """Every row of every table as (table, text), for grepping."""
    rows = []
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                rows.append((table.name, repr(tuple(row))))
    return rows


async def test_no_secret_or_token_in_any_log_line_stored_error_or_staff_alert(wechat_settings, clock, fake_api, caplog):
    caplog.set_level(logging.DEBUG)
    token = "TOKEN-d41d8cd98f00b204e9800998ecf8427e"
    # the token fetch: httpx logs every URL at INFO, and the token URL carries the AppSecret
    async with open_desk(wechat_settings(), clock, fake_api) as running:
        api = WeChatAPI(running.app.settings, running.app.sessions, running.app.clock)
        fetched = await api.access_token()
        await api.aclose()
    # then the WeChat API becomes unreachable while a cached token is still valid: every send fails
    unreachable = wechat_settings(wechat_api_base_url=f"http://127.0.0.1:{_closed_port()}/cgi-bin/")
    async with open_desk(unreachable, clock, fake_api) as running:
        app = running.app
        async with app.sessions() as session, session.begin():
            row = await session.get(KeyValue, TOKEN_KEY)
            row.value, row.expires_at = token, clock.now() + timedelta(hours=2)
        await add_staff(app, "李主任", role="supervisor")
        handler = await add_staff(app, "王芳")
        number = await file_complaint(running.wechat(), "o-citizen")
        async with app.sessions() as session, session.begin():
            await casework.take(session, app.services, number, handler, clock.now())
            await casework.reply(session, app.services, number, handler, "您好，明天给您回电。", clock.now())
        for _ in range(8):
            await app.tick_outbox()
            clock.advance(minutes=5)
        async with app.sessions() as session:
            failed = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")))
            alerts = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")))
        assert failed and all(row.error for row in failed), "the sends did fail"
        assert any("未送达" in repr(row.payload) for row in alerts), "and staff were told"
        stored = await _everything_stored(app)
    logged = [record.getMessage() + (caplog.text if record.exc_info else "") for record in caplog.records]
    assert any("token" in line for line in logged)
    for secret in (SECRET, fetched, token):
        assert not [line for line in logged if secret in line], f"{secret} in the logs"
    assert not [row for row in stored if SECRET in row[1]], "the AppSecret is nowhere in the database"
    leaks = [row for row in stored if token in row[1] and not (row[0] == "key_values" and TOKEN_KEY in row[1])]
    assert leaks == [], "the token cache is the one place an access token is stored"


# --- item 5: XML injection in passive replies ---------------------------------------------------------------
INJECTION = "窗口态度差]]></Content><MsgType><![CDATA[news]]></MsgType><Content><![CDATA[恶意"


def _inner_reply(answer, mode: str) -> str:
    if mode == "plain":
        return answer.raw
    envelope = xmltodict.parse(answer.raw)["xml"]
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    return crypto.decrypt_message(answer.raw, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_citizen_text_with_a_cdata_end_comes_back_as_exactly_that_text(wechat_settings, clock, fake_api, mode):
    async with open_desk(wechat_settings(wechat_encryption=mode), clock, fake_api) as running:
        wechat = running.wechat()
        await wechat.text("o-inject", "你好")
        await wechat.text("o-inject", "我要投诉")
        for said in (INJECTION, "跳过", "跳过"):
            summary = await wechat.text("o-inject", said)
        reply = ElementTree.fromstring(_inner_reply(summary, mode))  # well-formed, or this raises
        assert sorted(child.tag for child in reply) == ["Content", "CreateTime", "FromUserName", "MsgType", "ToUserName"]
        assert reply.findtext("MsgType") == "text"
        assert INJECTION in reply.findtext("Content")
        assert await _inbound_texts(running.app) == ["你好", "我要投诉", INJECTION, "跳过", "跳过"]


# --- item 6: one duplicate-check key per message, not `msg:0` for everyone -----------------------------------
async def test_messages_without_msgid_are_told_apart_by_sender_time_and_type(desk):
    wechat = desk.wechat()
    moment = int(desk.app.clock.now().timestamp())
    no_id = "<xml><ToUserName>{to}</ToUserName><FromUserName>{who}</FromUserName><CreateTime>{at}</CreateTime><MsgType>{kind}</MsgType>{rest}</xml>"
    alice = no_id.format(to=cdata("gh"), who=cdata("o-alice"), at=moment, kind=cdata("text"), rest=f"<Content>{cdata('你好')}</Content>")
    bob = no_id.format(to=cdata("gh"), who=cdata("o-bob"), at=moment, kind=cdata("text"), rest=f"<Content>{cdata('我要投诉')}</Content>")
    first = await wechat.post(alice)
    second = await wechat.post(bob)
    assert "您好" in first.content
    assert "描述" in second.content, "Bob gets his own answer, not the one stored for Alice"
    retried = await wechat.post(bob)
    assert retried.content == second.content
    # a message type wechatpy does not know, without MsgId, from two citizens: two turns
    for who in ("o-carol", "o-dave"):
        odd = no_id.format(to=cdata("gh"), who=cdata(who), at=moment, kind=cdata("channels_card"), rest="")
        answer = await wechat.post(odd)
        assert answer.status == 200
    assert await _count(desk.app, Citizen, Citizen.external_id.in_(["o-carol", "o-dave"])) == 2


async def test_an_unknown_event_is_acknowledged_and_is_not_a_turn(desk):
    wechat = desk.wechat()
    answer = await wechat.post(wechat.event_xml("o-alice", "some_future_event"))
    assert answer.success
    assert await _count(desk.app, Citizen) == 0


# --- item 7: malformed fields are a 400, never a 500 ---------------------------------------------------------
def _message(**fields: str) -> str:
    values = {"ToUserName": cdata("gh"), "FromUserName": cdata("o-x"), "CreateTime": "1764554400", "MsgType": cdata("text")}
    values.update({"Content": cdata("你好"), "MsgId": "6054768590064713728"})
    values.update(fields)
    return "<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None) + "</xml>"


MALFORMED = {
    "msgid-not-a-number": _message(MsgId="abc"),
    "msgid-negative": _message(MsgId="-5"),
    "msgid-huge": _message(MsgId="9" * 40),
    "createtime-not-a-number": _message(CreateTime="yesterday"),
    "no-sender": _message(FromUserName=None),
    "no-type": _message(MsgType=None),
    "sender-too-long": _message(FromUserName=cdata("o" * 500)),
    "sender-with-markup": _message(FromUserName=cdata("o-x]]><evil/>")),
    "two-types": _message(MsgType=cdata("text") + "</MsgType><MsgType>" + cdata("image")),
    "nested-content": _message(Content="<b>hi</b>"),
    "wrong-root": "<message><MsgType>text</MsgType></message>",
    "empty": "",
    "not-utf8": '<?xml version="1.0" encoding="latin-1"?><xml><FromUserName>\xe9</FromUserName></xml>',
}


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_fields_are_a_400_never_a_500(wechat_settings, clock, fake_api, mode, case):
    async with open_desk(wechat_settings(wechat_encryption=mode), clock, fake_api) as running:
        refused = await running.wechat().post(MALFORMED[case])
        assert refused.status == 400, refused.raw
        assert "Traceback" not in refused.raw
        assert await _count(running.app, Citizen) == 0
        assert (await running.wechat().text("o-next", "你好")).status == 200


@pytest.mark.parametrize(
    "params",
    [
        {"signature": "é" * 40, "timestamp": "1", "nonce": "2"},
        {"signature": sign(TOKEN, "abc", "2"), "timestamp": "abc", "nonce": "2"},
        {"signature": sign(TOKEN, "1764554400", "x" * 500), "timestamp": "1764554400", "nonce": "x" * 500},
    ],
    ids=["non-ascii-signature", "timestamp-not-a-number", "nonce-too-long"],
)
async def test_hostile_query_parameters_are_refused_not_crashed_on(desk, params):
    response = await desk.client.post("/wechat", params=params, content=b"<xml/>")
    assert response.status_code in (400, 403)
    response = await desk.client.post("/wechat", params={**params, "encrypt_type": "aes", "msg_signature": "é" * 40}, content=b"<xml/>")
    assert response.status_code in (400, 403)


# --- item 12: bounded bodies --------------------------------------------------------------------------------
async def test_an_oversized_or_endless_body_is_refused_before_it_is_read(desk):
    wechat = desk.wechat()
    timestamp, nonce = wechat.stamp()
    params = {"timestamp": timestamp, "nonce": nonce, "signature": sign(TOKEN, timestamp, nonce), "encrypt_type": "aes"}
    declared = await desk.client.post("/wechat", params=params, content=b"x" * (70 * 1024))
    assert declared.status_code == 413

    async def endless():
        for _ in range(2000):
            yield b"<" * 1024

    streamed = await desk.client.post("/wechat", params=params, content=endless())
    assert streamed.status_code == 413
