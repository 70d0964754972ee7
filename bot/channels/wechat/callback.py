"""The WeChat Official Account callback at /wechat: verify, decrypt, parse safely, dedupe, answer within 5 seconds."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.fields import StringField
from wechatpy.replies import TextReply
from wechatpy.utils import to_text

from bot.channels.wechat.menu import choice_for_key
from bot.channels.wechat.policy import WINDOW, WINDOW_QUOTA
from bot.channels.wechat.sender import wechat_texts
from bot.core.messages import Attachment, Inbound, Reply, TurnResult
from bot.core.metrics import TURN_SECONDS, TURNS
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.storage.group_commit import GroupCommit, Waiting
from bot.storage.models import Citizen, OutboxMessage
from bot.storage.upsert import insert_for
from bot.storage.wechat_models import WeChatNonce

log = logging.getLogger(__name__)

CHANNEL = "wechat"
MAX_BODY_BYTES = 64 * 1024  # WeChat's own messages are a few KB; anything bigger is not from WeChat
SUCCESS = "success"  # WeChat's word for "no passive reply, don't retry"
TURN_EVENTS = {"subscribe": "subscribe", "subscribe_scan": "subscribe", "unsubscribe": "unsubscribe", "click": "choice"}
# a signed request carries its timestamp: further than this from now it is refused (a replayed or forged URL)
REPLAY_WINDOW = timedelta(minutes=5)
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ACCOUNT = re.compile(r"[A-Za-z0-9_-]{1,64}")  # openids and the account's own gh_ id
_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")  # MsgType and Event values
# the fields we read: each at most once, text only (other elements, e.g. an event's nested details, pass through)
_FLAT_FIELDS = frozenset(
    {"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "EventKey", "Content", "MediaId", "Recognition"}
)
_MAX_MSG_ID = 2**63 - 1
NONCE_BATCH = 200  # nonces recorded in one transaction at most, when many requests arrive together
# XML 1.0 has no way to carry these, not even in CDATA
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def part_key(inbound: Inbound, number: int) -> str:
    """The outbox dedup key of one part of the answer to a WeChat message."""
    return f"wechat:reply:{inbound.message_id}:{number}"


class AnswerParts:
    """Where the parts of one answer go: the first as the passive reply while WeChat still waits, the rest (or all,
    once WeChat stopped waiting) by customer-service message, queued inside the turn's own transaction."""

    def __init__(self, inbound: Inbound) -> None:
        self.inbound = inbound
        self.passive = False  # the turn committed to answering part 1 passively
        self.late = False  # the request has answered `success`: every part goes by customer-service message
        self.queued = 0

    async def queue(self, session: AsyncSession, citizen: Citizen, replies: list[Reply], now: datetime) -> None:
        """The engine's after-turn hook: queue the parts the passive reply will not carry.

        They answer this very message, so they take their customer-service slots from its quota here, in the
        turn that opened it, however long the outbox takes to send them.
        """
        texts = wechat_texts(replies)
        first = 1 if self.late else 2
        self.passive = not self.late
        later = texts[first - 1 :]
        citizen.window_sends = min(len(later), WINDOW_QUOTA)
        await self.enqueue(session, later, first, now, reserved=citizen.window_sends)

    async def enqueue(self, session: AsyncSession, texts: list[str], first: int, now: datetime, *, reserved: int = 0) -> None:
        """Outbox rows for `texts`, numbered from `first` (durable, one per message and part); the first
        `reserved` of them already hold a customer-service slot of the window that closes 48 hours from `now`."""
        for index, text in enumerate(texts):
            slot = {"window_slot_until": (now + WINDOW).isoformat()} if index < reserved else None
            await enqueue(
                session,
                Notice(
                    kind=NoticeKind.ANSWER_PART,
                    channel=CHANNEL,
                    recipient=self.inbound.user_id,
                    replies=(Reply(text),),
                    dedup_key=part_key(self.inbound, first + index),
                    extra=slot or {},
                ),
                due_at=now,
                now=now,
            )
        self.queued = len(texts)


class _Refused(Exception):
    """A request that is not processed: 403 (not signed by WeChat) or 400 (not a message we can read)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that any given text (non-ASCII included) can take part in."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))


def signature_of(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _safe_xml(data: bytes | str) -> Element:
    """Parse XML refusing DOCTYPEs, entities and external references."""
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _Refused(400, f"unsafe XML refused ({type(exc).__name__})") from None
    except (ParseError, ValueError) as exc:
        raise _Refused(400, f"malformed XML ({exc})") from None


def message_fields(root: Element) -> dict[str, str]:
    """The fields of a WeChat message we rely on, checked: 400 for anything WeChat would never send."""
    if root.tag != "xml":
        raise _Refused(400, f"root element <{root.tag[:32]}> is not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if child.tag not in _FLAT_FIELDS:
            continue
        if child.tag in fields:
            raise _Refused(400, f"{child.tag} given twice")
        if len(child):
            raise _Refused(400, f"{child.tag} holds elements instead of text")
        fields[child.tag] = (child.text or "").strip() if child.tag != "Content" else child.text or ""
    for name, pattern in (("FromUserName", _ACCOUNT), ("ToUserName", _ACCOUNT), ("MsgType", _NAME)):
        if not pattern.fullmatch(fields.get(name, "")):
            raise _Refused(400, f"{name} missing or malformed")
    created = fields.get("CreateTime", "")
    if not (created.isascii() and created.isdigit() and len(created) <= 12):
        raise _Refused(400, "CreateTime missing or not a number")
    msg_id = fields.get("MsgId")
    if msg_id is not None and not (msg_id.isascii() and msg_id.isdigit() and int(msg_id) <= _MAX_MSG_ID):
        raise _Refused(400, "MsgId is not a 64-bit number")
    event = fields.get("Event")
    if event is not None and not _NAME.fullmatch(event):
        raise _Refused(400, "Event malformed")
    return fields


def dedup_key(fields: dict[str, str]) -> str:
    """The duplicate-check key WeChat's docs give: MsgId for messages; sender, CreateTime and type/event otherwise."""
    msg_id = int(fields.get("MsgId") or 0)
    if msg_id and fields["MsgType"].lower() != "event":
        return f"msg:{msg_id}"
    what = fields.get("Event", "") if fields["MsgType"].lower() == "event" else fields["MsgType"]
    return f"at:{fields['FromUserName']}:{fields['CreateTime']}:{fields['MsgType'].lower()}:{what.lower()}"


def to_inbound(message, fields: dict[str, str]) -> Inbound | None:
    """A parsed WeChat message as our Inbound; None for events that are not a conversation turn."""
    openid = fields["FromUserName"]
    key = dedup_key(fields)
    if fields["MsgType"].lower() == "event":
        # wechatpy knows the event's finer kind (a QR-code subscribe is `subscribe_scan`); unknown events it does not
        event = str(getattr(message, "event", None) or fields.get("Event", "")).lower()
        kind = TURN_EVENTS.get(event)
        if kind is None:
            return None
        if kind == "choice":
            return Inbound(channel=CHANNEL, user_id=openid, kind="choice", choice=choice_for_key(message.key) or "m:menu", message_id=key)
        return Inbound(channel=CHANNEL, user_id=openid, kind="subscribe" if kind == "subscribe" else "unsubscribe", message_id=key)
    if message.type == "text":
        return Inbound(channel=CHANNEL, user_id=openid, text=message.content or "", message_id=key)
    if message.type == "voice" and (message.recognition or "").strip():
        return Inbound(channel=CHANNEL, user_id=openid, text=message.recognition, message_id=key)
    if message.type == "image" and message.media_id:
        attachment = Attachment(kind="image", ref=message.media_id)
        return Inbound(channel=CHANNEL, user_id=openid, kind="attachment", attachments=(attachment,), message_id=key)
    return Inbound(channel=CHANNEL, user_id=openid, kind="unsupported", message_id=key)


class _CData(StringField):
    """A text field rendered as CDATA that stays well-formed whatever the text: `]]>` is split across two sections."""

    def to_xml(self, value: Any) -> str:
        """`<Name><![CDATA[…]]></Name>` with the text exactly as given (minus characters XML cannot carry)."""
        text = _NOT_XML.sub("", to_text(value)).replace("]]>", "]]]]><![CDATA[>")
        return f"<{self.name}><![CDATA[{text}]]></{self.name}>"


class SafeTextReply(TextReply):
    """wechatpy's text reply, whose fields cannot be broken out of by the text they carry (citizen text echoed)."""

    source = _CData("FromUserName")
    target = _CData("ToUserName")
    content = _CData("Content")


class WeChatCallback:
    """The /wechat endpoint: one engine turn per WeChat message, passive reply in time or `success` and a later message."""

    def __init__(self, app) -> None:
        settings = app.settings
        if not (settings.wechat_token and settings.wechat_app_id):
            raise ValueError("CONSULT_WECHAT_TOKEN and CONSULT_WECHAT_APP_ID are needed for the WeChat callback")
        self.app = app
        self.token = settings.wechat_token
        self.budget = settings.wechat_reply_budget_seconds
        self.cryptos: list[tuple[str, WeChatCrypto]] = []
        for label, key in (("current", settings.wechat_aes_key), ("previous", settings.wechat_previous_aes_key)):
            if key:
                try:
                    self.cryptos.append((label, WeChatCrypto(self.token, key, settings.wechat_app_id)))
                except (AssertionError, ValueError) as exc:
                    raise ValueError(
                        f"CONSULT_WECHAT_{'PREVIOUS_' if label == 'previous' else ''}AES_KEY: not a 43-character EncodingAESKey"
                    ) from exc
        self.mode = settings.wechat_mode
        if self.mode != "plain" and not self.cryptos:
            raise ValueError(f"CONSULT_WECHAT_ENCRYPTION: {self.mode} mode needs CONSULT_WECHAT_AES_KEY")
        # every request writes its nonce: those arriving together share one transaction (SQLite has one writer)
        self._nonces = GroupCommit(self._remember_batch, NONCE_BATCH)
        self._background: set[asyncio.Task] = set()
        self._dispatch_wanted = False
        self._dispatcher: asyncio.Task | None = None

    def routes(self) -> list[Route]:
        """The Starlette route(s) to mount."""
        return [Route("/wechat", self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        """Serve WeChat's GET verification and POSTed messages; refusals are plain 403/400/413, never processed."""
        try:
            timestamp, nonce = self._check_signature(request)
            self._check_fresh(timestamp)
            if request.method == "GET":
                return PlainTextResponse(request.query_params.get("echostr", ""))
            return await self._message(request, timestamp, nonce)
        except _Refused as refused:
            log.warning("wechat: request refused (%d): %s", refused.status, refused.reason)
            word = {403: "forbidden", 413: "request body too large"}.get(refused.status, "bad request")
            return PlainTextResponse(word, status_code=refused.status)

    def _check_signature(self, request: Request) -> tuple[str, str]:
        """The request's (timestamp, nonce) once its signature proves WeChat (who knows our token) signed them."""
        params = request.query_params
        signature = params.get("signature", "")
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not (signature and timestamp and nonce):
            raise _Refused(403, "signature, timestamp or nonce missing")
        if not _same(signature_of(self.token, timestamp, nonce), signature):
            raise _Refused(403, "bad signature")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise _Refused(400, "timestamp is not a number")
        if not _NONCE.fullmatch(nonce):
            raise _Refused(400, "nonce malformed")
        return timestamp, nonce

    def _check_fresh(self, timestamp: str) -> None:
        """Refuse a timestamp further than the replay window from now: the signed URL of an old request, replayed."""
        skew = int(timestamp) - self.app.clock.now().timestamp()
        if abs(skew) > REPLAY_WINDOW.total_seconds():
            raise _Refused(403, f"timestamp {skew:+.0f}s from now, outside the {REPLAY_WINDOW.total_seconds():.0f}s window")

    async def _remember_nonce(self, timestamp: str, nonce: str, message: bytes) -> None:
        """Record (timestamp, nonce) for every process; seen before with another message is a replay (403).

        The same message again is WeChat retrying: it goes on, and the duplicate check answers it as a retry.
        """
        moment = int(timestamp)
        row = {
            "timestamp": moment,
            "nonce": nonce,
            "body_sha256": hashlib.sha256(message).hexdigest(),
            "expires_at": datetime.fromtimestamp(moment, UTC) + REPLAY_WINDOW,
        }
        if not await self._nonces.submit(row):
            raise _Refused(403, "timestamp and nonce already used by another message (a replayed signature)")

    async def _remember_batch(self, batch: list[Waiting]) -> None:
        """Insert the batch's nonces (those already known are kept as they are), then settle each: True when the
        stored message for its (timestamp, nonce) is its own — just recorded, or an identical earlier one."""
        rows = [waiting.item for waiting in batch]
        try:
            async with self.app.sessions() as session, session.begin():
                table = WeChatNonce.__table__
                await session.execute(insert_for(session, table).on_conflict_do_nothing(index_elements=["timestamp", "nonce"]), rows)
                keys = {(row["timestamp"], row["nonce"]) for row in rows}
                stored = await session.execute(
                    select(WeChatNonce.timestamp, WeChatNonce.nonce, WeChatNonce.body_sha256).where(
                        tuple_(WeChatNonce.timestamp, WeChatNonce.nonce).in_(keys)
                    )
                )
                known = {(moment, nonce): digest for moment, nonce, digest in stored.all()}
        except Exception as error:
            for waiting in batch:
                waiting.settle(error=error)
            return
        for waiting, row in zip(batch, rows, strict=True):
            waiting.settle(known.get((row["timestamp"], row["nonce"])) == row["body_sha256"])

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _Refused(413, f"body of {declared} bytes is over the {MAX_BODY_BYTES}-byte limit")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _Refused(413, f"body over the {MAX_BODY_BYTES}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def _decrypt(self, outer: Element, request: Request) -> tuple[str, WeChatCrypto]:
        params = request.query_params
        encrypted = outer.findtext("Encrypt") or ""
        msg_signature = params.get("msg_signature", "")
        if not (encrypted and msg_signature):
            raise _Refused(403, "safe mode without Encrypt or msg_signature")
        if not _same(signature_of(self.token, params["timestamp"], params["nonce"], encrypted), msg_signature):
            raise _Refused(403, "bad msg_signature")
        for label, crypto in self.cryptos:
            try:
                xml = crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, params["timestamp"], params["nonce"])
            except Exception:  # a wrong key shows up as padding, length or AppID errors; try the next key
                continue
            if label == "previous":
                log.info("wechat: message decrypted with the previous EncodingAESKey")
            return xml, crypto
        raise _Refused(400, "safe-mode message did not decrypt with the current or previous EncodingAESKey")

    async def _message(self, request: Request, timestamp: str, nonce: str) -> Response:
        encrypted = request.query_params.get("encrypt_type", "raw").lower() == "aes"
        if self.mode == "safe" and not encrypted:
            raise _Refused(403, "unencrypted message refused in safe mode")
        body = await self._body(request)
        outer = _safe_xml(body)
        crypto = None
        xml: bytes | str
        if encrypted and self.cryptos:
            # a compatible-mode body carries a plaintext copy too, signed by nothing: only the encrypted copy counts
            xml, crypto = self._decrypt(outer, request)
            root = _safe_xml(xml)
        elif encrypted and outer.findtext("MsgType"):
            xml, root = body, outer  # compatible mode while no EncodingAESKey is configured (plain mode only)
        elif encrypted:
            raise _Refused(400, "safe-mode message but CONSULT_WECHAT_AES_KEY is not set")
        else:
            xml, root = body, outer
        fields = message_fields(root)
        await self._remember_nonce(timestamp, nonce, xml.encode() if isinstance(xml, str) else xml)
        try:
            message = parse_message(xml)
            inbound = to_inbound(message, fields) if message is not None else None
        except Exception as exc:  # wechatpy's lazy field conversions on a message it cannot read
            raise _Refused(400, f"not a WeChat message ({type(exc).__name__})") from None
        if inbound is None:
            return PlainTextResponse(SUCCESS)
        started = time.perf_counter()
        parts = AnswerParts(inbound)
        result = await self._turn(inbound, parts)
        TURN_SECONDS.labels(CHANNEL).observe(time.perf_counter() - started)
        if result is None:
            TURNS.labels(CHANNEL, "late").inc()
            return PlainTextResponse(SUCCESS)
        TURNS.labels(CHANNEL, "duplicate" if result.duplicate else "passive").inc()
        texts = wechat_texts(result.replies)
        if not texts or (result.duplicate and await self._answered_later(inbound)):
            return PlainTextResponse(SUCCESS)
        if parts.queued:
            self._dispatch_soon()
        now = str(int(self.app.clock.now().timestamp()))
        reply = SafeTextReply(source=fields["ToUserName"], target=inbound.user_id, time=now, content=texts[0]).render()
        if crypto is not None:
            reply = crypto.encrypt_message(reply, nonce, now)
        return Response(reply, media_type="application/xml")

    async def _turn(self, inbound: Inbound, parts: AnswerParts) -> TurnResult | None:
        """The turn's result if ready within the budget; otherwise None, and the answer is sent when it is ready."""
        task = asyncio.create_task(self.app.engine.handle(inbound, after_turn=parts.queue))
        if self.budget > 0:
            await asyncio.wait({task}, timeout=self.budget)
        if not task.done() and parts.passive:
            await task  # the turn is committing with its later parts queued for after this passive reply
        if task.done():
            return task.result()
        log.info("wechat: turn for %s over the %.1fs budget; answering `success` and sending later", inbound.message_id, self.budget)
        parts.late = True
        self._keep(self._deliver_late(task, inbound, parts))
        return None

    async def _deliver_late(self, task: asyncio.Task, inbound: Inbound, parts: AnswerParts) -> None:
        result = await task
        if result.duplicate:
            return  # the first delivery of this message answers it
        if not parts.queued:  # no answer was queued with the turn (it failed): send the reply it ended with
            texts = wechat_texts(result.replies)
            if texts:
                now = self.app.clock.now()
                async with self.app.sessions() as session, session.begin():
                    await parts.enqueue(session, texts, 1, now)
        self._dispatch_soon()

    async def _answered_later(self, inbound: Inbound) -> bool:
        """True when the first delivery of this message answered `success` and queued the whole answer instead."""
        async with self.app.sessions() as session:
            first = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == part_key(inbound, 1)))
        return first is not None

    def _dispatch_soon(self) -> None:
        """Run the outbox dispatcher now; calls while it runs make it go round once more instead of piling up."""
        self._dispatch_wanted = True
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = self._keep(self._dispatch_loop())

    async def _dispatch_loop(self) -> None:
        while self._dispatch_wanted:
            self._dispatch_wanted = False
            try:
                await self.app.tick_outbox()
            except Exception:
                log.exception("wechat: dispatching queued answers failed; the scheduler will retry")

    def _keep(self, coroutine) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("wechat: background delivery failed", exc_info=task.exception())

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until answers still in flight are queued and dispatched (including work they start)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while pending := {task for task in self._background if not task.done()}:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                log.warning("wechat: %d answer(s) still in flight after %.0fs", len(pending), timeout)
                return
            await asyncio.wait(pending, timeout=remaining)
