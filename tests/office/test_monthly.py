"""The monthly report: on the first working day, last month's figures and 台账 to supervisors and leaders, stored once for the desk."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App
from bot.office import monthly
from bot.storage.supervision_models import ReportFile
from tests.conftest import local
from tests.desk.desk_client import add_staff, browsers
from tests.fakes.recording import RecordingChannel
from tests.office.test_report import build_fixture


def test_first_working_day_honours_holidays_and_make_up_days(app):
    services = app.services
    assert monthly.first_working_day(services, date(2026, 12, 1))  # a Tuesday
    assert not monthly.first_working_day(services, date(2026, 12, 2))
    # New Year 2026: Jan 1-3 are holidays, Sunday Jan 4 is a make-up workday
    assert not monthly.first_working_day(services, date(2026, 1, 2))
    assert monthly.first_working_day(services, date(2026, 1, 4))
    assert not monthly.first_working_day(services, date(2026, 1, 5))
    assert monthly.previous_month(date(2026, 1, 4)) == (date(2025, 12, 1), date(2025, 12, 31))


async def test_monthly_report_goes_to_supervisors_and_leaders_once_and_is_on_the_desk(settings_factory, clock):
    app = App(settings_factory(), clock)
    log = RecordingChannel("log")
    app.add_channel(log)
    app.add_channel(RecordingChannel("console"))
    try:
        await build_fixture(app)  # two cases received in November (G, I), six in December
        await add_staff(app, "张局", role="leader", department=None)
        clock.set(local(2026, 12, 1, 8, 29))
        assert await monthly.tick(app) == 0
        clock.set(local(2026, 12, 1, 8, 31))
        assert await monthly.tick(app) == 2  # 王主任 (supervisor) and 张局 (leader); not the clerks
        assert await monthly.tick(app) == 0
        sent = [s for s in log.sent if s.kind == "digest"]
        assert len(sent) == 2
        text = sent[0].texts[0]
        assert "【月度报告】2026-11" in text and "受理 2 件" in text and "/desk/reports/1" in text
        async with app.sessions() as session:
            [stored] = list(await session.scalars(select(ReportFile)))
        assert (stored.period, stored.filename) == ("2026-11", "台账-2026-11.xlsx")
        sheet = load_workbook(BytesIO(stored.content)).active
        assert sheet["A1"].value == "咨询投诉台账（2026-11-01 至 2026-11-30）"
        assert [sheet.cell(row=n, column=1).value for n in (3, 4)] == ["TS-20261120-0001", "ZX-20261127-0001"]

        await add_staff(app, "王科长", role="supervisor")
        await add_staff(app, "李科员")
        async with browsers(app) as new:
            chief = new()
            await chief.login("王科长")
            inbox = await chief.open("/desk/")
            assert "2026-11 月度报告与台账已生成" in inbox.text and f'href="/desk/reports/{stored.id}"' in inbox.text
            download = await chief.client.get(f"/desk/reports/{stored.id}")
            assert download.status_code == 200 and download.content == stored.content
            assert "filename*=UTF-8''%E5%8F%B0%E8%B4%A6-2026-11.xlsx" in download.headers["content-disposition"]
            clerk = new()
            await clerk.login("李科员")
            assert "月度报告" not in (await clerk.open("/desk/")).text
            assert (await clerk.client.get(f"/desk/reports/{stored.id}")).status_code == 403
    finally:
        await app.close()
