"""The supervision pages of the desk through HTTP: the 回访 button, the dashboard (same figures as `report --json`), the 台账, monthly files."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.models import Case
from bot.storage.supervision_models import Callback
from tests.desk.desk_client import add_staff, browsers


@pytest.fixture
async def desk(app):
    async with browsers(app) as new:
        yield new


async def test_call_back_button_records_a_call_back_on_the_case(app, desk, citizen):
    await add_staff(app, "李明")
    await citizen.say("人工服务")
    async with app.sessions() as session:
        number = await session.scalar(select(Case.number))
    browser = desk()
    await browser.login("李明")
    await browser.act(number, "take")
    page = await browser.open(f"/desk/cases/{number}")
    assert "<summary>回访</summary>" in page.text and 'name="outcome" value="reached"' in page.text
    refused = await browser.act(number, "callback", outcome="unreached", satisfied="yes")
    assert refused.status_code == 409 and "未联系上" in refused.text
    done = await browser.act(number, "callback", outcome="reached", satisfied="yes", text="电话回访，市民表示清楚了")
    assert done.status_code == 303
    async with app.sessions() as session:
        [row] = list(await session.scalars(select(Callback)))
    assert (row.outcome, row.satisfied, row.staff_name, row.note) == ("reached", True, "李明", "电话回访，市民表示清楚了")
    page = await browser.open(f"/desk/cases/{number}")
    assert "回访：已联系上，市民表示满意" in page.text


def _island(html: str) -> dict:
    import html as html_lib
    import json
    import re

    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert match, "no data island"
    return json.loads(html_lib.unescape(match.group(1)) if "&#" in match.group(1) else match.group(1))


def _figures(html: str) -> dict:
    import html as html_lib
    import json
    import re

    return {key: json.loads(html_lib.unescape(value)) for key, value in re.findall(r'data-figure="([a-z_]+)" data-value="([^"]*)"', html)}


async def test_dashboard_is_for_supervisors_and_leaders(app, desk):
    await add_staff(app, "李明")
    await add_staff(app, "王主任", role="supervisor")
    await add_staff(app, "张局", role="leader", department=None)
    clerk = desk()
    await clerk.login("李明")
    for path in ("/desk/dashboard", "/desk/ledger", "/desk/ledger.xlsx", "/desk/reports/1"):
        assert (await clerk.open(path)).status_code == 403, path
    for name in ("王主任", "张局"):
        browser = desk()
        await browser.login(name)
        page = await browser.open("/desk/dashboard")
        assert page.status_code == 200 and "监督考评" in page.text
    anonymous = await desk().open("/desk/dashboard")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/desk/login"


async def test_dashboard_figures_equal_report_json_for_the_same_period(app, desk, database_url, monkeypatch):
    import asyncio
    import io
    import json
    from contextlib import redirect_stdout
    from datetime import datetime

    from bot.__main__ import main
    from tests.office.test_report import build_fixture

    await build_fixture(app)
    # the command runs on the system clock: put the page's clock there too, so "as of" means the same moment
    app.clock.set(datetime.now(app.settings.tz).replace(microsecond=0))
    await add_staff(app, "王科长", role="supervisor")
    browser = desk()
    await browser.login("王科长")
    page = await browser.open("/desk/dashboard?period=custom&from=2026-12-01&to=2026-12-04")
    island = _island(page.text)["report"]
    monkeypatch.setenv("CONSULT_DATABASE_URL", database_url)
    out = io.StringIO()

    def run() -> int:
        with redirect_stdout(out):
            return main(["report", "--from", "2026-12-01", "--to", "2026-12-04", "--json"])

    assert await asyncio.to_thread(run) == 0
    printed = json.loads(out.getvalue())
    printed.pop("outbox_unknown")
    for data in (island, printed):
        data.pop("as_of")
    assert island == printed
    shown = _figures(page.text)
    overall = printed["overall"]
    assert shown == {
        "opened": overall["opened"],
        "resolved": overall["resolved"],
        "on_time_rate": overall["on_time_rate"],
        "median_first_response_hours": overall["median_first_response_hours"],
        "median_resolution_hours": overall["median_resolution_hours"],
        "satisfaction_rate": overall["satisfaction_rate"],
        "bad_reviews": overall["bad_reviews"],
        "rectification_on_time_rate": overall["rectification_on_time_rate"],
        "callback_rate": overall["callback_rate"],
        "self_service_rate": printed["self_service"]["self_service_rate"],
    }
    assert (shown["opened"], shown["satisfaction_rate"], shown["callback_rate"]) == (6, 0.6667, 1.0)
    assert "66.7%" in page.text and 'data-level="fairly_satisfied">1<' in page.text


async def test_period_picker_and_the_ledger_page_and_workbook(app, desk):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.office.test_report import build_fixture

    await build_fixture(app)
    app.clock.set(datetime_local(2026, 12, 10, 10))
    await add_staff(app, "王科长", role="supervisor")
    browser = desk()
    await browser.login("王科长")
    this_week = _figures((await browser.open("/desk/dashboard?period=this_week")).text)  # Mon 12-07 .. Thu 12-10
    this_month = _figures((await browser.open("/desk/dashboard?period=this_month")).text)
    last_month = _figures((await browser.open("/desk/dashboard?period=last_month")).text)
    assert (this_week["opened"], this_month["opened"], last_month["opened"]) == (0, 6, 2)
    bogus = await browser.open("/desk/dashboard?period=custom&from=2026-12-09&to=2026-12-01")
    assert 'class="tab on" href="/desk/dashboard?period=this_month"' in bogus.text  # a backwards custom period falls back
    page = await browser.open("/desk/ledger?period=custom&from=2026-12-01&to=2026-12-04")
    assert page.status_code == 200 and "<th>事项内容</th>" in page.text and "<th>回访情况</th>" in page.text
    assert '<a href="/desk/cases/TS-20261201-0002">TS-20261201-0002</a>' in page.text
    download = await browser.client.get("/desk/ledger.xlsx?period=custom&from=2026-12-01&to=2026-12-04")
    assert download.status_code == 200 and "spreadsheetml" in download.headers["content-type"]
    sheet = load_workbook(BytesIO(download.content)).active
    assert sheet["A2"].value == "编号" and sheet["O2"].value == "回访情况" and sheet.max_row == 8


def datetime_local(*args):
    from tests.conftest import local

    return local(*args)
