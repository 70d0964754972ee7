"""Starts the Telegram channel: updates fetched by polling (confirmed only once their turns committed) or taken from the webhook, fed to the engine."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import logging
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Bot, BotCommand, BotCommandScopeDefault, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.convert import CHANNEL, to_inbound
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.sender import IN_FLIGHT, RateLimits, TelegramSender
from bot.channels.telegram.staff_topics import StaffDesk, StaffTopics
from bot.core.events import EVENTS
from bot.core.locks import KeyedLocks
from bot.core.messages import Reply
from bot.core.texts import t
from bot.delivery.channel import DeliveryError
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.storage.models import OutboxMessage

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates call waits for updates (long polling)
POLL_BACKOFF = 0.5  # after a failed getUpdates, this much longer each time …
MAX_POLL_BACKOFF = 5.0  # … up to this
LEADER_RETRY_SECONDS = 1.0  # a process that does not poll asks for the polling lock this often
POLL_LOCK_KEY = 0x7E1E_60A1  # the PostgreSQL advisory lock of the polling process
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = ("start", "help", "status", "delete")
# set per update: whether its turn published a case event, i.e. queued outbox rows that are due now
_turn_queued: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("telegram_turn_queued", default=None)


def reply_key(update_id: int) -> str:
    """The outbox dedup key of the reply to one Telegram update."""
    return f"tg-reply:{update_id}"


def file_url(settings) -> str:
    """The Bot API file base: configured, or derived from the API base (`…/bot` → `…/file/bot`)."""
    if settings.telegram_base_file_url:
        return settings.telegram_base_file_url
    base = settings.telegram_base_url
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base.rstrip("/") + "/file/bot"


class OutboxKick:
    """Runs the outbox dispatcher soon after a turn queued something, one run at a time, coalescing requests."""

    def __init__(self, app) -> None:
        self.app = app
        self._task: asyncio.Task | None = None
        self._again = False

    def __call__(self) -> None:
        """Ask for a dispatcher run."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self.app.tick_outbox()
            except Exception:  # the periodic tick will try again
                log.exception("telegram: outbox dispatch after a turn failed")
            if not self._again:
                return

    async def drain(self) -> None:
        """Wait for a running dispatch to finish."""
        while self._task is not None and not self._task.done():
            await asyncio.gather(self._task, return_exceptions=True)


async def _note_queued(**_: Any) -> None:
    """A case event in this update's turn means outbox rows to send now (staff topic, alerts, mirrors)."""
    queued = _turn_queued.get()
    if queued is not None:
        queued[0] = True


class PollLeader:
    """On PostgreSQL, one process at a time polls Telegram (two pollers on a token end each other's requests with
    409): a session-level advisory lock, released by the database the moment its holder's connection drops."""

    def __init__(self, db: AsyncEngine) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        """True when this process polls: SQLite (one process), or the lock is (still) ours."""
        if self.db.dialect.name != "postgresql":
            return True
        try:
            if self._connection is None:
                self._connection = connection = await self.db.connect()
                got = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": POLL_LOCK_KEY})
                await connection.commit()
                if not got:
                    await self.release()
                    return False
                log.info("telegram: this process polls Telegram now")
                return True
            await self._connection.scalar(text("SELECT 1"))  # the lock lives as long as this connection
            await self._connection.commit()
            return True
        except Exception:
            log.warning("telegram: the polling lock's connection failed; asking again", exc_info=True)
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lock up (closing its connection releases it)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # a broken connection: the server released the lock already
                log.debug("telegram: closing the polling lock's connection failed", exc_info=True)


class TelegramRuntime:
    """The running channel: fetches updates (or takes them from the webhook), runs the engine, sends replies.

    An update is confirmed to Telegram only once its turn committed, and the turn's reply is queued in that very
    transaction: sent directly right after, or by the outbox if this process dies first; a redelivered update
    whose reply is still queued gets it sent then. `stop()` shuts it down.
    """

    def __init__(self, app, bot: Bot, sender: TelegramSender, *, webhook: bool) -> None:
        self.app = app
        self.bot = bot
        self.sender = sender
        self.webhook = webhook
        self.kick = OutboxKick(app)
        staff_chat = app.settings.telegram_staff_chat_id
        self.handled = 0
        self.offset = 0  # the next update id to ask for: Telegram forgets those below once asked with it
        self.chats = KeyedLocks()
        self.desk = StaffDesk(app, sender, staff_chat, self.kick) if staff_chat else None
        self.leader = PollLeader(app.db)
        self.grace = timedelta(seconds=app.settings.telegram_reply_grace_seconds)
        self._deliveries: dict[int, asyncio.Task] = {}  # per chat, the last delivery: the next one waits for it
        self._tasks: set[asyncio.Task] = set()
        self._poller: asyncio.Task | None = None
        self._fetching = False
        self._stopping = False
        for event in EVENTS:
            app.services.events.subscribe(event, _note_queued)

    # ---- receiving ---------------------------------------------------------------------------------

    def start_polling(self) -> None:
        """Poll getUpdates in the background until `stop()`."""
        self._poller = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        failures = 0
        while not self._stopping:
            if not await self.leader.acquire():
                self.offset = 0  # another process confirmed updates meanwhile; Telegram knows where we are
                await self._pause(LEADER_RETRY_SECONDS)
                continue
            try:
                self._fetching = True
                updates = await self.bot.get_updates(
                    offset=self.offset or None, timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES, read_timeout=5
                )
            except InvalidToken:
                log.error("telegram: the token was refused; polling stops")
                return
            except RetryAfter as exc:
                wait = exc.retry_after
                await self._pause(min(wait if isinstance(wait, int | float) else wait.total_seconds(), MAX_POLL_BACKOFF))
                continue
            except (Conflict, NetworkError, TelegramError) as exc:
                failures += 1
                log.warning("telegram: getUpdates failed (%s); retrying", exc)
                await self._pause(min(POLL_BACKOFF * failures, MAX_POLL_BACKOFF))
                continue
            finally:
                self._fetching = False
            failures = 0
            if updates:
                await self.process_batch(list(updates))
                # only now: every update of the batch has its turn committed (and its reply queued)
                self.offset = max(update.update_id for update in updates) + 1

    async def _pause(self, seconds: float) -> None:
        """Wait before asking again (a bounded backoff), unless stopping."""
        self._fetching = True
        try:
            await asyncio.sleep(seconds)
        finally:
            self._fetching = False

    async def process_batch(self, updates: list[Update]) -> None:
        """Handle a batch: each chat's updates in order, chats side by side; returns once every turn committed."""
        by_chat: dict[Any, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            by_chat.setdefault(chat.id if chat is not None else ("update", update.update_id), []).append(update)

        async def in_order(chat_updates: list[Update]) -> None:
            for update in chat_updates:
                await self.process(update)

        await asyncio.gather(*(in_order(chat_updates) for chat_updates in by_chat.values()))

    async def process(self, update: Update) -> None:
        """One update up to its commit (the reply goes on in the background); nothing escapes as an exception."""
        try:
            await self._dispatch(update)
        except Exception:
            log.exception("telegram: update %s could not be handled", update.update_id)
        finally:
            self.handled += 1

    async def _dispatch(self, update: Update) -> None:
        chat = update.effective_chat
        if chat is not None and self.desk is not None and chat.id == self.desk.chat_id:
            await self.desk.handle(update)
            return
        if update.callback_query is not None:
            await self.sender.answer_callback(update.callback_query.id)
        if chat is None or chat.type != "private":
            return
        inbound = to_inbound(update)
        if inbound is None:
            return
        queued = [False]
        _turn_queued.set(queued)
        key = reply_key(update.update_id)
        chat_id = chat.id

        async def queue_reply(session, citizen, replies: list[Reply], now) -> None:
            # the reply commits with the turn: whoever claims it first (this process right away, the outbox
            # after the grace period, or a redelivery of this update) sends it, and only once
            if replies:
                notice = Notice(kind=NoticeKind.ANSWER_PART, channel=CHANNEL, recipient=str(chat_id), replies=tuple(replies), dedup_key=key)
                await enqueue(session, notice, due_at=now + self.grace, now=now)

        async with self.chats.hold((CHANNEL, str(chat_id))):
            result = await self.app.engine.handle(inbound, after_turn=queue_reply)
        if queued[0]:
            self.kick()
        if result.duplicate:
            log.info("telegram: update %s was handled before; its reply goes out only if it never did", update.update_id)
        self._then_deliver(chat_id, key, None if result.duplicate else result.replies)

    # ---- replying ----------------------------------------------------------------------------------

    def _then_deliver(self, chat_id: int, key: str, unstored: list[Reply] | None) -> None:
        """Deliver after the chat's previous reply, so a citizen reads the answers in the order asked."""
        previous = self._deliveries.get(chat_id)
        task = asyncio.create_task(self._deliver(chat_id, key, unstored, previous))
        self._deliveries[chat_id] = task
        self._tasks.add(task)
        task.add_done_callback(partial(self._delivered, chat_id))

    def _delivered(self, chat_id: int, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._deliveries.get(chat_id) is task:
            del self._deliveries[chat_id]

    async def _deliver(self, chat_id: int, key: str, unstored: list[Reply] | None, previous: asyncio.Task | None) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            outcome = await self.app.dispatcher.send_now(key)
            if outcome is None and unstored and not await self._queued(key):
                await self._send_unstored(chat_id, key, unstored)
        except Exception:
            log.exception("telegram: delivering the reply %s failed; the outbox holds it", key)

    async def _queued(self, key: str) -> bool:
        """True when an outbox row carries this reply (sent, being sent, or done with)."""
        async with self.app.sessions() as session:
            return await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)) is not None

    async def _send_unstored(self, chat_id: int, key: str, replies: list[Reply]) -> None:
        """A reply no turn stored (the turn failed, or the citizen's data was just deleted): sent as it is."""
        for index, reply in enumerate(replies):
            try:
                await self.sender.send_replies(chat_id, [reply])
            except DeliveryError as exc:
                # never dropped: the outbox retries it, or records the failure and tells staff
                log.warning("telegram: reply %s not delivered (%s); handing it to the outbox", key, exc.reason)
                now = self.app.clock.now()
                rest = Notice(
                    kind=NoticeKind.ANSWER_PART, channel=CHANNEL, recipient=str(chat_id), replies=tuple(replies[index:]), dedup_key=key
                )
                async with self.app.sessions() as session, session.begin():
                    await enqueue(session, rest, due_at=now, now=now)
                self.kick()
                return

    async def idle(self) -> None:
        """Wait until every reply in hand went out (or to the outbox) and the outbox run it asked for ended."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.kick.drain()

    # ---- webhook, commands, stopping ---------------------------------------------------------------

    async def webhook_endpoint(self, request: Request) -> Response:
        """POST /telegram: only Telegram (which knows the secret) may feed updates; 200 only once the turn committed."""
        secret = self.app.settings.telegram_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook: request with a wrong or missing secret token refused")
            return Response(status_code=403)
        body = await request.body()  # outside the try: a body over the web app's cap is a 413, not "not an update"
        try:
            update = Update.de_json(json.loads(body), self.bot)
        except Exception:
            log.warning("telegram webhook: body is not an update; ignored")
            return Response(status_code=400)
        if update is None:
            return Response(status_code=400)
        await self.process(update)  # Telegram delivers it again if we die before answering
        return Response(status_code=200)

    async def set_commands(self) -> None:
        """The command menu in Chinese (default) and English."""
        for lang, code in (("zh", None), ("en", "en")):
            commands = [BotCommand(name, t(f"cmd_{name}", lang)) for name in COMMANDS]
            await self.sender.call(
                None,
                partial(self.bot.set_my_commands, commands, scope=BotCommandScopeDefault(), language_code=code),
                limited=False,
            )

    async def stop(self) -> None:
        """Stop receiving, finish the work in hand (confirming what was handled), release the connections."""
        self._stopping = True
        if self._poller is not None:
            if self._fetching:
                self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            if self.offset:
                try:  # confirm the last batch, so a restart is not handed it again (harmless, but needless)
                    await self.bot.get_updates(offset=self.offset, timeout=0, limit=1)
                except TelegramError as exc:
                    log.info("telegram: last updates not confirmed at exit (%s); they come back as duplicates", exc)
        await self.idle()
        await self.leader.release()
        await self.bot.shutdown()


async def attach(app, routes: list[Any]) -> TelegramRuntime:
    """Build PTB's Bot (the HTTP transport), register the "telegram" adapter and start polling or the webhook."""
    settings = app.settings
    # httpx logs every request URL at INFO, and Bot API URLs carry the token
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").getEffectiveLevel()))
    webhook = bool(settings.telegram_webhook_url)
    if webhook and not settings.telegram_webhook_secret:
        raise ValueError("CONSULT_TELEGRAM_WEBHOOK_SECRET must be set when CONSULT_TELEGRAM_WEBHOOK_URL is")
    bot = Bot(
        settings.telegram_token,
        base_url=settings.telegram_base_url,
        base_file_url=file_url(settings),
        request=AiohttpRequest(IN_FLIGHT),
        get_updates_request=AiohttpRequest(1),
    )
    limits = RateLimits(
        per_chat_interval=settings.telegram_rate_per_chat_seconds,
        group_per_minute=settings.telegram_rate_group_per_minute,
        overall_per_second=settings.telegram_rate_overall_per_second,
    )
    sender = TelegramSender(
        bot,
        app.sessions,
        staff_chat_id=settings.telegram_staff_chat_id,
        limits=limits,
        clock=app.clock,
        withhold_content=settings.telegram_staff_content == "withheld",
    )
    runtime = TelegramRuntime(app, bot, sender, webhook=webhook)
    if settings.telegram_staff_chat_id:
        StaffTopics(settings.telegram_staff_chat_id).subscribe(app.services.events)
    app.add_channel(sender)
    await bot.initialize()
    await runtime.set_commands()
    if webhook:
        await sender.call(
            None,
            lambda: bot.set_webhook(
                settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret, allowed_updates=Update.ALL_TYPES
            ),
            limited=False,
        )
        routes.append(Route("/telegram", runtime.webhook_endpoint, methods=["POST"]))
        log.info("telegram: webhook mode at %s", settings.telegram_webhook_url)
    else:
        # getUpdates is refused while a webhook is set; the updates it did not deliver stay queued for us
        await sender.call(None, lambda: bot.delete_webhook(drop_pending_updates=False), limited=False)
        runtime.start_polling()
        log.info("telegram: polling %s", settings.telegram_base_url)
    return runtime
