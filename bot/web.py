"""The one ASGI app: /healthz, /metrics, the web desk at /desk/, and the routes channels add (WeChat callback, Telegram webhook)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.core.metrics import REGISTRY
from bot.desk.routes import create_desk


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
    web = Starlette(routes=routes)
    web.state.desk = desk
    return web
