"""The supervision dashboard in a real browser (Debian's Chromium through Playwright): periods, drawn charts, overdue rows, screenshots.

`make screenshots` keeps the PNGs (dashboard-desktop.png, dashboard-phone.png, ledger-desktop.png) in ./screenshots.
"""

from __future__ import annotations

import json

import pytest

from bot.web import create_web_app
from tests.conftest import Citizen, local
from tests.desk.desk_client import add_staff
from tests.desk.test_desk_browser import CHROMIUM, PHONE, _screenshot_folder, async_playwright, chromium, no_horizontal_scroll, serve
from tests.office.test_report import build_fixture

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or async_playwright is None, reason="browser tests need Debian's chromium at /usr/bin/chromium and playwright"
)

# pixels of a chart's canvas that are not blank: ECharts drew something
PAINTED = """box => {
  const canvas = box.querySelector('canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
  return painted;
}"""


async def _seed(app) -> None:
    await build_fixture(app)
    app.clock.set(local(2026, 12, 2, 11, 0))
    alice, bob = Citizen(app, "alice"), Citizen(app, "bob")
    await alice.say("办健康证要带什么")
    await bob.say("办健康证需要什么材料")
    await bob.say("小区里的流浪猫可以领养吗")  # nothing of the office's: kept as a knowledge gap
    app.clock.set(local(2026, 12, 10, 10, 0))


async def _log_in(page, base: str, name: str) -> None:
    await page.goto(f"{base}/desk/login")
    await page.get_by_label("姓名").fill(name)
    await page.get_by_label("密码").fill("window-clerk-2026")
    await page.get_by_label("密码").press("Enter")
    await page.wait_for_url(f"{base}/desk/")


def _watch(page, errors: list[str]) -> None:
    """Collect script errors, console errors and failed requests (the browser's own favicon probe aside)."""
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "Failed to load resource" not in msg.text else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)


async def test_dashboard_periods_charts_overdue_links_and_screenshots(app, tmp_path):
    from playwright.async_api import expect

    await _seed(app)
    await add_staff(app, "王科长", role="supervisor")
    folder = _screenshot_folder(tmp_path)
    async with serve(create_web_app(app)) as base:
        for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
            async with chromium(viewport=viewport) as page:
                errors: list[str] = []
                _watch(page, errors)
                await _log_in(page, base, "王科长")
                await page.goto(f"{base}/desk/dashboard?period=custom&from=2026-12-01&to=2026-12-04")
                opened = page.locator('[data-figure="opened"] .value')
                await expect(opened).to_have_text("6")
                await expect(page.locator('[data-figure="satisfaction_rate"] .value')).to_have_text("66.7%")
                charts = page.locator("[data-chart]")
                assert await charts.count() == 7
                island = json.loads(await page.locator("#dashboard-data").text_content() or "{}")
                assert [entry["count"] for entry in island["report"]["top_unanswered"]] == [1]
                for n in range(7):
                    box = charts.nth(n)
                    await expect(box).to_have_attribute("data-drawn", "1")
                    assert await box.evaluate(PAINTED) > 500, await box.get_attribute("data-chart")
                await no_horizontal_scroll(page)
                # nor inside a card: a clerk on a phone reads the whole overdue row without scrolling it sideways
                clipped = await page.eval_on_selector_all(".card", "cards => cards.filter(c => c.scrollWidth > c.clientWidth + 1).length")
                assert clipped == 0
                await page.screenshot(path=str(folder / f"dashboard-{label}.png"), full_page=True)
                if label == "desktop":
                    await page.get_by_role("link", name="上月").click()
                    await expect(page).to_have_url(f"{base}/desk/dashboard?period=last_month")
                    await expect(opened).to_have_text("2")
                    await page.get_by_role("link", name="本月").click()
                    await expect(opened).to_have_text("6")
                    row = page.locator("tr.overdue-row").first
                    await expect(row).to_contain_text("督办")
                    await row.get_by_role("link", name="ZX-20261203-0001").click()
                    await expect(page).to_have_url(f"{base}/desk/cases/ZX-20261203-0001")
                    await page.goto(f"{base}/desk/ledger?period=custom&from=2026-12-01&to=2026-12-04")
                    await expect(page.locator("table.ledger tbody tr")).to_have_count(6)
                    await page.screenshot(path=str(folder / f"ledger-{label}.png"), full_page=True)
                assert errors == []
