"""A fake WeChat API server on a loopback port: token, customer-service and template sends, menu; records every call."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Call:
    """One request the fake received."""

    path: str
    params: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False


class FakeWeChatAPI:
    """Behaves like api.weixin.qq.com/cgi-bin/ for the calls the bot makes; use as `async with FakeWeChatAPI() as api`."""

    def __init__(self, app_id: str = "wx-test-app", secret: str = "test-secret") -> None:
        self.app_id = app_id
        self.secret = secret
        self.calls: list[Call] = []
        self.issued: list[str] = []
        self.valid_tokens: set[str] = set()
        self.errors: dict[str, list[int]] = {}
        self.uploads: dict[str, bytes] = {}
        self.expires_in = 7200
        self.token_delay = 0.0  # seconds the token endpoint takes to answer, as a slow network would
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self.base_url = ""

    # --- test controls -------------------------------------------------------------------------
    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        """Answer the next `times` calls to `path` (e.g. "message/custom/send") with `errcode`."""
        self.errors.setdefault(path, []).extend([errcode] * times)

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid, as when another party fetched a new one long ago."""
        self.valid_tokens.clear()

    # --- what tests read -----------------------------------------------------------------------
    async def wait_for_call(self, path: str, timeout: float = 5.0) -> Call:
        """Wait (bounded) until a call to `path` has arrived, for loopback I/O to complete."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.to(path):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no call to {path} within {timeout}s")
            await asyncio.sleep(0.01)
        return self.to(path)[-1]

    def to(self, path: str) -> list[Call]:
        """Calls made to one endpoint, in order."""
        return [call for call in self.calls if call.path == path]

    @property
    def token_fetches(self) -> list[Call]:
        """Calls to the token endpoint."""
        return self.to("token")

    def custom_texts(self, openid: str | None = None) -> list[str]:
        """Texts of successful customer-service messages (to one openid, if given)."""
        return [
            call.body["text"]["content"]
            for call in self.to("message/custom/send")
            if call.accepted and (openid is None or call.body.get("touser") == openid)
        ]

    def templates(self, openid: str | None = None) -> list[dict[str, Any]]:
        """Bodies of successful template messages (to one openid, if given)."""
        return [
            call.body
            for call in self.to("message/template/send")
            if call.accepted and (openid is None or call.body.get("touser") == openid)
        ]

    # --- the server ----------------------------------------------------------------------------
    async def _token(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        self.calls.append(Call("token", params))
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        queued = self.errors.get("token")
        if queued:
            return JSONResponse({"errcode": queued.pop(0), "errmsg": "refused by the test"})
        if params.get("grant_type") != "client_credential" or params.get("appid") != self.app_id or params.get("secret") != self.secret:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        self.valid_tokens.add(token)
        return JSONResponse({"access_token": token, "expires_in": self.expires_in})

    def _api(self, path: str):
        async def handle(request: Request) -> JSONResponse:
            params = dict(request.query_params)
            raw = await request.body()
            body = json.loads(raw.decode("utf-8")) if raw else {}
            call = Call(path, params, body)
            self.calls.append(call)
            if params.get("access_token") not in self.valid_tokens:
                return JSONResponse({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
            queued = self.errors.get(path)
            if queued:
                errcode = queued.pop(0)
                return JSONResponse({"errcode": errcode, "errmsg": f"fake error {errcode}"})
            call.accepted = True
            return JSONResponse({"errcode": 0, "errmsg": "ok", **({"msgid": len(self.calls)} if "template" in path else {})})

        return handle

    async def _upload(self, request: Request) -> JSONResponse:
        """media/upload: a multipart `media` file; answers a media_id and keeps the bytes in `uploads`."""
        params = dict(request.query_params)
        from tests.fakes.telegram_api import _multipart  # the same hand-rolled multipart reader (no python-multipart needed)

        _, files = _multipart(request.headers.get("content-type", ""), await request.body())
        content = files.get("media", b"")
        call = Call("media/upload", params, {"type": params.get("type"), "size": len(content)})
        self.calls.append(call)
        if params.get("access_token") not in self.valid_tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
        queued = self.errors.get("media/upload")
        if queued:
            errcode = queued.pop(0)
            return JSONResponse({"errcode": errcode, "errmsg": f"fake error {errcode}"})
        if params.get("type") != "image" or not content:
            return JSONResponse({"errcode": 40004, "errmsg": "invalid media type"})
        media_id = f"media-{len(self.uploads) + 1}"
        self.uploads[media_id] = content
        call.accepted = True
        return JSONResponse({"type": "image", "media_id": media_id, "created_at": 1})

    def images(self, openid: str | None = None) -> list[bytes]:
        """The images sent by customer-service message (to `openid`), as the uploaded bytes."""
        return [
            self.uploads[call.body["image"]["media_id"]]
            for call in self.to("message/custom/send")
            if call.accepted and call.body.get("msgtype") == "image" and (openid is None or call.body.get("touser") == openid)
        ]

    async def __aenter__(self) -> FakeWeChatAPI:
        routes = [Route("/cgi-bin/token", self._token, methods=["GET"]), Route("/cgi-bin/media/upload", self._upload, methods=["POST"])] + [
            Route(f"/cgi-bin/{path}", self._api(path), methods=["POST"])
            for path in ("message/custom/send", "message/template/send", "menu/create")
        ]
        config = uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):  # bounded wait for the loopback socket
            if self._server.started:
                break
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("fake WeChat API did not start")
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/cgi-bin/"
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task
