"""The one ASGI app: /healthz, /metrics, and the routes channels add (WeChat callback, Telegram webhook)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.core.metrics import REGISTRY


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

    routes = [Route("/healthz", healthz), Route("/metrics", metrics)] + list(extra_routes or [])
    return Starlette(routes=routes)
