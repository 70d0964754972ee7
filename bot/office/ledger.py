"""The 台账: one row per case opened in a period, with the Chinese headers inspectors read; as rows, CSV text cells and an xlsx workbook."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.core.services import Services
from bot.core.texts import TEXTS, staff_text, t
from bot.office import callbacks
from bot.office.report import deadline_outcome, period_bounds
from bot.office.surveys import BAD, level_name
from bot.storage.models import Case, Staff
from bot.storage.moments import raw_moment
from bot.storage.survey_models import Survey

# the 台账's columns, in order; each header is the text `ledger_col_<field>`
FIELDS = (
    "number",
    "type",
    "channel",
    "received",
    "content",
    "department",
    "owner",
    "assignee",
    "due",
    "resolved",
    "on_time",
    "result",
    "rating",
    "rectification",
    "callback",
)
CONTENT_CHARS = 300
QUARTER_HOUR = 15 * 60 * 10**6  # microseconds
DAY = 24 * 60 * 60 * 10**6
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    Case.id,
    Case.number,
    Case.type,
    Case.channel,
    Case.summary,
    Case.description,
    Case.department,
    Case.owner_id,
    Case.assignee_id,
    Case.linked_case_id,
    Case.resolution,
    # the moments raw, for numpy to read and format a year's worth at once
    raw_moment(Case.created_at).label("created"),
    raw_moment(Case.due_at).label("due"),
    raw_moment(Case.resolved_at).label("resolved"),
)


MOMENTS = {"created": len(COLUMNS) - 3, "due": len(COLUMNS) - 2, "resolved": len(COLUMNS) - 1}  # the raw moments close COLUMNS


def headers(lang: str = "zh") -> list[str]:
    """The column headers: 编号, 类型, 渠道 … 回访情况 (English when asked)."""
    return [t(f"ledger_col_{field}", lang) for field in FIELDS]


def local_minutes(moments: np.ndarray, tz: ZoneInfo) -> list[str]:
    """Moments (numpy datetime64, UTC; NaT for none) as local 'YYYY-MM-DD HH:MM' text, '' where there is none."""
    missing = np.isnat(moments)
    stamps = moments.astype("datetime64[us]").astype(np.int64)
    present = stamps[~missing]
    # one offset a day, looked up at both ends of the UTC day; a day whose two ends differ (a DST change) is looked up a
    # quarter hour at a time, the grain on which every offset change falls
    days, which = np.unique(present // DAY, return_inverse=True)
    which = which.reshape(-1)

    def offset(micros: int) -> int:
        return (datetime.fromtimestamp(micros // 10**6, UTC).astimezone(tz).utcoffset() or timedelta(0)) // timedelta(microseconds=1)

    ends = [(offset(day * DAY), offset(day * DAY + DAY - 1)) for day in days.tolist()]
    shift = np.array([first for first, _ in ends], dtype=np.int64)[which]
    for position in (index for index, (first, last) in enumerate(ends) if first != last):
        members = np.flatnonzero(which == position)
        shift[members] = [offset(stamp - stamp % QUARTER_HOUR) for stamp in present[members].tolist()]
    local = stamps.copy()
    local[~missing] += shift
    text = np.datetime_as_string(local.astype("datetime64[us]").astype("datetime64[m]")).tolist()
    return ["" if gone else minute.replace("T", " ") for minute, gone in zip(text, missing.tolist(), strict=True)]


def neutralise(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): a leading = + - @ tab or CR gets a quote in front."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _channel(name: str | None) -> str:
    key = f"desk_channel_{name}"
    return staff_text(key) if key in TEXTS else (name or "")


async def rows(session: AsyncSession, services: Services, start: date, end: date, now: datetime) -> list[dict[str, str]]:
    """One row per case received in [start, end], oldest first, keyed by FIELDS; personal data masked."""
    tz = services.settings.tz
    begin, finish = period_bounds(start, end, tz)
    names = {s.id: s.name for s in await session.scalars(select(Staff))}
    query = select(*COLUMNS).where(Case.created_at >= begin, Case.created_at < finish).order_by(Case.created_at, Case.id)
    # plain rows through the connection: the ORM's per-row bookkeeping costs a second on a year of cases
    cases = (await (await session.connection()).execute(query)).all()
    received = (Case.created_at >= begin, Case.created_at < finish)
    surveys: dict[int, Any] = {}
    rectified: dict[int, Any] = {}
    numbers: dict[int, str] = {}
    survey_columns = (Survey.case_id, Survey.kind, Survey.rating, Survey.appeal_status, Survey.rectification_case_id)
    # one read joined on the period, not one per few hundred cases: a year's ledger has a hundred thousand of them
    for found in (
        await session.execute(select(*survey_columns).join(Case, Case.id == Survey.case_id).where(*received).order_by(Survey.id))
    ).all():
        if found.kind == "followup" or found.case_id not in surveys:
            surveys[found.case_id] = found
    linked = {c.linked_case_id for c in cases if c.linked_case_id} | {
        s.rectification_case_id for s in surveys.values() if s.rectification_case_id
    }
    linked_ids = sorted(linked)
    for chunk in range(0, len(linked_ids), 500):
        part = linked_ids[chunk : chunk + 500]
        for row in (
            await session.execute(select(Case.id, Case.number, Case.status, Case.resolved_at, Case.due_at).where(Case.id.in_(part)))
        ).all():
            numbers[row.id] = row.number
            rectified[row.id] = row
    # a bad review's 回访 may be recorded on the rated case or on its rectification: both count for the rated case's row
    calls = await callbacks.for_cases_received(session, begin, finish)
    in_period = {c.id for c in cases}
    calls.update(await callbacks.for_cases(session, [rid for rid in linked_ids if rid not in in_period]))

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).isoformat(" ", "minutes")[:16] if moment else ""

    columns = list(zip(*cases, strict=True)) if cases else [()] * len(COLUMNS)
    moments = {name: np.array(columns[MOMENTS[name]], dtype="datetime64[us]") for name in ("created", "due", "resolved")}
    received_at, due_at, resolved_at = (local_minutes(moments[name], tz) for name in ("created", "due", "resolved"))
    # deadline_outcome for every case at once: resolved by the deadline, or late (resolved late, or open past it), or None
    resolved = ~np.isnat(moments["resolved"])
    in_time = (resolved & (moments["resolved"] <= moments["due"])).tolist()
    past_due = (moments["due"] < np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "us")).tolist()

    def calls_of(*case_ids: int | None) -> str:
        if not any(cid in calls for cid in case_ids):
            return ""
        found = sorted((c for cid in case_ids if cid for c in calls.get(cid, [])), key=lambda c: (c.created_at, c.id))
        return "；".join(f"{when(c.created_at)} {c.staff_name}：{mask_text(callbacks.describe(c))}" for c in found)

    # the words every row repeats, looked up once
    type_names = {kind: staff_text(f"type_{kind}") for kind in {case.type for case in cases}}
    channel_names = {name: _channel(name) for name in {case.channel for case in cases}}
    verdicts = {None: staff_text("ledger_pending"), True: staff_text("ledger_yes"), False: staff_text("ledger_no")}
    out = []
    for index, case in enumerate(cases):
        survey: Any = surveys.get(case.id)
        outcome = in_time[index] if resolved[index] else (False if past_due[index] else None)
        rating = ""
        rectification = ""
        if survey is not None and survey.rating:
            rating = level_name(survey.rating, "zh")
            if survey.appeal_status == "upheld":
                rating += staff_text("ledger_appeal_upheld")
        if survey is not None and survey.rectification_case_id in rectified:
            rect = rectified[survey.rectification_case_id]
            state = deadline_outcome(rect, now)
            progress = staff_text("ledger_rect_done" if rect.resolved_at else "ledger_rect_open")
            timing = "" if state is None else staff_text("ledger_on_time" if state else "ledger_late")
            rectification = f"{rect.number} {progress}{timing}"
        elif survey is not None and survey.rating in BAD and survey.kind == "followup" and survey.appeal_status != "upheld":
            rectification = staff_text("ledger_rect_none")
        elif case.type == "rectification" and case.linked_case_id:
            rectification = staff_text("ledger_rect_of", number=numbers.get(case.linked_case_id, ""))
        callback_cases: tuple[int | None, ...] = (case.id,)
        if survey is not None and survey.kind == "followup":
            callback_cases = (case.id, survey.rectification_case_id)
        out.append(
            {
                "number": case.number,
                "type": type_names[case.type],
                "channel": channel_names[case.channel],
                "received": received_at[index],
                "content": mask_text(case.summary or case.description or "")[:CONTENT_CHARS],
                "department": case.department or "",
                "owner": names.get(case.owner_id, "") if case.owner_id else "",
                "assignee": names.get(case.assignee_id, "") if case.assignee_id else "",
                "due": due_at[index],
                "resolved": resolved_at[index],
                "on_time": verdicts[outcome],
                "result": mask_text(case.resolution or "")[:CONTENT_CHARS],
                "rating": rating,
                "rectification": rectification,
                "callback": calls_of(*callback_cases),
            }
        )
    return out


def csv_cells(row: dict[str, str]) -> list[str]:
    """A ledger row as CSV cells, in column order, none of them a formula."""
    return [neutralise(row[field]) for field in FIELDS]


def workbook(table: list[dict[str, str]], start: date, end: date) -> bytes:
    """The 台账 as an xlsx file: a title row, the Chinese headers, one row per case; no cell is a formula (streamed row by row)."""
    import xlsxwriter

    buffer = io.BytesIO()
    # constant_memory streams each row to disk as it is written; no string is ever read as a formula, number or link
    book = xlsxwriter.Workbook(
        buffer, {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(staff_text("ledger_sheet"))
    widths = {"number": 18, "content": 40, "result": 40, "rectification": 28, "callback": 40, "received": 17, "due": 17, "resolved": 17}
    for index, field in enumerate(FIELDS):
        sheet.set_column(index, index, widths.get(field, 12))
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, len(table) + 1, len(FIELDS) - 1)
    sheet.write_string(
        0, 0, staff_text("ledger_title", start=start.isoformat(), end=end.isoformat()), book.add_format({"bold": True, "font_size": 14})
    )
    header_format = book.add_format({"bold": True, "align": "center"})
    for index, header in enumerate(headers()):
        sheet.write_string(1, index, header, header_format)
    write = sheet.write_string
    for number, row in enumerate(table, start=2):
        for index, field in enumerate(FIELDS):
            value = row[field]
            if value:  # an empty cell is left out of the file rather than written blank
                write(number, index, neutralise(value))
    book.close()
    return buffer.getvalue()
