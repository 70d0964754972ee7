"""Every outbound Telegram call: rate-limited to Telegram's limits, retried on flood control and network errors.

It is also the "telegram" ChannelAdapter the outbox dispatcher delivers through: citizen messages,
staff alerts (with a button opening the case topic) and the staff forum topics themselves.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.convert import Rendered, render
from bot.core.locks import KeyedLocks
from bot.core.messages import Reply
from bot.core.texts import t
from bot.delivery.channel import DeliveryError
from bot.delivery.notices import NoticeKind
from bot.storage.models import Case, OutboxMessage
from bot.storage.telegram_models import StaffTopic
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTER_SECONDS = 300
TOPIC_LOCK_NAMESPACE = 7301  # pg_advisory_xact_lock's first key: "creating a staff topic"
CAPTION_LIMIT = 1024  # Telegram photo captions
# Bot API calls in flight at once. Telegram's 30 messages/s need only a few connections, and httpcore's pool
# bookkeeping grows with the square of its size (it dominated the CPU under load with 64 connections).
IN_FLIGHT = 8


@dataclass(frozen=True)
class RateLimits:
    """Telegram's published limits: about one message a second per chat, 20 a minute per group, 30 a second overall."""

    per_chat_interval: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    overall_per_second: float = 30.0


class RateLimiter:
    """Reserves a send slot per call, so waits are computed once and need no re-checking after a sleep."""

    def __init__(self, limits: RateLimits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self._chat_tat: dict[int, float] = {}
        self._group_slots: dict[int, deque[float]] = {}
        self._per_second: dict[int, int] = {}
        self._hold_all_until = 0.0

    def reserve(self, chat_id: int | None) -> float:
        """Seconds to wait before sending to `chat_id`; the slot is taken at once."""
        now = self.monotonic()
        limits = self.limits
        slot = max(now, self._hold_all_until)
        if chat_id is not None and chat_id < 0:
            window = self._group_slots.setdefault(chat_id, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limits.group_per_minute:
                slot = max(slot, window[-limits.group_per_minute] + 60)
        elif chat_id is not None:
            # a generic cell-rate check: a short burst is fine, the long-run pace is one per interval
            tat = self._chat_tat.get(chat_id, 0.0)
            slot = max(slot, tat - limits.per_chat_interval * (limits.per_chat_burst - 1))
        slot = self._overall_slot(slot, now)
        if chat_id is not None and chat_id < 0:
            self._group_slots[chat_id].append(slot)
        elif chat_id is not None:
            self._chat_tat[chat_id] = max(self._chat_tat.get(chat_id, 0.0), slot) + limits.per_chat_interval
            if len(self._chat_tat) > 100_000:
                self._forget_idle(now)
        return slot - now

    def _overall_slot(self, slot: float, now: float) -> float:
        # counted per second of the slot itself, so a chat that must wait never delays other chats
        while True:
            second = int(slot // 1)
            if self._per_second.get(second, 0) < self.limits.overall_per_second:
                self._per_second[second] = self._per_second.get(second, 0) + 1
                if len(self._per_second) > 600:
                    self._per_second = {s: n for s, n in self._per_second.items() if s >= now - 2}
                return slot
            slot = float(second + 1)

    def hold(self, chat_id: int | None, seconds: float) -> None:
        """Flood control said wait: no slot for this chat (or for anyone, when no chat is named) before then."""
        until = self.monotonic() + seconds
        if chat_id is None:
            self._hold_all_until = max(self._hold_all_until, until)
        elif chat_id > 0:
            self._chat_tat[chat_id] = max(
                self._chat_tat.get(chat_id, 0.0), until + self.limits.per_chat_interval * (self.limits.per_chat_burst - 1)
            )
        else:
            self._group_slots.setdefault(chat_id, deque())
            self._group_hold(chat_id, until)

    def _group_hold(self, chat_id: int, until: float) -> None:
        window = self._group_slots[chat_id]
        # filling the window with the hold's end makes the group's next free slot `until`
        window.clear()
        window.extend([until - 60] * self.limits.group_per_minute)

    def _forget_idle(self, now: float) -> None:
        for chat_id in [c for c, tat in self._chat_tat.items() if tat < now]:
            del self._chat_tat[chat_id]


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def topic_key(case_id: int) -> str:
    """The outbox dedup key of a case's staff-topic creation."""
    return f"tg-topic:{case_id}"


def topic_link(chat_id: int, thread_id: int) -> str:
    """A t.me link that opens a forum topic of a private supergroup."""
    internal = str(chat_id).removeprefix("-100").lstrip("-")
    return f"https://t.me/c/{internal}/{thread_id}"


class TelegramSender:
    """Sends through the Bot API at a safe pace; maps Telegram's errors to DeliveryError for the outbox."""

    name = "telegram"

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        *,
        staff_chat_id: int | None = None,
        limits: RateLimits | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock=None,
        withhold_content: bool = False,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.staff_chat_id = staff_chat_id
        self.limiter = RateLimiter(limits or RateLimits(), monotonic)
        self.sleep = sleep
        self.clock = clock
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        self.withhold_content = withhold_content  # CONSULT_TELEGRAM_STAFF_CONTENT=withheld
        self._topic_locks = KeyedLocks()

    async def call(self, chat_id: int | None, action: Callable[[], Awaitable[T]], *, limited: bool = True) -> T:
        """Run one Bot API call for `chat_id` within the rate limits, retrying what is worth retrying."""
        for attempt in range(MAX_ATTEMPTS):
            if limited:
                wait = self.limiter.reserve(chat_id)
                if wait > 0:
                    await self.sleep(wait)
            try:
                async with self._in_flight:
                    return await action()
            except RetryAfter as exc:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    seconds = min(_seconds(exc.retry_after), MAX_RETRY_AFTER_SECONDS)
                log.warning("telegram: flood control for chat %s, waiting %.1fs (attempt %d)", chat_id, seconds, attempt + 1)
                self.limiter.hold(chat_id, seconds)
                await self.sleep(seconds)
            except Forbidden as exc:
                log.warning("telegram: chat %s refuses messages: %s", chat_id, exc.message)
                raise DeliveryError("unreachable: blocked the bot", permanent=True) from exc
            except BadRequest as exc:
                log.error("telegram: chat %s rejected a message: %s", chat_id, exc.message)
                raise DeliveryError(f"rejected by Telegram: {exc.message}", permanent=True) from exc
            except (InvalidToken, ChatMigrated) as exc:
                raise DeliveryError(f"telegram: {exc}", permanent=True) from exc
            except NetworkError as exc:  # timeouts, connection errors and 5xx answers
                delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
                log.warning("telegram: network error for chat %s (%s), retrying in %.1fs", chat_id, exc.message, delay)
                await self.sleep(delay)
            except TelegramError as exc:
                raise DeliveryError(f"telegram: {exc}", permanent=True) from exc
        raise DeliveryError(f"telegram: gave up after {MAX_ATTEMPTS} attempts", permanent=False)

    async def send_rendered(self, chat_id: int, message: Rendered, *, thread_id: int | None = None) -> Message:
        """Send one rendered message (HTML) to a chat, or a forum topic of it."""
        return await self.call(
            chat_id,
            lambda: self.bot.send_message(
                chat_id=chat_id,
                text=message.html,
                parse_mode=ParseMode.HTML,
                reply_markup=message.markup,
                message_thread_id=thread_id,
                disable_web_page_preview=True,
            ),
        )

    async def send_replies(
        self,
        chat_id: int,
        replies: list[Reply],
        *,
        thread_id: int | None = None,
        markup: InlineKeyboardMarkup | None = None,
        skip: int = 0,
    ) -> int:
        """Send replies in order after the first `skip` messages; `markup` (if any) goes under the last. Returns how many went out.

        A failure part-way raises DeliveryError saying how many went out, so a retry never repeats them.
        """
        messages = [part for reply in replies for part in render(reply)]
        if markup is not None and messages:
            last = messages[-1]
            messages[-1] = Rendered(
                last.html,
                markup if last.markup is None else InlineKeyboardMarkup(tuple(last.markup.inline_keyboard) + tuple(markup.inline_keyboard)),
            )
        sent = 0
        for message in messages[skip:]:
            try:
                await self.send_rendered(chat_id, message, thread_id=thread_id)
            except DeliveryError as exc:
                raise DeliveryError(exc.reason, permanent=exc.permanent, delivered=sent) from None
            sent += 1
        return sent

    async def _send_files(self, topic: StaffTopic, files: list[list[str]] | None) -> None:
        """A citizen's photos and documents into the case topic, by the file ids Telegram gave the bot."""
        for kind, file_id in files or []:
            if kind == "photo":
                await self.call(topic.chat_id, partial(self.bot.send_photo, topic.chat_id, file_id, message_thread_id=topic.thread_id))
            else:
                await self.call(topic.chat_id, partial(self.bot.send_document, topic.chat_id, file_id, message_thread_id=topic.thread_id))

    async def answer_callback(self, query_id: str, text: str | None = None) -> None:
        """Answer a callback query so the button stops spinning; a failure is logged, never raised."""
        try:
            await self.call(None, lambda: self.bot.answer_callback_query(query_id, text=text), limited=False)
        except DeliveryError as exc:
            log.warning("telegram: could not answer callback query %s: %s", query_id, exc.reason)

    async def topic_of(self, case_id: int | None = None, number: str | None = None) -> StaffTopic | None:
        """The staff topic of a case, by id or number."""
        async with self.sessions() as session:
            if case_id is None and number:
                case_id = await session.scalar(select(Case.id).where(Case.number == number))
            if case_id is None:
                return None
            return await session.scalar(select(StaffTopic).where(StaffTopic.case_id == case_id))

    async def _create_topic(self, chat_id: int, payload: dict[str, Any]) -> StaffTopic:
        # the topic row and an alert wanting its button may both get here: one creates, the other finds it
        async with self._topic_locks.hold(("topic", str(payload["case_id"]))), self._topic_lock_across_processes(payload["case_id"]):
            existing = await self.topic_of(payload["case_id"])
            if existing is not None:
                return existing
            topic = await self.call(chat_id, lambda: self.bot.create_forum_topic(chat_id=chat_id, name=payload["topic_name"][:128]))
            now = self.clock.now()
            async with self.sessions() as session, session.begin():
                values = dict(case_id=payload["case_id"], chat_id=chat_id, thread_id=topic.message_thread_id, created_at=now)
                await insert_ignore(session, StaffTopic, values, ["case_id"])
            log.info("telegram: staff topic %s created for case %s", topic.message_thread_id, payload.get("case"))
            return StaffTopic(case_id=payload["case_id"], chat_id=chat_id, thread_id=topic.message_thread_id, created_at=now)

    @asynccontextmanager
    async def _topic_lock_across_processes(self, case_id: int) -> AsyncIterator[None]:
        """On PostgreSQL, a transaction-scoped advisory lock per case; SQLite serves one bot process."""
        async with self.sessions() as session:
            if session.get_bind().dialect.name != "postgresql":
                yield
                return
            async with session.begin():
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:namespace, :case_id)"), {"namespace": TOPIC_LOCK_NAMESPACE, "case_id": case_id}
                )
                yield

    async def _topic_for_alert(self, number: str) -> StaffTopic | None:
        """The case's topic; one still queued is created now so the alert's button can open it."""
        topic = await self.topic_of(number=number)
        if topic is not None or self.staff_chat_id is None:
            return topic
        async with self.sessions() as session:
            case_id = await session.scalar(select(Case.id).where(Case.number == number))
            if case_id is None:
                return None
            queued = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.dedup_key == topic_key(case_id), OutboxMessage.status.in_(("pending", "sending")))
            )
        if queued is None:
            return None
        try:
            return await self._create_topic(int(queued.recipient), queued.payload)
        except DeliveryError as exc:
            log.warning("telegram: topic for %s not created yet (%s); alert sent without its button", number, exc.reason)
            return None

    async def _send_digest_photo(self, chat_id: int, replies: list[Reply], payload: dict[str, Any]) -> bool:
        """The digest's picture as a photo with the figures as its caption (or after it when too long); False when refused."""
        text = "\n\n".join(reply.text for reply in replies)
        photo = base64.b64decode(payload["image_png"])
        caption = text if len(text) <= CAPTION_LIMIT else None
        try:
            await self.call(chat_id, lambda: self.bot.send_photo(chat_id=chat_id, photo=photo, caption=caption))
        except DeliveryError as exc:
            if not exc.permanent:
                raise
            log.warning("telegram: the digest picture was refused (%s); sending the text alone", exc.reason)
            return False
        if caption is None:
            await self.send_replies(chat_id, replies)
        return True

    async def send(self, recipient: str, replies: list[Reply], *, kind: NoticeKind, payload: dict[str, Any]) -> None:
        """Outbox delivery: staff topics, mirrors into them, staff alerts, and messages to citizens."""
        chat_id = int(recipient)
        skip = int(payload.get("parts_sent", 0))
        topic: StaffTopic | None
        if kind == NoticeKind.STAFF_TOPIC:
            topic = await self._create_topic(chat_id, payload)
            await self.send_replies(chat_id, replies, thread_id=topic.thread_id, markup=_buttons(payload.get("buttons")), skip=skip)
            await self._send_files(topic, payload.get("files"))
            return
        if kind == NoticeKind.TOPIC_MIRROR:
            topic = await self.topic_of(payload.get("case_id"))
            if topic is None:
                raise DeliveryError(f"staff topic of case {payload.get('case')} not created yet", permanent=False)
            await self.send_replies(topic.chat_id, replies, thread_id=topic.thread_id, skip=skip)
            await self._send_files(topic, payload.get("files"))
            return
        if (
            kind == NoticeKind.DIGEST
            and payload.get("image_png")
            and skip == 0
            and await self._send_digest_photo(chat_id, replies, payload)
        ):
            return
        markup = None
        if kind == NoticeKind.STAFF_ALERT and self.withhold_content and payload.get("withheld"):
            replies = [Reply.from_json(r) for r in payload["withheld"]]
        if kind == NoticeKind.STAFF_ALERT and payload.get("case"):
            topic = await self._topic_for_alert(payload["case"])
            if topic is not None:
                markup = InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                t("staff_open_topic", "zh", number=payload["case"]), url=topic_link(topic.chat_id, topic.thread_id)
                            )
                        ]
                    ]
                )
        await self.send_replies(chat_id, replies, markup=markup, skip=skip)


def _buttons(rows: list[list[list[str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=value) for label, value in row] for row in rows])
