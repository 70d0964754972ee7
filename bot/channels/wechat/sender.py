"""The "wechat" adapter the outbox dispatcher calls: customer-service messages inside the 48-hour window, else templates."""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.render import numbered, split_text
from bot.channels.wechat.api import WeChatAPI, WeChatAPIError
from bot.channels.wechat.policy import WINDOW, WINDOW_QUOTA
from bot.config import Settings
from bot.core.clock import Clock
from bot.core.messages import Reply
from bot.delivery.channel import DeliveryError
from bot.delivery.notices import NoticeKind
from bot.storage.models import Citizen
from bot.storage.results import affected

log = logging.getLogger(__name__)

TEXT_LIMIT_BYTES = 2048  # WeChat's limit for one text message, passive or customer-service, in UTF-8 bytes
TEMPLATE_FIELD_CHARS = 180
HEADLINE_CHARS = 40
UNREACHABLE = "unreachable: outside the 48-hour window and no template configured"
# WeChat says the window is closed or the quota is spent although our records thought otherwise
WINDOW_CLOSED_CODES = frozenset({45015, 45047})
# the citizen is gone for good: unfollowed, blocked the account, or the openid is not ours
GONE_CODES = frozenset({40003, 43004, 43019})


def wechat_texts(replies: list[Reply]) -> list[str]:
    """Replies as the fewest WeChat text messages: choices numbered across replies, parts within the byte limit."""
    blocks: list[str] = []
    start = 1
    for reply in replies:
        blocks.append(numbered(reply, start))
        start += len(reply.choices)
    return _pack_paragraphs([block for block in blocks if block.strip()], TEXT_LIMIT_BYTES)


def _pack_paragraphs(blocks: list[str], limit: int) -> list[str]:
    """Join paragraphs into as few parts as fit, so a split falls between sections (e.g. before the FAQ) where possible."""
    paragraphs = [p for block in blocks for p in block.split("\n\n") if p.strip()]
    parts: list[str] = []
    current = ""
    for paragraph in paragraphs:
        pieces = split_text(paragraph, limit, in_bytes=True)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate.encode()) > limit:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current:
        parts.append(current)
    return parts


def _template_data(
    text: str, payload: dict[str, Any], now: datetime, tz, fields: dict[str, tuple[str, int | None]]
) -> dict[str, dict[str, str]]:
    """The message in the office's template layout (CONSULT_WECHAT_TEMPLATE_FIELDS), each value cut to its field's limit."""
    values = {
        "headline": (text.split("\n", 1)[0].strip(), HEADLINE_CHARS),
        "case": (str(payload.get("case") or "-"), None),
        "time": (now.astimezone(tz).strftime("%Y-%m-%d %H:%M"), None),
        "body": (text, TEMPLATE_FIELD_CHARS),
    }
    data = {}
    for role, (field_name, limit) in fields.items():
        value, default_limit = values[role]
        data[field_name] = {"value": _cut(value, limit or default_limit)}
    return data


def _cut(value: str, limit: int | None) -> str:
    return value if limit is None or len(value) <= limit else value[: limit - 1] + "…"


class WeChatSender:
    """Delivers outbox rows to a WeChat openid by WeChat's rules, or fails clearly so staff are told."""

    name = "wechat"

    def __init__(self, api: WeChatAPI, sessions: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings) -> None:
        self.api = api
        self.sessions = sessions
        self.clock = clock
        self.settings = settings

    def template_for(self, kind: NoticeKind) -> str | None:
        """The template id the office configured for this kind of notice, if any."""
        settings = self.settings
        if kind.to_staff:
            return settings.wechat_template_alert
        if kind == NoticeKind.SURVEY:
            return settings.wechat_template_survey
        if kind.on_behalf_of_staff:
            return settings.wechat_template_case_update
        return None

    async def send(self, recipient: str, replies: list[Reply], *, kind: NoticeKind, payload: dict[str, Any]) -> None:
        """Customer-service messages while the window and quota last; else a template; else DeliveryError."""
        done = int(payload.get("parts_sent", 0))
        texts = wechat_texts(replies)[done:]
        if not texts:
            return
        if payload.get("image_png") and done == 0 and await self._reserve(recipient, 1):
            try:  # the digest's picture (uploaded as temporary media) first, then its figures as text
                await self.api.send_image(recipient, await self.api.upload_image(base64.b64decode(payload["image_png"])))
            except WeChatAPIError as exc:
                await self._release(recipient, 1)
                log.warning("wechat: the digest picture could not be sent (%s); sending the text alone", exc)
        if self._holds_slot(payload, len(texts)) or await self._reserve(recipient, len(texts)):
            sent = 0
            try:
                for text in texts:
                    await self.api.send_text(recipient, text)
                    sent += 1
                return
            except WeChatAPIError as exc:
                await self._release(recipient, len(texts) - sent)
                if sent or exc.errcode not in WINDOW_CLOSED_CODES:
                    failure = self._delivery_error(exc)
                    raise DeliveryError(failure.reason, permanent=failure.permanent, delivered=sent) from None
                log.info("wechat: %s refused a customer-service message (%s); trying a template", kind, exc.errcode)
        template_id = self.template_for(kind)
        if not template_id:
            raise DeliveryError(UNREACHABLE, permanent=True)
        data = _template_data("\n\n".join(texts), payload, self.clock.now(), self.settings.tz, self.settings.template_fields)
        try:
            await self.api.send_template(recipient, template_id, data)
        except WeChatAPIError as exc:
            raise self._delivery_error(exc) from None

    @staticmethod
    def _delivery_error(exc: WeChatAPIError) -> DeliveryError:
        if exc.errcode in GONE_CODES:
            return DeliveryError(f"unreachable: WeChat refused the recipient ({exc})", permanent=True)
        if exc.errcode is None or exc.errcode in (-1, 45009):  # network, WeChat busy, daily API limit: retry later
            return DeliveryError(f"WeChat API: {exc}", permanent=False)
        return DeliveryError(f"WeChat API: {exc}", permanent=True)

    def _holds_slot(self, payload: dict[str, Any], count: int) -> bool:
        """True for a row whose slot was taken when it was queued (a later part of an answer), window still open."""
        until = payload.get("window_slot_until")
        return count == 1 and until is not None and datetime.fromisoformat(until) > self.clock.now()

    async def _reserve(self, openid: str, count: int) -> bool:
        """Take `count` customer-service slots of the citizen's window, atomically across processes."""
        cutoff = self.clock.now() - WINDOW
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Citizen)
                .where(
                    Citizen.channel == "wechat",
                    Citizen.external_id == openid,
                    Citizen.last_inbound_at >= cutoff,
                    Citizen.window_sends + count <= WINDOW_QUOTA,
                )
                .values(window_sends=Citizen.window_sends + count)
            )
        return bool(affected(result))

    async def _release(self, openid: str, count: int) -> None:
        """Give back slots a failed send did not use."""
        if count <= 0:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(Citizen)
                .where(Citizen.channel == "wechat", Citizen.external_id == openid, Citizen.window_sends >= count)
                .values(window_sends=Citizen.window_sends - count)
            )
