"""A fake Telegram Bot API server on a loopback port: records every call, long-polls updates, injects errors."""

from __future__ import annotations

import asyncio
import email.policy
import itertools
import json
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope", "link_preview_options", "entities", "reply_parameters"}
INT_FIELDS = {"chat_id", "message_thread_id", "message_id", "offset", "limit", "timeout", "user_id", "from_chat_id"}


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    files: dict[str, bytes] = field(default_factory=dict)
    content_type: str = ""
    failed: bool = False  # answered with an error: Telegram shows nothing


@dataclass
class Failure:
    """An error the next call of a method will get instead of success."""

    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None
    after: int = 0  # matching calls that still succeed before this failure applies


class _Conflict(Exception):
    """A getUpdates call ended by a newer one, as Telegram ends it (409) when two pollers share a token."""


STALL = 0  # a Failure status: the request never gets an answer (the network swallowed it) and delivers nothing


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Form fields and uploaded files of a multipart/form-data body."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            files[name] = part.get_payload(decode=True)
        else:
            fields[name] = part.get_payload(decode=True).decode()
    return fields, files


def _decode(params: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if key in JSON_FIELDS:
            decoded[key] = json.loads(value)
        elif key in INT_FIELDS and isinstance(value, str) and value.lstrip("-").isdigit():
            decoded[key] = int(value)
        else:
            decoded[key] = value
    return decoded


class FakeBotAPI:
    """Speaks enough of the Bot API for python-telegram-bot: polling, sending, topics, webhooks, callbacks."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self._pending: list[dict[str, Any]] = []
        self._polls = 0  # getUpdates calls so far: a newer one ends the one still waiting with 409
        self._released = asyncio.Event()  # set at stop: stalled requests end
        self.webhook_url = ""  # set by setWebhook: getUpdates is refused while it is
        self.delivered_updates: list[int] = []  # every update id getUpdates handed out, redeliveries included
        self._arrived = asyncio.Condition()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._thread_ids = itertools.count(500)
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self.port = 0
        self.listeners: list[Any] = []  # callables told of every recorded call (benchmarks)
        self.latency: dict[str, float] = {}  # seconds a method takes to answer, as Telegram over a real network

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FakeBotAPI:
        """Serve on 127.0.0.1 with an ephemeral port, in the running event loop."""
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                break
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Release long polls and stop serving."""
        self._closing = True
        self._released.set()
        async with self._arrived:
            self._arrived.notify_all()
        if self._server is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def base_url(self) -> str:
        """What CONSULT_TELEGRAM_BASE_URL should be."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The file download base."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- test controls ---------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int,
        description: str = "",
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next call of `method` (to `chat_id`, if given; after `after` more successes) with an error: 429, 400, 403, 5xx;
        or, with status STALL, never answer it (it delivers nothing), as when a request is lost on its way."""
        default = {
            429: f"Too Many Requests: retry after {retry_after}",
            400: "Bad Request: message is malformed",
            403: "Forbidden: bot was blocked by the user",
        }
        self.failures.setdefault(method, []).append(
            Failure(status, description or default.get(status, "Internal Server Error"), retry_after, chat_id, after)
        )

    async def push(self, *updates: dict[str, Any]) -> list[int]:
        """Queue updates for getUpdates; an update without `update_id` gets the next one."""
        ids = []
        async with self._arrived:
            for update in updates:
                update.setdefault("update_id", next(self._update_ids))
                self._pending.append(update)
                ids.append(update["update_id"])
            self._arrived.notify_all()
        return ids

    def unconfirmed(self) -> list[int]:
        """Ids of the updates Telegram still holds: not yet confirmed by a getUpdates offset past them."""
        return [u["update_id"] for u in self._pending]

    def calls_of(self, method: str) -> list[Call]:
        """Every recorded call of one method, in order."""
        return [call for call in self.calls if call.method == method]

    def texts_to(self, chat_id: int, thread_id: int | None = None) -> list[str]:
        """Texts delivered to a chat (and topic), in order; calls answered with an error delivered nothing."""
        return [
            c.params.get("text", "")
            for c in self.calls_of("sendMessage")
            if not c.failed and c.params.get("chat_id") == chat_id and (thread_id is None or c.params.get("message_thread_id") == thread_id)
        ]

    async def wait_for(self, condition, timeout: float = 10.0, what: str = "condition") -> Any:
        """Poll `condition()` until it is truthy (bounded), for loopback I/O to complete."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}; calls: {[c.method for c in self.calls][-20:]}")

    async def wait_texts(self, chat_id: int, count: int, thread_id: int | None = None, timeout: float = 10.0) -> list[str]:
        """Wait until at least `count` texts reached the chat (topic) and return them all."""
        return await self.wait_for(
            lambda: (t := self.texts_to(chat_id, thread_id)) and len(t) >= count and t, timeout, f"{count} texts to {chat_id}/{thread_id}"
        )

    # ---- update builders ---------------------------------------------------------------------
    @staticmethod
    def user(user_id: int, first_name: str = "Test", language_code: str | None = "zh-hans") -> dict[str, Any]:
        """A Telegram user object."""
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        thread_id: int | None = None,
        language_code: str | None = "zh-hans",
        first_name: str = "Test",
        **content: Any,
    ) -> dict[str, Any]:
        """An update with a message from `user_id` (private chat unless `chat_id` names a group)."""
        chat = (
            {"id": user_id, "type": "private", "first_name": first_name}
            if chat_id is None
            else {"id": chat_id, "type": "supergroup", "title": "Staff", "is_forum": True}
        )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, first_name, language_code),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return {"message": message}

    def photo(self, user_id: int, file_id: str = "photo-file-1", caption: str | None = None, **kw: Any) -> dict[str, Any]:
        """An update with a photo (two sizes, as Telegram sends)."""
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": "s1", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "s2", "width": 800, "height": 800},
        ]
        extra = {"caption": caption} if caption else {}
        return self.message(user_id, None, photo=sizes, **extra, **kw)

    def callback(
        self, user_id: int, data: str, *, chat_id: int | None = None, thread_id: int | None = None, language_code: str | None = "zh-hans"
    ) -> dict[str, Any]:
        """An update for a tapped inline button."""
        message = self.message(BOT_ID, "…", chat_id=chat_id if chat_id is not None else user_id, thread_id=thread_id)["message"]
        if chat_id is None:
            message["chat"] = {"id": user_id, "type": "private", "first_name": "Test"}
        message["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}
        return {
            "callback_query": {
                "id": f"cb{next(self._message_ids)}",
                "from": self.user(user_id, language_code=language_code),
                "chat_instance": "ci",
                "data": data,
                "message": message,
            }
        }

    # ---- the server side ---------------------------------------------------------------------
    def _chat(self, chat_id: Any) -> dict[str, Any]:
        chat_id = int(chat_id)
        return (
            {"id": chat_id, "type": "private", "first_name": "Citizen"}
            if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Staff", "is_forum": True}
        )

    def _message_result(self, params: dict[str, Any]) -> dict[str, Any]:
        result = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(params["chat_id"]),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Consult Desk", "username": "consult_desk_bot"},
        }
        if "text" in params:
            result["text"] = params["text"]
        if params.get("message_thread_id"):
            result["message_thread_id"] = params["message_thread_id"]
            result["is_topic_message"] = True
        if "reply_markup" in params:
            result["reply_markup"] = params["reply_markup"]
        return result

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """As Telegram: an offset confirms (forgets) every update below it, a negative one keeps only the last
        -offset; everything else stays and is handed out again to every call until confirmed. A newer call
        ends one still waiting with 409 Conflict (two pollers on one token)."""
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        async with self._arrived:
            self._polls += 1
            mine = self._polls
            self._arrived.notify_all()  # a poll still waiting learns it was superseded
            if offset < 0:
                self._pending = self._pending[offset:]
            elif offset:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            deadline = time.monotonic() + timeout
            while not self._pending and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except TimeoutError:
                    break
                if self._polls != mine:
                    raise _Conflict()
            handed = self._pending[:limit]
            self.delivered_updates += [u["update_id"] for u in handed]
            return handed

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        content_type = request.headers.get("content-type", "")
        files: dict[str, bytes] = {}
        if content_type.startswith("application/json"):
            raw = await request.json()
        elif content_type.startswith("multipart/form-data"):  # uploads
            raw, files = _multipart(content_type, await request.body())
        else:
            raw = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        params = _decode(raw)
        call = Call(method, params, files=files, content_type=content_type.split(";")[0])
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        if self.latency.get(method):
            await asyncio.sleep(self.latency[method])
        queued = self.failures.get(method, [])
        failure = next((f for f in queued if f.chat_id is None or f.chat_id == params.get("chat_id")), None)
        if failure is not None and failure.after:
            failure.after -= 1
            failure = None
        if failure is not None:
            call.failed = True
            queued.remove(failure)
            if failure.status == STALL:
                await self._released.wait()
                return JSONResponse({"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status_code=504)
            body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return JSONResponse(body, status_code=failure.status)
        try:
            result = await self._result(method, params)
        except _Conflict as conflict:
            call.failed = True
            description = (
                str(conflict) or "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
            )
            return JSONResponse({"ok": False, "error_code": 409, "description": description}, status_code=409)
        return JSONResponse({"ok": True, "result": result})

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Consult Desk",
                "username": "consult_desk_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": True,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            if self.webhook_url:
                raise _Conflict(
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
                )
            return await self._get_updates(params)
        if method == "setWebhook":
            self.webhook_url = params.get("url", "")
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                self._pending.clear()
            return True
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            return self._message_result(params)
        if method == "copyMessage":
            return {"message_id": next(self._message_ids)}
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._message_result(params) if "chat_id" in params else True
        if method == "createForumTopic":
            return {"message_thread_id": next(self._thread_ids), "name": params.get("name", ""), "icon_color": 7322096}
        if method == "getFile":
            return {"file_id": params.get("file_id"), "file_unique_id": "u", "file_size": 3, "file_path": "photos/file.jpg"}
        if method == "getWebhookInfo":
            return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._pending)}
        # setMyCommands, answerCallbackQuery, setWebhook, deleteWebhook, deleteMyCommands, closeForumTopic …
        return True

    async def _file(self, request: Request):
        from starlette.responses import Response

        return Response(b"jpg", media_type="image/jpeg")
