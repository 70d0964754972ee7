"""Starts the Telegram channel: a PTB Application (transport only) feeding the engine, by polling or webhook."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import logging
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import Application, ContextTypes, TypeHandler

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

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 256
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = ("start", "help", "status", "delete")
# set per update: whether its turn published a case event, i.e. queued outbox rows that are due now
_turn_queued: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("telegram_turn_queued", default=None)


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


class TelegramRuntime:
    """The running channel: translates updates, runs the engine, sends replies; `stop()` shuts it down."""

    def __init__(self, app, application: Application, sender: TelegramSender, *, webhook: bool) -> None:
        self.app = app
        self.application = application
        self.sender = sender
        self.webhook = webhook
        self.kick = OutboxKick(app)
        staff_chat = app.settings.telegram_staff_chat_id
        self.handled = 0
        self.chats = KeyedLocks()
        self.desk = StaffDesk(app, sender, staff_chat, self.kick) if staff_chat else None
        for event in EVENTS:
            app.services.events.subscribe(event, _note_queued)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update PTB receives comes here; nothing escapes as an exception."""
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
        # the turn and its delivery together, so two quick messages of one citizen are answered in order
        async with self.chats.hold((CHANNEL, str(chat.id))):
            result = await self.app.engine.handle(inbound)
            if queued[0]:
                self.kick()
            if result.duplicate:
                log.info("telegram: update %s already handled; not answered twice", update.update_id)
                return
            await self._deliver(chat.id, result.replies, update.update_id)

    async def _deliver(self, chat_id: int, replies: list[Reply], update_id: int) -> None:
        for index, reply in enumerate(replies):
            try:
                await self.sender.send_replies(chat_id, [reply])
            except DeliveryError as exc:
                # never dropped: the outbox retries it, or records the failure and tells staff
                log.warning("telegram: reply to update %s not delivered (%s); handing it to the outbox", update_id, exc.reason)
                now = self.app.clock.now()
                async with self.app.sessions() as session, session.begin():
                    await enqueue(
                        session,
                        Notice(
                            kind=NoticeKind.ANSWER_PART,
                            channel=CHANNEL,
                            recipient=str(chat_id),
                            replies=tuple(replies[index:]),
                            dedup_key=f"tg-reply:{update_id}",
                        ),
                        due_at=now,
                        now=now,
                    )
                self.kick()
                return

    async def webhook_endpoint(self, request: Request) -> Response:
        """POST /telegram: only Telegram (which knows the secret) may feed updates."""
        secret = self.app.settings.telegram_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("telegram webhook: request with a wrong or missing secret token refused")
            return Response(status_code=403)
        body = await request.body()  # outside the try: a body over the web app's cap is a 413, not "not an update"
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except Exception:
            log.warning("telegram webhook: body is not an update; ignored")
            return Response(status_code=400)
        await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def set_commands(self) -> None:
        """The command menu in Chinese (default) and English."""
        bot = self.application.bot
        for lang, code in (("zh", None), ("en", "en")):
            commands = [BotCommand(name, t(f"cmd_{name}", lang)) for name in COMMANDS]
            await self.sender.call(
                None,
                partial(bot.set_my_commands, commands, scope=BotCommandScopeDefault(), language_code=code),
                limited=False,
            )

    async def stop(self) -> None:
        """Stop receiving, finish the work in hand, release PTB's resources."""
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await self.kick.drain()
        await application.shutdown()


async def attach(app, routes: list[Any]) -> TelegramRuntime:
    """Build the PTB Application, register the "telegram" adapter and start polling or the webhook."""
    settings = app.settings
    # httpx logs every request URL at INFO, and Bot API URLs carry the token
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").getEffectiveLevel()))
    webhook = bool(settings.telegram_webhook_url)
    if webhook and not settings.telegram_webhook_secret:
        raise ValueError("CONSULT_TELEGRAM_WEBHOOK_SECRET must be set when CONSULT_TELEGRAM_WEBHOOK_URL is")
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url(settings))
        .job_queue(None)
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(AiohttpRequest(IN_FLIGHT))
        .get_updates_request(AiohttpRequest(1))
    )
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    limits = RateLimits(
        per_chat_interval=settings.telegram_rate_per_chat_seconds,
        group_per_minute=settings.telegram_rate_group_per_minute,
        overall_per_second=settings.telegram_rate_overall_per_second,
    )
    sender = TelegramSender(
        application.bot,
        app.sessions,
        staff_chat_id=settings.telegram_staff_chat_id,
        limits=limits,
        clock=app.clock,
        withhold_content=settings.telegram_staff_content == "withheld",
    )
    runtime = TelegramRuntime(app, application, sender, webhook=webhook)
    application.add_handler(TypeHandler(Update, runtime.on_update))
    if settings.telegram_staff_chat_id:
        StaffTopics(settings.telegram_staff_chat_id).subscribe(app.services.events)
    app.add_channel(sender)
    await application.initialize()
    await runtime.set_commands()
    await application.start()
    if webhook:
        await sender.call(
            None,
            lambda: application.bot.set_webhook(
                settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret, allowed_updates=Update.ALL_TYPES
            ),
            limited=False,
        )
        routes.append(Route("/telegram", runtime.webhook_endpoint, methods=["POST"]))
        log.info("telegram: webhook mode at %s", settings.telegram_webhook_url)
    else:
        assert application.updater is not None, "the builder makes an updater unless told not to"
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)
        log.info("telegram: polling %s", settings.telegram_base_url)
    return runtime
