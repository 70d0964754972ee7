"""The one ASGI app: /healthz, /metrics, the web desk at /desk/, and the routes channels add (WeChat callback, Telegram webhook), bodies capped."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.metrics import REGISTRY
from bot.desk.routes import create_desk

# no endpoint takes more: a Telegram update or a desk form is a few KB (WeChat's callback caps itself at 64 KB)
MAX_BODY_BYTES = 1024 * 1024


class _BodyTooLarge(Exception):
    """Raised from `receive` once a request body passes the cap."""


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413, declared (Content-Length) or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized declared body at once; stop reading a streamed one at the cap."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared and not declared.isdigit():
            await PlainTextResponse("bad request", status_code=400)(scope, receive, send)
            return
        if declared and int(declared) > self.limit:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)


def create_web_app(app, extra_routes: list[Route] | None = None) -> Starlette:
    """Build the Starlette app around a wired bot App."""

    async def healthz(request: Request) -> Response:
        try:
            async with app.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # report, don't crash the probe
            return JSONResponse({"status": "error", "database": str(exc)[:200]}, status_code=503)
        knowledge = app.services.knowledge
        return JSONResponse({"status": "ok", "procedures": len(knowledge.current), "knowledge_errors": len(knowledge.errors)})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    desk, desk_app = create_desk(app)
    routes = [Route("/healthz", healthz), Route("/metrics", metrics), Mount("/desk", app=desk_app)] + list(extra_routes or [])
    web = Starlette(routes=routes, middleware=[Middleware(BodyLimit)])
    web.state.desk = desk
    return web
