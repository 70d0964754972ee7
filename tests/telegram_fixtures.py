"""Fixtures shared by the Telegram tests: the fake Bot API and a running bot attached to it."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.telegram_world import TelegramWorld, telegram_settings


@pytest.fixture
async def api():
    """The fake Bot API on a loopback port."""
    fake = await FakeBotAPI().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def world(settings_factory, clock, api):
    """The bot with its Telegram channel attached to the fake API (polling)."""
    running = await TelegramWorld.start(telegram_settings(settings_factory, api), clock, api)
    yield running
    await running.close()
