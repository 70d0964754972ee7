"""Plays WeChat's server against our /wechat callback: signed (and in safe mode encrypted) requests, replies decoded."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto

OFFICE = "gh_office_account"
_MESSAGE_IDS = itertools.count(6054768590064713728)  # shared: WeChat's MsgIds are unique across all users


def sign(*parts: str) -> str:
    """SHA-1 of the sorted, joined parts, as WeChat signs."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def cdata(value: str) -> str:
    """Wrap a value in CDATA, as WeChat must: a `]]>` in the value is split across two sections."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class Answer:
    """What our endpoint answered, decoded as WeChat would read it."""

    status: int
    raw: str
    content: str | None  # the passive text reply, None when the body was `success` or not a reply
    params: dict[str, str] = field(default_factory=dict)  # the request exactly as sent, for replays
    body: bytes = b""

    @property
    def success(self) -> bool:
        """True when the endpoint said `success` (nothing now; a customer-service message will follow)."""
        return self.status == 200 and self.raw == "success"


class WeChatServer:
    """Sends messages as WeChat does in plaintext, compatible or safe mode."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        token: str,
        app_id: str,
        aes_key: str | None = None,
        mode: str = "plain",
        now: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.token = token
        self.app_id = app_id
        self.aes_key = aes_key
        self.mode = mode
        self.now = now or (lambda: 1764554400.0)  # WeChat stamps each request with its own clock: the test's
        self._clock = itertools.count(1764554400)

    def stamp(self) -> tuple[str, str]:
        """A timestamp (now) and a fresh nonce, as WeChat puts in each request's query."""
        return str(int(self.now())), str(secrets.randbelow(10**10))

    def next_id(self) -> int:
        """A fresh MsgId."""
        return next(_MESSAGE_IDS)

    def text_xml(self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
        """A text message as WeChat posts it."""
        msg_id = self.next_id() if msg_id is None else msg_id
        return self._xml(openid, "text", create_time, f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId>")

    def event_xml(self, openid: str, event: str, key: str | None = None, create_time: int | None = None) -> str:
        """An event (subscribe, unsubscribe, CLICK …) as WeChat posts it."""
        extra = f"<Event>{cdata(event)}</Event>" + (f"<EventKey>{cdata(key)}</EventKey>" if key is not None else "")
        return self._xml(openid, "event", create_time, extra)

    def image_xml(self, openid: str, media_id: str) -> str:
        """An image message."""
        return self._xml(
            openid,
            "image",
            None,
            f"<PicUrl>{cdata('http://mmbiz.example/pic')}</PicUrl><MediaId>{cdata(media_id)}</MediaId><MsgId>{self.next_id()}</MsgId>",
        )

    def voice_xml(self, openid: str, recognition: str) -> str:
        """A voice message with WeChat's speech recognition."""
        return self._xml(
            openid,
            "voice",
            None,
            f"<MediaId>{cdata('voice-media')}</MediaId><Format>{cdata('amr')}</Format><Recognition>{cdata(recognition)}</Recognition><MsgId>{self.next_id()}</MsgId>",
        )

    def _xml(self, openid: str, msg_type: str, create_time: int | None, rest: str) -> str:
        moment = next(self._clock) if create_time is None else create_time
        return f"<xml><ToUserName>{cdata(OFFICE)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName><CreateTime>{moment}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>{rest}</xml>"

    async def post(
        self,
        xml: str,
        *,
        mode: str | None = None,
        aes_key: str | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
    ) -> Answer:
        """POST one message (timestamped now, fresh nonce); `signature` overrides the correct one (to test refusals)."""
        mode = mode or self.mode
        fresh_timestamp, fresh_nonce = self.stamp()
        timestamp, nonce = timestamp or fresh_timestamp, nonce or fresh_nonce
        params = {"timestamp": timestamp, "nonce": nonce, "signature": signature or sign(self.token, timestamp, nonce), "openid": "ignored"}
        body = xml
        crypto = None
        if mode in ("safe", "compatible"):
            crypto = WeChatCrypto(self.token, aes_key or self.aes_key, self.app_id)
            encrypted = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]["Encrypt"]
            params.update(encrypt_type="aes", msg_signature=sign(self.token, timestamp, nonce, encrypted))
            if mode == "safe":
                body = f"<xml><ToUserName>{cdata(OFFICE)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
            else:
                body = xml.replace("</xml>", f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>")
        return await self.send(params, body.encode("utf-8"), crypto)

    async def send(self, params: dict[str, str], body: bytes, crypto: WeChatCrypto | None = None) -> Answer:
        """POST exactly these query parameters and body bytes."""
        response = await self.client.post("/wechat", params=params, content=body)
        content = self._content(response.text, crypto) if response.status_code == 200 else None
        return Answer(response.status_code, response.text, content, params, body)

    async def replay(self, answer: Answer) -> Answer:
        """Send the very request that got `answer` again, byte for byte (WeChat retrying, or an eavesdropper)."""
        crypto = WeChatCrypto(self.token, self.aes_key, self.app_id) if answer.params.get("encrypt_type") == "aes" else None
        return await self.send(answer.params, answer.body, crypto)

    def _content(self, raw: str, crypto: WeChatCrypto | None) -> str | None:
        if not raw.startswith("<xml>"):
            return None
        data = xmltodict.parse(raw)["xml"]
        if "Encrypt" in data:
            assert crypto is not None, "an encrypted reply to a plaintext message"
            inner = crypto.decrypt_message(raw, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
            data = xmltodict.parse(inner)["xml"]
        assert data["MsgType"] == "text"
        return data["Content"]

    async def text(self, openid: str, content: str, **options) -> Answer:
        """Send a text message from `openid`."""
        return await self.post(self.text_xml(openid, content), **options)

    async def verify(self, echostr: str, signature: str | None = None) -> httpx.Response:
        """WeChat's GET check of the callback URL."""
        timestamp, nonce = self.stamp()
        params = {"timestamp": timestamp, "nonce": nonce, "echostr": echostr, "signature": signature or sign(self.token, timestamp, nonce)}
        return await self.client.get("/wechat", params=params)


def numbered_choice(text: str, label: str) -> str:
    """The number the bot printed in front of `label` in a numbered reply."""
    match = re.search(rf"^(\d+)\. {re.escape(label)}$", text, re.MULTILINE)
    assert match, f"no numbered choice {label!r} in {text!r}"
    return match.group(1)
