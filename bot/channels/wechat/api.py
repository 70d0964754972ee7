"""The WeChat API client: asynchronous HTTP (httpx) with the access token cached in the database, never logged."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.masking import redact_secrets
from bot.logs import guard_library_loggers
from bot.storage.models import KeyValue
from bot.storage.results import affected
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

TOKEN_KEY = "wechat:access_token"
# refresh a while before WeChat's own expiry so no call ever goes out with a token about to die
REFRESH_MARGIN = timedelta(minutes=5)
LEASE_KEY = "wechat:access_token:refresh"
# how much longer than one token call a process waits for another's refresh before it gives up
REFRESH_WAIT_EXTRA_SECONDS = 5.0
TOKEN_REJECTED = frozenset({40001, 40014, 42001})


class WeChatAPIError(Exception):
    """A WeChat API call that failed: `errcode` from WeChat, or None for network trouble and timeouts."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        errmsg = redact_secrets(errmsg)  # network errors quote the URL, and the URL carries the access token
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatAPI:
    """Customer-service, template and menu calls with a database-cached access token shared by all processes."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        if not (settings.wechat_app_id and settings.wechat_app_secret):
            raise ValueError("CONSULT_WECHAT_APP_ID and CONSULT_WECHAT_APP_SECRET are needed for the WeChat API")
        self.app_id = settings.wechat_app_id
        self.secret = settings.wechat_app_secret
        self.base_url = settings.wechat_api_base_url if settings.wechat_api_base_url.endswith("/") else settings.wechat_api_base_url + "/"
        self.timeout = settings.wechat_api_timeout_seconds
        self.sessions = sessions
        self.clock = clock
        guard_library_loggers()  # httpx logs every URL at INFO: the token URL carries the AppSecret, the others the token
        self._refreshing = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None  # one connection pool for every call of this process
        self._known: tuple[str, datetime] | None = None  # this process's copy of the database token and its expiry

    async def access_token(self, *, rejected: str | None = None) -> str:
        """A valid access token from the database cache; fetched once (across processes) when missing, near expiry or `rejected`.

        The fetch runs with no database connection or transaction held: on SQLite the one pooled connection
        serves every citizen's turn, so a slow token endpoint must not hold it. Processes coordinate through
        a short refresh lease row instead of a row lock.
        """
        if self._known is not None:
            token, expires_at = self._known
            if token != rejected and expires_at - REFRESH_MARGIN > self.clock.now():
                return token
        async with self._refreshing:
            loop = asyncio.get_running_loop()
            give_up = loop.time() + self.timeout + REFRESH_WAIT_EXTRA_SECONDS
            pause = 0.02
            while True:
                cached = await self._cached(rejected)
                if cached is not None:
                    return cached
                if await self._claim_refresh():
                    # another process may have stored a token and released the lease just before we took it
                    fresh = await self._cached(rejected)
                    if fresh is not None:
                        await self._release_lease()
                        return fresh
                    return await self._refresh()
                if loop.time() > give_up:
                    raise WeChatAPIError(None, "another process is refreshing the access token and has not finished")
                await asyncio.sleep(pause)  # another process holds the lease: its token lands in the database
                pause = min(pause * 2, 0.5)

    async def _cached(self, rejected: str | None) -> str | None:
        async with self.sessions() as session:
            row = await session.get(KeyValue, TOKEN_KEY)
            if row is None or row.expires_at is None or not self._usable(row, rejected):
                return None
            self._known = (row.value, row.expires_at)
            return row.value

    async def _claim_refresh(self) -> bool:
        """Take the refresh lease unless another process holds a live one."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            await insert_ignore(session, KeyValue, {"key": LEASE_KEY, "value": "", "expires_at": None}, ["key"])
            claimed = await session.execute(
                update(KeyValue)
                .where(KeyValue.key == LEASE_KEY, or_(KeyValue.expires_at.is_(None), KeyValue.expires_at < now))
                .values(expires_at=now + timedelta(seconds=self.timeout + REFRESH_WAIT_EXTRA_SECONDS))
            )
        return affected(claimed) == 1

    async def _release_lease(self) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(update(KeyValue).where(KeyValue.key == LEASE_KEY).values(expires_at=None))

    async def _refresh(self) -> str:
        """Fetch a token (no connection held), store it and release the lease, even when the fetch fails."""
        try:
            token, expires_in = await self._fetch_token()
        except BaseException:
            await self._release_lease()
            raise
        expires_at = self.clock.now() + timedelta(seconds=expires_in)
        async with self.sessions() as session, session.begin():
            await insert_ignore(session, KeyValue, {"key": TOKEN_KEY, "value": "", "expires_at": None}, ["key"])
            await session.execute(update(KeyValue).where(KeyValue.key == TOKEN_KEY).values(value=token, expires_at=expires_at))
            await session.execute(update(KeyValue).where(KeyValue.key == LEASE_KEY).values(expires_at=None))
        log.info("wechat: access token fetched, valid for %ds", expires_in)
        self._known = (token, expires_at)
        return token

    def _usable(self, row: KeyValue, rejected: str | None) -> bool:
        fresh = row.expires_at is not None and row.expires_at - REFRESH_MARGIN > self.clock.now()
        return bool(row.value) and fresh and row.value != rejected

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
            self._client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _fetch_token(self) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}
        try:
            response = await self._http().get(f"{self.base_url}token", params=params)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeChatAPIError(None, f"token endpoint unreachable: {_describe(exc)}") from None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            errmsg = data.get("errmsg", "no access_token in the answer") if isinstance(data, dict) else "not a JSON object"
            raise WeChatAPIError(data.get("errcode") if isinstance(data, dict) else None, f"token refused: {errmsg}")
        return data["access_token"], int(data.get("expires_in", 7200))

    async def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST `payload` to the API `path` with the cached token; on a rejected token refresh it once and try again."""
        token = await self.access_token()
        try:
            return await self._post(path, payload, token)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            log.info("wechat: access token rejected (%s); refreshing once", exc.errcode)
        token = await self.access_token(rejected=token)
        return await self._post(path, payload, token)

    async def _post(self, path: str, payload: dict[str, Any], token: str) -> dict[str, Any]:
        # UTF-8 as is, not \u escapes: WeChat shows escaped text literally in some messages
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            response = await self._http().post(
                f"{self.base_url}{path}",
                params={"access_token": token},
                content=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:  # network trouble, timeouts, a proxy's HTML page: try again later
            raise WeChatAPIError(None, _describe(exc)) from None
        if not isinstance(data, dict):
            raise WeChatAPIError(None, f"HTTP {response.status_code}: not a JSON object")
        errcode = data.get("errcode", 0)
        if errcode:
            raise WeChatAPIError(int(errcode) if isinstance(errcode, int) else None, str(data.get("errmsg", "")))
        return data

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (message/custom/send)."""
        await self.call("message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, openid: str, template_id: str, data: dict[str, dict[str, str]]) -> None:
        """A template message (message/template/send)."""
        await self.call("message/template/send", {"touser": openid, "template_id": template_id, "data": data})

    async def upload_image(self, content: bytes, filename: str = "digest.png") -> str:
        """Upload a temporary image (media/upload, kept 3 days by WeChat) and return its media_id."""
        token = await self.access_token()
        try:
            data = await self._upload(content, filename, token)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            data = await self._upload(content, filename, await self.access_token(rejected=token))
        media_id = data.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeChatAPIError(None, "media/upload answered without a media_id")
        return media_id

    async def _upload(self, content: bytes, filename: str, token: str) -> dict[str, Any]:
        try:
            response = await self._http().post(
                f"{self.base_url}media/upload",
                params={"access_token": token, "type": "image"},
                files={"media": (filename, content, "image/png")},
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeChatAPIError(None, _describe(exc)) from None
        if not isinstance(data, dict):
            raise WeChatAPIError(None, f"HTTP {response.status_code}: not a JSON object")
        errcode = data.get("errcode", 0)
        if errcode:
            raise WeChatAPIError(int(errcode) if isinstance(errcode, int) else None, str(data.get("errmsg", "")))
        return data

    async def send_image(self, openid: str, media_id: str) -> None:
        """A customer-service image message (message/custom/send, msgtype image)."""
        await self.call("message/custom/send", {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """Install the custom menu (menu/create)."""
        await self.call("menu/create", menu)


def _describe(exc: Exception) -> str:
    """A network error in one line with no URL (its query holds the access token or the AppSecret)."""
    detail = redact_secrets(str(exc)) if not isinstance(exc, httpx.HTTPStatusError) else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
