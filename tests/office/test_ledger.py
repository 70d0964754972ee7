"""The 台账: the hand-computed fixture's cases as ledger rows, the xlsx read back cell by cell, the CSV for Excel, the command's refusals."""

from __future__ import annotations

import asyncio
import csv

from openpyxl import load_workbook

from bot.__main__ import main
from bot.app import App
from bot.office import ledger
from bot.storage.models import Case
from tests.conftest import local
from tests.office.test_report import PERIOD, build_fixture

HEADERS = [
    "编号",
    "类型",
    "渠道",
    "受理时间",
    "事项内容",
    "涉及窗口/科室",
    "首问负责人",
    "承办人",
    "办理期限",
    "办结时间",
    "是否按时",
    "办理结果",
    "评价",
    "整改情况",
    "回访情况",
]


async def _fixture_with_content(app) -> None:
    await build_fixture(app)
    async with app.sessions() as session, session.begin():
        from sqlalchemy import select

        b = await session.scalar(select(Case).where(Case.number == "TS-20261201-0002"))
        b.summary = "窗口人员态度差，联系电话13812345678"
        b.channel = "wechat"
        b.resolution = "已约谈窗口人员并致歉"
        e = await session.scalar(select(Case).where(Case.number == "TS-20261204-0001"))
        e.summary = '=HYPERLINK("http://evil.example","点我")'


async def test_ledger_rows_carry_the_chinese_columns_masked(app):
    await _fixture_with_content(app)
    async with app.sessions() as session:
        rows = await ledger.rows(session, app.services, *PERIOD, local(2026, 12, 10, 10))
    assert ledger.headers() == HEADERS
    assert [r["number"] for r in rows] == [
        "TS-20261201-0001",
        "TS-20261201-0002",
        "ZX-20261202-0001",
        "ZX-20261203-0001",
        "TS-20261204-0001",
        "ZG-20261204-0001",
    ]
    b = rows[1]
    assert b == {
        "number": "TS-20261201-0002",
        "type": "投诉",
        "channel": "微信",
        "received": "2026-12-01 16:00",
        "content": "窗口人员态度差，联系电话138****5678",
        "department": "综合科",
        "owner": "李明",
        "assignee": "李明",
        "due": "2026-12-03 12:00",
        "resolved": "2026-12-03 16:00",
        "on_time": "否",
        "result": "已约谈窗口人员并致歉",
        "rating": "非常不满意",
        "rectification": "ZG-20261204-0001 已整改，按时",
        "callback": "2026-12-04 15:00 王主任：未联系上；2026-12-05 10:00 王主任：已联系上，市民表示满意",
    }
    assert rows[2]["rating"] == "不满意（申诉成立，不计入统计）" and rows[2]["rectification"] == ""
    assert (rows[3]["on_time"], rows[4]["on_time"]) == ("否", "未到期")
    assert rows[5]["rectification"] == "整改 TS-20261201-0002 的差评" and rows[5]["callback"].startswith("2026-12-04 15:00 王主任")


def _write_ledger(settings_factory, clock, database_url, monkeypatch):
    async def prepare():
        app = App(settings_factory(), clock)
        try:
            await _fixture_with_content(app)
        finally:
            await app.close()

    asyncio.run(prepare())
    monkeypatch.setenv("CONSULT_DATABASE_URL", database_url)


def test_ledger_xlsx_opens_with_the_headers_and_the_cells(settings_factory, clock, database_url, tmp_path, monkeypatch, capsys):
    _write_ledger(settings_factory, clock, database_url, monkeypatch)
    out = tmp_path / "台账.xlsx"
    assert main(["report", "--ledger", "--from", "2026-12-01", "--to", "2026-12-04", "--xlsx", str(out)]) == 0
    assert "wrote 6 case(s)" in capsys.readouterr().out
    sheet = load_workbook(out).active
    assert sheet["A1"].value == "咨询投诉台账（2026-12-01 至 2026-12-04）"
    assert [cell.value for cell in sheet[2]] == HEADERS
    assert sheet.max_row == 2 + 6
    assert [sheet.cell(row=4, column=n).value for n in (1, 2, 5, 11, 13, 14)] == [
        "TS-20261201-0002",
        "投诉",
        "窗口人员态度差，联系电话138****5678",
        "否",
        "非常不满意",
        "ZG-20261204-0001 已整改，按时",
    ]
    evil = sheet.cell(row=7, column=5)
    assert evil.data_type == "s" and evil.value.startswith("'=HYPERLINK")


def test_csv_is_the_ledger_for_excel_and_neutralises_formulas(settings_factory, clock, database_url, tmp_path, monkeypatch, capsys):
    _write_ledger(settings_factory, clock, database_url, monkeypatch)
    out = tmp_path / "cases.csv"
    assert main(["report", "--from", "2026-12-01", "--to", "2026-12-04", "--csv", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == HEADERS and len(table) == 7
    assert table[5][4].startswith("'=HYPERLINK") and table[2][14].endswith("市民表示满意")
    assert [ledger.neutralise(v) for v in ("+1", "-1", "@x", "\tx", "\rx", "ok", "")] == ["'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", ""]


def test_report_refuses_conflicting_options_and_missing_folders(settings_factory, clock, database_url, tmp_path, monkeypatch, capsys):
    _write_ledger(settings_factory, clock, database_url, monkeypatch)
    assert main(["report", "--json", "--csv", str(tmp_path / "x.csv")]) == 2
    assert "--json" in capsys.readouterr().err
    assert main(["report", "--ledger"]) == 2
    capsys.readouterr()
    missing = tmp_path / "no" / "such" / "ledger.xlsx"
    assert main(["report", "--ledger", "--xlsx", str(missing)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0] and str(tmp_path / "no" / "such") in err[0]
    assert not missing.parent.exists()


def test_local_minutes_match_python_across_daylight_saving_changes_and_missing_moments():
    """The 台账's times: the same local minute Python's own conversion gives, on both DST changes of a year, '' for none."""
    import random
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    import numpy as np

    from bot.office.ledger import local_minutes

    rng = random.Random(11)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(microseconds=rng.randrange(0, 365 * 24 * 3600 * 10**6)) for _ in range(3000)]
    # the minutes around both changes in Berlin and in Sydney, and nothing at all
    for change in (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC), datetime(2026, 4, 4, 16, tzinfo=UTC)):
        moments += [change + timedelta(minutes=m, microseconds=-1) for m in range(-2, 3)] + [
            change + timedelta(minutes=m) for m in range(-2, 3)
        ]
    values = np.array([m.replace(tzinfo=None) for m in moments] + [None], dtype="datetime64[us]")
    for zone in ("Asia/Shanghai", "Europe/Berlin", "Australia/Sydney", "Asia/Kathmandu"):
        tz = ZoneInfo(zone)
        assert local_minutes(values, tz) == [m.astimezone(tz).strftime("%Y-%m-%d %H:%M") for m in moments] + [""], zone
    assert local_minutes(np.array([], dtype="datetime64[us]"), ZoneInfo("Asia/Shanghai")) == []
