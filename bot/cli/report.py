"""`python -m bot report [--from DATE] [--to DATE] [--json] [--csv FILE]`: service-quality figures for supervisors."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import unicodedata
from datetime import date, timedelta
from typing import Any

from bot.core.texts import both, staff_text
from bot.delivery.outbox import unknown_count
from bot.office import report

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
            escalations = figures["escalations"]
            lines.append(
                f"  {_pad(both('report_escalations'))}{escalations['reminder']}/{escalations['overdue']}/{escalations['supervise']}"
            )
        lines.append("")
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


def _write_csv(path: str, rows: list[dict]) -> None:
    fields = list(rows[0]) if rows else ["number"]
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


async def _report(app, args) -> int:
    now = app.clock.now()
    end = _parse_day(args.to, "--to") or now.astimezone(app.settings.tz).date()
    start = _parse_day(args.from_, "--from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        print("report: --from is after --to", file=sys.stderr)
        return 2
    async with app.sessions() as session:
        if args.csv:
            rows = await report.case_rows(session, app.services, start, end, now)
        else:
            data = await report.build(session, app.services, start, end, now)
            unknown = await unknown_count(session)
    if args.csv:
        await asyncio.to_thread(_write_csv, args.csv, rows)
        print(f"wrote {len(rows)} case(s) to {args.csv}")
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
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", metavar="FILE", help="write one row per case opened in the period instead")
    parser.set_defaults(func=command(_report))
