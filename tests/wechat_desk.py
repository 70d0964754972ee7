"""Fixtures for the WeChat tests: the bot's ASGI app with the WeChat channel attached, a fake WeChat API, WeChat's server."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx
import pytest

from bot.app import App
from bot.channels.wechat.runtime import attach
from bot.web import create_web_app
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.fakes.wechat_server import WeChatServer, numbered_choice

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
SECRET = "test-secret"
CASE_NUMBER = re.compile(r"(TS|ZX|ZG)-\d{8}-\d{4}")


class Desk:
    """A running bot with the WeChat channel, reachable the way WeChat reaches it."""

    def __init__(self, app: App, runtime, client: httpx.AsyncClient, api: FakeWeChatAPI) -> None:
        self.app = app
        self.runtime = runtime
        self.client = client
        self.api = api

    def wechat(self, mode: str | None = None, aes_key: str | None = None) -> WeChatServer:
        """WeChat's server, posting in `mode` (default: the desk's own) with `aes_key` (default: the configured one)."""
        return WeChatServer(
            self.client,
            token=TOKEN,
            app_id=APP_ID,
            aes_key=aes_key or AES_KEY,
            mode=mode or self.mode,
            now=lambda: self.app.clock.now().timestamp(),
        )

    @property
    def mode(self) -> str:
        """The message mode the bot is configured for (plain, compatible or safe)."""
        return self.app.settings.wechat_mode

    async def settle(self) -> None:
        """Wait until late answers and their customer-service messages have gone out."""
        await self.runtime.callback.drain()


async def file_complaint(wechat: WeChatServer, openid: str) -> str:
    """A WeChat citizen files a complaint (window and phone skipped) and confirms it; returns its case number."""
    await wechat.text(openid, "我要投诉")
    await wechat.text(openid, "窗口工作人员态度很差，让我等了两个小时")
    await wechat.text(openid, "跳过")
    summary = await wechat.text(openid, "跳过")
    filed = await wechat.text(openid, numbered_choice(summary.content, "确认提交"))
    return CASE_NUMBER.search(filed.content).group(0)


@pytest.fixture
async def fake_api():
    """The fake WeChat API on a loopback port."""
    async with FakeWeChatAPI(app_id=APP_ID, secret=SECRET) as api:
        yield api


@pytest.fixture
def wechat_settings(settings_factory, fake_api):
    """Settings with the WeChat channel configured against the fake API; overrides allowed."""

    def make(**overrides):
        values = dict(
            wechat_app_id=APP_ID,
            wechat_app_secret=SECRET,
            wechat_token=TOKEN,
            wechat_aes_key=AES_KEY,
            wechat_api_base_url=fake_api.base_url,
        )
        values.update(overrides)
        return settings_factory(**values)

    return make


@asynccontextmanager
async def open_desk(settings, clock, api: FakeWeChatAPI):
    """Wire an App, attach the WeChat channel, build the ASGI app, and talk to it over an in-process transport."""
    app = App(settings, clock)
    routes: list = []
    runtime = await attach(app, routes)
    web = create_web_app(app, routes)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot.test") as client:
            yield Desk(app, runtime, client, api)
    finally:
        await runtime.stop()
        await app.close()


@pytest.fixture
async def desk(wechat_settings, clock, fake_api):
    """The default desk: safe-mode key configured, 4-second budget."""
    async with open_desk(wechat_settings(), clock, fake_api) as running:
        yield running
