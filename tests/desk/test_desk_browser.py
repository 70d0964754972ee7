"""The desk in a real browser (Debian's Chromium through Playwright): a clerk works a Telegram and a WeChat citizen's case end to end.

`make screenshots` runs the screenshot test with CONSULT_DESK_SCREENSHOTS=screenshots to keep the PNGs.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from bot.app import App
from bot.channels.wechat.runtime import attach as attach_wechat
from bot.storage.models import Case
from bot.web import create_web_app
from tests.desk.desk_client import PASSWORD, add_staff
from tests.fakes.telegram_world import STAFF_CHAT, TelegramWorld, telegram_settings
from tests.fakes.wechat_server import WeChatServer
from tests.wechat_desk import AES_KEY, APP_ID, TOKEN, fake_api, wechat_settings

CHROMIUM = Path("/usr/bin/chromium")
try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or async_playwright is None,
    reason="browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk) and playwright",
)
CITIZEN = 424242
NUMBER = re.compile(r"(ZX|TS)-\d{8}-\d{4}")
PHONE = {"width": 375, "height": 812}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serve(web):
    """The ASGI app on a loopback port, for the browser."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def chromium(**context):
    """A fresh Chromium page, Chinese unless told otherwise."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = await (await browser.new_context(locale="zh-CN", **context)).new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            await browser.close()


async def log_in(page: Page, base: str, name: str = "李明") -> None:
    """Sign in through the form, pressing Enter."""
    await page.goto(f"{base}/desk/")
    await expect(page).to_have_url(f"{base}/desk/login")
    await page.get_by_label("姓名").fill(name)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_label("密码").press("Enter")
    await expect(page).to_have_url(f"{base}/desk/")


async def no_horizontal_scroll(page: Page) -> None:
    """The page fits its width."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


async def work_the_case(page: Page, base: str, number: str, *, reply: str, resolution: str) -> None:
    """Open the case from the inbox, take it, reply with Ctrl+Enter."""
    await page.get_by_role("link", name=number).click()
    await expect(page).to_have_url(f"{base}/desk/cases/{number}")
    await page.get_by_role("button", name="接手", exact=True).click()
    box = page.locator("#reply")
    await box.fill(reply)
    await box.press("Control+Enter")
    await expect(page.locator("#conversation")).to_contain_text(reply)


async def resolve(page: Page, resolution: str) -> None:
    """办结 with the resolution, confirmed."""
    await page.locator("summary", has_text="办结").click()
    await page.get_by_label("处理结果（将发送给市民）").fill(resolution)
    await page.get_by_role("button", name="确认").click()
    await expect(page.locator("#facts")).to_contain_text("已办结")


async def test_a_telegram_citizen_end_to_end(settings_factory, clock, api):
    world = await TelegramWorld.start(telegram_settings(settings_factory, api), clock, api)
    try:
        await add_staff(world.app, "李明")
        async with serve(create_web_app(world.app, world.routes)) as base, chromium() as page:
            await log_in(page, base)
            await world.say(api.message(CITIZEN, "人工服务"))
            row = page.locator(".case .number").first
            await expect(row).to_have_text(NUMBER, timeout=5000)  # appeared without reload
            number = await row.inner_text()
            await work_the_case(page, base, number, reply="您好，我是窗口工作人员，请问办理什么？", resolution="")
            await api.wait_for(lambda: any("请问办理什么" in text for text in api.texts_to(CITIZEN)), 10, "the reply on Telegram")
            await world.say(api.message(CITIZEN, "好的，谢谢，我下午还在窗口附近"))
            await expect(page.locator("#conversation")).to_contain_text("我下午还在窗口附近", timeout=3000)  # no reload
            await resolve(page, "已为您预约下午三点窗口办理")
            await api.wait_for(lambda: any("已为您预约下午三点" in text for text in api.texts_to(CITIZEN)), 10, "the resolution")
            assert any("请问办理什么" in text for text in api.texts_to(STAFF_CHAT)), "mirrored into the staff topic"
    finally:
        await world.close()


async def test_a_wechat_citizen_end_to_end(wechat_settings, clock, fake_api):
    app = App(wechat_settings(), clock)
    routes: list = []
    runtime = await attach_wechat(app, routes)
    try:
        await add_staff(app, "李明")
        async with serve(create_web_app(app, routes)) as base, httpx.AsyncClient(base_url=base) as client, chromium() as page:
            wechat = WeChatServer(client, token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, mode="safe", now=lambda: app.clock.now().timestamp())
            await log_in(page, base)
            await wechat.text("o-citizen-1", "人工服务")
            row = page.locator(".case .number").first
            await expect(row).to_have_text(NUMBER, timeout=5000)
            number = await row.inner_text()
            await work_the_case(page, base, number, reply="您好，请问您要办理哪项业务？", resolution="")
            await fake_api.wait_for_call("message/custom/send", timeout=10)
            assert any("请问您要办理哪项业务" in text for text in fake_api.custom_texts("o-citizen-1"))
            await wechat.text("o-citizen-1", "我想问健康证的事")
            await expect(page.locator("#conversation")).to_contain_text("我想问健康证的事", timeout=3000)
            await resolve(page, "已告知健康证办理材料")
            for _ in range(200):
                if any("已告知健康证办理材料" in text for text in fake_api.custom_texts("o-citizen-1")):
                    break
                await asyncio.sleep(0.05)
            assert any("已告知健康证办理材料" in text for text in fake_api.custom_texts("o-citizen-1"))
    finally:
        await runtime.stop()
        await app.close()


async def _seed(app, citizen_factory) -> str:
    """A few cases in the inbox, one with a conversation."""
    first = citizen_factory(app, "alice")
    await first.say("人工服务")
    await first.say("我想咨询一下健康证怎么办理，电话13812345678")
    for user, text in (("bob", "我要投诉"), ("carol", "人工服务")):
        other = citizen_factory(app, user)
        await other.say(text)
        if text == "我要投诉":
            for step in ("窗口人员态度恶劣，排队两个小时没人管 <img src=x onerror=alert(1)>", "跳过", "跳过", "确认"):
                await other.say(step)
    async with app.sessions() as session:
        return await session.scalar(select(Case.number).order_by(Case.id))


def _screenshot_folder(default: Path) -> Path:
    folder = Path(os.environ.get("CONSULT_DESK_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pngs(folder: Path) -> int:
    return len(list(folder.glob("*.png")))


async def test_phone_width_and_screenshots(app, tmp_path):
    from tests.conftest import Citizen

    await add_staff(app, "李明")
    await add_staff(app, "张科长", role="supervisor")
    number = await _seed(app, Citizen)
    folder = _screenshot_folder(tmp_path)
    async with serve(create_web_app(app)) as base:
        for label, viewport in (("desktop", {"width": 1280, "height": 860}), ("phone", PHONE)):
            async with chromium(viewport=viewport) as page:
                await page.goto(f"{base}/desk/login")
                await page.screenshot(path=str(folder / f"login-{label}.png"), full_page=True)
                await log_in(page, base, "张科长")
                await no_horizontal_scroll(page)
                await page.screenshot(path=str(folder / f"inbox-{label}.png"), full_page=True)
                if label == "desktop":
                    await page.get_by_role("link", name=number).click()
                    await page.get_by_role("button", name="接手", exact=True).click()
                    await page.locator("#reply").fill("您好，健康证需要带身份证和一寸照片。")
                    await page.locator("#reply").press("Control+Enter")
                    await page.get_by_label("内部备注，市民看不到").fill("市民下午来窗口，留意")
                    await page.get_by_role("button", name="备注").click()
                else:  # taken at desktop width, so no longer waiting: open it from 我的
                    await page.get_by_role("link", name="我的").click()
                    await page.get_by_role("link", name=number).click()
                await expect(page.locator("#conversation")).to_contain_text("健康证")
                await no_horizontal_scroll(page)
                await page.screenshot(path=str(folder / f"case-{label}.png"), full_page=True)
    assert _pngs(folder) >= 6
