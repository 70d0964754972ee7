"""The unanswered-questions page in a real browser (Debian's Chromium through Playwright): a supervisor attaches a gap, the bot then answers it.

`make screenshots` keeps gaps-desktop.png and gaps-phone.png in ./screenshots.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import App
from bot.web import create_web_app
from tests.conftest import Citizen, RecordingChannel, local
from tests.desk.desk_client import add_staff
from tests.desk.test_desk_browser import (
    CHROMIUM,
    PHONE,
    _screenshot_folder,
    async_playwright,
    chromium,
    log_in,
    no_horizontal_scroll,
    serve,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or async_playwright is None, reason="browser tests need Debian's chromium at /usr/bin/chromium and playwright"
)
ROOT = Path(__file__).resolve().parents[2]
QUESTION = "医院门头能写专治吗"


@pytest.fixture
async def office(settings_factory, clock, tmp_path):
    """An app on its own copy of the knowledge base, so attaching a question may write to it."""
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    application = App(settings_factory(knowledge_dir=folder), clock)
    application.add_channel(RecordingChannel("console"))
    yield application
    await application.close()


async def _seed(app) -> None:
    """A handful of gaps over two weeks, one asked three times, one with personal data, one in English."""
    app.clock.set(local(2026, 11, 24, 9, 30))
    for user in ("a", "b", "c"):
        await Citizen(app, user).say(QUESTION)
    app.clock.set(local(2026, 11, 28, 15, 5))
    await Citizen(app, "d").say("我叫李雷，电话13812345678，卡号6222021234567890123，医院门口能摆摊卖水果吗")
    await Citizen(app, "e").say("诊所的传单上能印医生的照片和执业证号吗")
    await Citizen(app, "f", lang="en").say("can our clinic print its name on taxi doors")
    app.clock.set(local(2026, 12, 1, 10, 0))
    await Citizen(app, "g").say("明天会下雨吗")


async def test_a_supervisor_attaches_a_gap_then_the_bot_answers_it_and_screenshots(office, tmp_path):
    from playwright.async_api import expect

    await _seed(office)
    await add_staff(office, "张科长", role="supervisor")
    await add_staff(office, "李明")
    before = await Citizen(office, "z").say(QUESTION)
    assert not any("医疗广告" in text for text in before)
    folder = _screenshot_folder(tmp_path)
    async with serve(create_web_app(office)) as base:
        async with chromium(viewport={"width": 1280, "height": 860}) as page:
            await log_in(page, base, "张科长")
            await page.get_by_role("link", name="未答问题").click()
            await expect(page).to_have_url(f"{base}/desk/knowledge/gaps")
            row = page.locator("li.gap", has_text=QUESTION)
            await expect(row.locator(".count")).to_have_text("4 次")
            await expect(page.locator("li.gap").first).to_contain_text(QUESTION)  # most asked first
            await expect(page.locator("body")).not_to_contain_text("李雷")
            await page.screenshot(path=str(folder / "gaps-desktop.png"), full_page=True)
            await row.get_by_label("归入办事指南").select_option("medical-advertising")
            await row.get_by_role("button", name="加为示例问题").click()
            await expect(page.locator(".notice")).to_contain_text("机器人现在会回答这个问题")
            await expect(page.locator("li.gap", has_text=QUESTION)).to_have_count(0)
            after = await Citizen(office, "y").say(QUESTION)
            assert after != before and any("医疗广告" in text for text in after)
        async with chromium(viewport=PHONE) as page:
            await log_in(page, base, "张科长")
            await page.goto(f"{base}/desk/knowledge/gaps")
            await expect(page.locator("li.gap").first).to_be_visible()
            await no_horizontal_scroll(page)
            await page.screenshot(path=str(folder / "gaps-phone.png"), full_page=True)
        async with chromium(viewport=PHONE) as page:
            await log_in(page, base, "李明")
            await page.goto(f"{base}/desk/knowledge/gaps?sort=recent")
            await expect(page.locator(".hint")).to_contain_text("只有科长/主管或分管领导")
            await expect(page.get_by_role("button", name="加为示例问题")).to_have_count(0)
            await no_horizontal_scroll(page)
            await page.screenshot(path=str(folder / "gaps-staff-phone.png"), full_page=True)
