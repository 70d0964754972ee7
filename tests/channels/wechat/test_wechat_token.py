"""The WeChat access token: one fetch shared by every process, and a slow token endpoint never stalls citizens."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from bot.channels.wechat.api import WeChatAPI
from bot.storage.models import KeyValue
from tests.conftest import Citizen
from tests.wechat_desk import desk, fake_api, open_desk, wechat_settings

SLOW_TOKEN_SECONDS = 3.0
PROMPT_SECONDS = 0.5


async def test_a_turn_is_answered_promptly_while_a_slow_token_fetch_is_under_way(desk, fake_api):
    fake_api.token_delay = SLOW_TOKEN_SECONDS
    api = WeChatAPI(desk.app.settings, desk.app.sessions, desk.app.clock)
    alice = Citizen(desk.app)
    await alice.say("你好")

    fetch = asyncio.create_task(api.access_token())
    await fake_api.wait_for_call("token")
    asked = time.perf_counter()
    replies = await alice.say("办健康证要带什么东西")
    answered = time.perf_counter() - asked

    assert not fetch.done(), "the token endpoint is still answering"
    assert "一次性告知" in replies[-1]
    assert answered < PROMPT_SECONDS, f"the turn waited {answered:.2f}s behind the token fetch"
    token = await fetch
    async with desk.app.sessions() as session:
        assert await session.scalar(select(KeyValue.value).where(KeyValue.key == "wechat:access_token")) == token


async def test_a_failed_fetch_releases_the_refresh_so_the_next_call_fetches_again(desk, fake_api):
    api = WeChatAPI(desk.app.settings, desk.app.sessions, desk.app.clock)
    fake_api.fail_next("token", 40164)
    try:
        await api.access_token()
    except Exception as exc:
        assert "40164" in str(exc)
    else:
        raise AssertionError("a refused token fetch must raise")
    assert await api.access_token() == fake_api.issued[-1]
    assert len(fake_api.token_fetches) == 2


async def test_processes_waiting_on_another_s_slow_fetch_all_get_its_token(wechat_settings, clock, fake_api):
    fake_api.token_delay = 0.3
    settings = wechat_settings()
    async with open_desk(settings, clock, fake_api) as first, open_desk(settings, clock, fake_api) as second:
        apis = [WeChatAPI(settings, desk.app.sessions, clock) for desk in (first, second) for _ in range(3)]
        tokens = await asyncio.gather(*(api.access_token() for api in apis))
    assert set(tokens) == {fake_api.issued[0]}
    assert len(fake_api.token_fetches) == 1
