"""`python -m bot run`: migrate, wire the app, start channels, the web server (with the desk) and scheduler; console chat when no channel is configured."""

from __future__ import annotations

import asyncio
import importlib
import logging

import uvicorn

from bot.app import App
from bot.config import Settings
from bot.scheduler import create_scheduler
from bot.storage.migrate import upgrade_async
from bot.web import create_web_app

log = logging.getLogger(__name__)

CONSOLE_USER = "console-user"


def configured_channels(settings: Settings) -> list[str]:
    """Names of the messaging channels the settings enable."""
    channels = []
    if settings.telegram_token:
        channels.append("telegram")
    if settings.wechat_app_id and settings.wechat_token:
        channels.append("wechat")
    return channels


def desk_url(settings: Settings) -> str:
    """Where staff open the web desk."""
    host = settings.http_host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.http_port}/desk/"


async def run(settings: Settings) -> int:
    """Run until interrupted (or, in console mode, until the input ends)."""
    await upgrade_async(settings.database_url)
    channels = configured_channels(settings)
    app = App(settings, echo_alerts=not channels)
    await app.warm_up()
    await app.recover_orphans()
    routes: list = []
    starters = []
    for name in channels:
        module = importlib.import_module(f"bot.channels.{name}.runtime")
        starter = await module.attach(app, routes)
        starters.append(starter)
    # deliver only through channels this process has; console citizens other than this one are served by their `chat`
    app.dispatcher.serve_only(set(app.channels), console_user=None if channels else CONSOLE_USER)
    scheduler = create_scheduler(app)
    scheduler.start()
    server = uvicorn.Server(
        uvicorn.Config(
            create_web_app(app, routes),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            timeout_graceful_shutdown=2,  # open desk pages hold live-update streams; don't wait on them at exit
        )
    )
    # the web endpoints always run: the staff desk works in console mode too
    server_task = asyncio.create_task(server.serve())
    for _ in range(600):  # print the URL once it answers (binding takes milliseconds; give up waiting after 30 s)
        if server.started or server_task.done():
            break
        await asyncio.sleep(0.05)
    if server_task.done():
        await server_task  # it could not start (e.g. the port is taken): say why
    print(f"web desk: {desk_url(settings)}", flush=True)
    try:
        if not channels:
            from bot.channels.console import chat

            log.info("no channel configured: console chat on %s", settings.database_url)
            logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))  # keep the chat readable
            await chat(app, CONSOLE_USER, None)
        else:
            log.info("serving %s on http://%s:%s", ", ".join(channels), settings.http_host, settings.http_port)
            await server_task
    finally:
        for starter in starters:
            await starter.stop()
        scheduler.shutdown(wait=False)
        server.should_exit = True
        await asyncio.gather(server_task, return_exceptions=True)
        await app.close()
    return 0
