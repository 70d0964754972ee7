"""`python -m bot report [--from DATE] [--to DATE] [--json] [--csv FILE] [--ledger --xlsx FILE]`: figures and the 台账 for supervisors."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.core.texts import both, staff_text
from bot.delivery.outbox import unknown_count
from bot.office import ledger, report
from bot.office.surveys import LEVELS

DEFAULT_DAYS = 30
FIGURES = (
    "opened",
    "resolved",
    "on_time_rate",
    "median_first_response_hours",
    "median_resolution_hours",
    "response_rate",
    "satisfaction_rate",
    "bad_reviews",
    "rectification_on_time_rate",
    "callback_rate",
    "appeals_upheld",
)


def _pad(label: str, width: int = 72) -> str:
    """Pad to a terminal width, counting a Chinese character as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)
    return label + " " * max(1, width - shown)


def _value(figures: dict[str, Any], key: str) -> str:
    value = figures[key]
    if value is None:
        return "-"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return str(value)


def as_text(data: dict[str, Any], unknown: int) -> str:
    """The report as aligned text: overall, then each department and staff member."""
    lines = [both("report_title", start=data["from"], end=data["to"], as_of=data["as_of"]), ""]
    sections = [
        (both("report_overall"), {"": data["overall"]}),
        (both("report_departments"), data["departments"]),
        (both("report_staff"), data["staff"]),
    ]
    for title, groups in sections:
        lines.append(f"== {title} ==")
        for name, figures in groups.items():
            if name:
                lines.append(f"-- {name}")
            for key in FIGURES:
                lines.append(f"  {_pad(both(f'report_{key}'))}{_value(figures, key)}")
            levels = figures["levels"]
            lines.append(f"  {_pad(both('report_levels'))}{'/'.join(str(levels[level]) for level in LEVELS)}")
            escalations = figures["escalations"]
            lines.append(
                f"  {_pad(both('report_escalations'))}{escalations['reminder']}/{escalations['overdue']}/{escalations['supervise']}"
            )
        lines.append("")
    service = data["self_service"]
    lines.append(
        f"{_pad(both('report_self_service_rate'))}{_value(service, 'self_service_rate')} ({service['self_served']}/{service['conversations']})"
    )
    if unknown:
        lines.append("!! " + staff_text("report_unknown", count=unknown))
    return "\n".join(lines)


def _parse_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"report: {name}: not an ISO date (YYYY-MM-DD): {value!r}") from None


def _write_csv(path: str, table: list[dict[str, str]]) -> None:
    """The 台账 as CSV for Excel: UTF-8 with a BOM, the Chinese headers, no cell that runs as a formula."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(ledger.headers())
        writer.writerows(ledger.csv_cells(row) for row in table)


def _write_bytes(path: str, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)


def _unwritable(path: str) -> str | None:
    """Why `path` can't be written (its folder is missing), or None."""
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        return f"report: cannot write {path}: folder {folder} does not exist"
    return None


async def _report(app, args) -> int:
    if args.json and (args.csv or args.ledger or args.xlsx):
        print("report: --json prints the figures; it can't be combined with --csv or --ledger/--xlsx", file=sys.stderr)
        return 2
    if args.csv and (args.ledger or args.xlsx):
        print("report: choose one of --csv FILE and --ledger --xlsx FILE", file=sys.stderr)
        return 2
    if args.ledger and not args.xlsx:
        print("report: --ledger needs --xlsx FILE", file=sys.stderr)
        return 2
    target = args.csv or args.xlsx
    if target and (problem := _unwritable(target)):
        print(problem, file=sys.stderr)
        return 1
    now = app.clock.now()
    end = _parse_day(args.to, "--to") or now.astimezone(app.settings.tz).date()
    start = _parse_day(args.from_, "--from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        print("report: --from is after --to", file=sys.stderr)
        return 2
    async with app.sessions() as session:
        if target:
            table = await ledger.rows(session, app.services, start, end, now)
        else:
            data = await report.build(session, app.services, start, end, now)
            unknown = await unknown_count(session)
    if target:
        try:
            if args.csv:
                await asyncio.to_thread(_write_csv, args.csv, table)
            else:
                content = await asyncio.to_thread(ledger.workbook, table, start, end)
                await asyncio.to_thread(_write_bytes, args.xlsx, content)
        except OSError as exc:
            print(f"report: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"wrote {len(table)} case(s) to {target}")
        return 0
    if args.json:
        print(json.dumps({**data, "outbox_unknown": unknown}, ensure_ascii=False, indent=2))
    else:
        print(as_text(data, unknown))
    return 0


def register(sub, command) -> None:
    """Add `report` to the main parser."""
    parser = sub.add_parser("report", help="service-quality figures for a period (overall, per department, per staff)")
    parser.add_argument("--from", dest="from_", metavar="DATE", help=f"first day (default: {DEFAULT_DAYS} days back)")
    parser.add_argument("--to", metavar="DATE", help="last day, inclusive (default: today)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (English keys)")
    parser.add_argument("--csv", metavar="FILE", help="write the 台账 (one row per case received in the period) as CSV for Excel")
    parser.add_argument("--ledger", action="store_true", help="write the 台账 as an Excel workbook (with --xlsx FILE)")
    parser.add_argument("--xlsx", metavar="FILE", help="where the 台账 workbook goes")
    parser.set_defaults(func=command(_report))
