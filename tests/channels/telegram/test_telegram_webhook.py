"""Webhook mode: setWebhook with a secret, /telegram on the bot's ASGI app, wrong or missing secrets refused."""

from __future__ import annotations

import httpx
import pytest

from bot.web import create_web_app
from tests.fakes.telegram_world import TelegramWorld, telegram_settings

ALICE = 7001
SECRET = "s3cret-token_ABC"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
async def world(settings_factory, clock, api):
    """The bot with its Telegram channel attached to the fake API."""
    settings = telegram_settings(
        settings_factory, api, telegram_webhook_url="https://bot.example.org/telegram", telegram_webhook_secret=SECRET
    )
    running = await TelegramWorld.start(settings, clock, api)
    yield running
    await running.close()


@pytest.fixture
async def web(world):
    """An HTTP client for the bot's ASGI app (where /telegram lives)."""
    transport = httpx.ASGITransport(app=create_web_app(world.app, world.routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.local") as client:
        yield client


async def test_webhook_is_registered_with_its_secret_and_polling_is_off(world, api):
    [registered] = api.calls_of("setWebhook")
    assert registered.params["url"] == "https://bot.example.org/telegram"
    assert registered.params["secret_token"] == SECRET
    assert api.calls_of("getUpdates") == []


async def test_update_with_the_right_secret_is_answered(world, api, web):
    update = api.message(ALICE, "办健康证要带什么东西") | {"update_id": 42}
    response = await web.post("/telegram", json=update, headers={HEADER: SECRET})
    assert response.status_code == 200
    texts = await api.wait_texts(ALICE, 2)
    assert "所需材料" in texts[-1]


async def test_wrong_or_missing_secret_is_refused_with_403_and_nothing_happens(world, api, web):
    update = api.message(ALICE, "你好") | {"update_id": 43}
    assert (await web.post("/telegram", json=update, headers={HEADER: "guess"})).status_code == 403
    assert (await web.post("/telegram", json=update)).status_code == 403
    # a good request afterwards proves the refused ones were never queued
    good = api.message(ALICE, "再见") | {"update_id": 44}
    assert (await web.post("/telegram", json=good, headers={HEADER: SECRET})).status_code == 200
    await world.handled(1)
    assert world.runtime.handled == 1
    assert not any("您好！欢迎" in text for text in api.texts_to(ALICE))


async def test_a_redelivered_webhook_update_is_processed_once(world, api, web):
    update = api.message(ALICE, "你好") | {"update_id": 77}
    for _ in range(2):
        assert (await web.post("/telegram", json=update, headers={HEADER: SECRET})).status_code == 200
    await world.handled(2)
    assert len(api.texts_to(ALICE)) == 3, "notice, greeting and menu, once"


async def test_garbage_body_is_rejected_without_crashing(world, web):
    response = await web.post("/telegram", content=b"not json", headers={HEADER: SECRET})
    assert response.status_code == 400


async def test_an_oversized_body_is_refused_with_413_before_it_is_read_whole(world, api, web):
    declared = await web.post("/telegram", content=b"{" + b" " * (64 * 1024 * 1024) + b"}", headers={HEADER: SECRET})
    assert declared.status_code == 413
    chunks_read = 0

    async def endless():
        nonlocal chunks_read
        for _ in range(64 * 1024):  # 64 MB if read to the end
            chunks_read += 1
            yield b" " * 1024

    streamed = await web.post("/telegram", content=endless(), headers={HEADER: SECRET})
    assert streamed.status_code == 413
    assert chunks_read < 2 * 1024, "reading stopped near the 1 MB cap"
    good = api.message(ALICE, "你好") | {"update_id": 90}
    assert (await web.post("/telegram", json=good, headers={HEADER: SECRET})).status_code == 200
