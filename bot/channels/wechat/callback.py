"""The WeChat Official Account callback at /wechat: verify, decrypt, parse safely, dedupe, answer within 5 seconds."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.channels.wechat.menu import choice_for_key
from bot.channels.wechat.policy import WINDOW, WINDOW_QUOTA
from bot.channels.wechat.sender import wechat_texts
from bot.core.messages import Attachment, Inbound, Reply, TurnResult
from bot.core.metrics import TURN_SECONDS, TURNS
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.storage.models import Citizen, OutboxMessage

log = logging.getLogger(__name__)

CHANNEL = "wechat"
MAX_BODY_BYTES = 64 * 1024  # WeChat's own messages are a few KB; anything bigger is not from WeChat
SUCCESS = "success"  # WeChat's word for "no passive reply, don't retry"
TURN_EVENTS = {"subscribe": "subscribe", "subscribe_scan": "subscribe", "unsubscribe": "unsubscribe", "click": "choice"}


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


def to_inbound(message) -> Inbound | None:
    """A parsed WeChat message as our Inbound; None for events that are not a conversation turn."""
    openid = message.source or ""
    if message.type == "event":
        event = (message.event or "").lower()
        kind = TURN_EVENTS.get(event)
        if kind is None:
            return None
        key = f"evt:{openid}{message.time}{message._data.get('Event', event)}"
        if kind == "choice":
            return Inbound(channel=CHANNEL, user_id=openid, kind="choice", choice=choice_for_key(message.key) or "m:menu", message_id=key)
        return Inbound(channel=CHANNEL, user_id=openid, kind="subscribe" if kind == "subscribe" else "unsubscribe", message_id=key)
    key = f"msg:{message.id}"
    if message.type == "text":
        return Inbound(channel=CHANNEL, user_id=openid, text=message.content or "", message_id=key)
    if message.type == "voice" and (message.recognition or "").strip():
        return Inbound(channel=CHANNEL, user_id=openid, text=message.recognition, message_id=key)
    if message.type == "image" and message.media_id:
        attachment = Attachment(kind="image", ref=message.media_id)
        return Inbound(channel=CHANNEL, user_id=openid, kind="attachment", attachments=(attachment,), message_id=key)
    return Inbound(channel=CHANNEL, user_id=openid, kind="unsupported", message_id=key)


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
        self._background: set[asyncio.Task] = set()
        self._dispatch_wanted = False
        self._dispatcher: asyncio.Task | None = None

    def routes(self) -> list[Route]:
        """The Starlette route(s) to mount."""
        return [Route("/wechat", self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        """Serve WeChat's GET verification and POSTed messages; refusals are plain 403/400, never processed."""
        try:
            self._check_signature(request)
            if request.method == "GET":
                return PlainTextResponse(request.query_params.get("echostr", ""))
            return await self._message(request)
        except _Refused as refused:
            log.warning("wechat: request refused (%d): %s", refused.status, refused.reason)
            return PlainTextResponse("forbidden" if refused.status == 403 else "bad request", status_code=refused.status)

    def _check_signature(self, request: Request) -> None:
        params = request.query_params
        signature = params.get("signature", "")
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not (signature and timestamp and nonce):
            raise _Refused(403, "signature, timestamp or nonce missing")
        if not hmac.compare_digest(signature_of(self.token, timestamp, nonce), signature):
            raise _Refused(403, "bad signature")

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _Refused(400, f"body of {declared} bytes is over the {MAX_BODY_BYTES}-byte limit")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _Refused(400, f"body over the {MAX_BODY_BYTES}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def _decrypt(self, outer: Element, request: Request) -> tuple[str, WeChatCrypto]:
        params = request.query_params
        encrypted = outer.findtext("Encrypt") or ""
        msg_signature = params.get("msg_signature", "")
        if not (encrypted and msg_signature):
            raise _Refused(403, "safe mode without Encrypt or msg_signature")
        if not hmac.compare_digest(signature_of(self.token, params["timestamp"], params["nonce"], encrypted), msg_signature):
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

    async def _message(self, request: Request) -> Response:
        body = await self._body(request)
        outer = _safe_xml(body)
        crypto = None
        xml: bytes | str
        if request.query_params.get("encrypt_type", "raw").lower() == "aes":
            if self.cryptos:
                xml, crypto = self._decrypt(outer, request)
                _safe_xml(xml)
            elif outer.findtext("MsgType"):
                # compatible mode while no EncodingAESKey is configured: the plaintext copy is signed as well
                xml = body
            else:
                raise _Refused(400, "safe-mode message but CONSULT_WECHAT_AES_KEY is not set")
        else:
            xml = body
        try:
            message = parse_message(xml)
        except Exception as exc:  # a message without MsgType and the like
            raise _Refused(400, f"not a WeChat message ({type(exc).__name__})") from None
        inbound = to_inbound(message) if message is not None else None
        if inbound is None or not inbound.user_id:
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
        reply = TextReply(message=message, content=texts[0]).render()
        if crypto is not None:
            reply = crypto.encrypt_message(reply, request.query_params.get("nonce") or secrets.token_hex(8), str(int(time.time())))
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
