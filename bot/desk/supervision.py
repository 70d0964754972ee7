"""The desk's supervision pages (supervisors and leaders): the dashboard, the printable 台账 and its xlsx, the monthly report files."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.texts import t
from bot.desk import queues
from bot.office import ledger, report
from bot.office.surveys import LEVELS, level_name
from bot.storage.supervision_models import ReportFile

PERIODS = ("this_week", "this_month", "last_month", "custom")
MAX_DAYS = 366


def period(name: str, today: date, start: str | None = None, end: str | None = None) -> tuple[str, date, date]:
    """(name, first day, last day) of a period picked on the dashboard; a custom period that doesn't parse falls back to this month."""
    if name == "this_week":
        return name, today - timedelta(days=today.weekday()), today
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return name, last.replace(day=1), last
    if name == "custom":
        try:
            first, final = date.fromisoformat(start or ""), date.fromisoformat(end or "")
        except ValueError:
            first = final = None  # type: ignore[assignment]
        if first is not None and final is not None and first <= final and (final - first).days < MAX_DAYS:
            return name, first, final
    return "this_month", today.replace(day=1), today


def chart_labels(lang: str) -> dict[str, Any]:
    """The words the dashboard's charts need, in the page's language (read by dashboard.js from the data island)."""
    keys = (
        "dash_chart_daily",
        "dash_chart_departments",
        "dash_chart_staff",
        "dash_chart_levels",
        "dash_chart_channels",
        "dash_chart_procedures",
        "dash_chart_unanswered",
        "dash_on_time_rate",
        "dash_opened",
        "dash_resolved",
        "dash_rated",
        "type_consultation",
        "type_complaint",
        "type_rectification",
        "dash_no_data",
    )
    labels: dict[str, Any] = {key: t(key, lang) for key in keys}
    labels["levels"] = {level: level_name(level, lang) for level in LEVELS}
    labels["level_order"] = list(LEVELS)
    labels["channels"] = {
        name: t(f"desk_channel_{name}", lang) for name in ("wechat", "telegram", "console", "phone", "walk_in", "hotline")
    }
    labels["channels"]["other"] = t("dash_channel_other", lang)
    return labels


class Supervision:
    """Pages for supervisors and leaders, on the desk's sessions, templates and clock."""

    def __init__(self, desk) -> None:
        self.desk = desk
        self.app = desk.app

    async def _supervisor(self, request: Request, session) -> tuple[Any, Any] | Response:
        found = await self.desk.who(request, session)
        if found is None:
            return self.desk.to_login()
        desk_session, staff = found
        if not queues.sees_everything(staff):
            return self.desk.render(
                request,
                "message.html",
                status=403,
                staff=staff,
                csrf=desk_session.csrf,
                message=t("desk_forbidden", self.desk.lang(request)),
            )
        return desk_session, staff

    def _period(self, request: Request) -> tuple[str, date, date]:
        today = self.desk.now().astimezone(self.app.settings.tz).date()
        params = request.query_params
        return period(params.get("period", "this_month"), today, params.get("from"), params.get("to"))

    async def dashboard(self, request: Request) -> Response:
        """GET /desk/dashboard: headline figures, charts and the overdue list for a period (the same figures as `report --json`)."""
        name, start, end = self._period(request)
        async with self.app.sessions() as session, session.begin():
            allowed = await self._supervisor(request, session)
            if isinstance(allowed, Response):
                return allowed
            desk_session, staff = allowed
            data = await report.build(session, self.app.services, start, end, self.desk.now())
            stored = select(ReportFile.id, ReportFile.period, ReportFile.filename).order_by(ReportFile.period.desc()).limit(12)
            files = list((await session.execute(stored)).all())
        lang = self.desk.lang(request)
        return self.desk.render(
            request,
            "dashboard.html",
            staff=staff,
            csrf=desk_session.csrf,
            data=data,
            island={"report": data, "labels": chart_labels(lang)},
            period=name,
            periods=PERIODS,
            start=start.isoformat(),
            end=end.isoformat(),
            files=files,
            levels=LEVELS,
            level_name=lambda level: level_name(level, lang),
            lang=lang,
        )

    async def ledger_page(self, request: Request) -> Response:
        """GET /desk/ledger: the 台账 for a period as a printable table, with the xlsx to download."""
        name, start, end = self._period(request)
        async with self.app.sessions() as session, session.begin():
            allowed = await self._supervisor(request, session)
            if isinstance(allowed, Response):
                return allowed
            desk_session, staff = allowed
            table = await ledger.rows(session, self.app.services, start, end, self.desk.now())
        return self.desk.render(
            request,
            "ledger.html",
            staff=staff,
            csrf=desk_session.csrf,
            headers=ledger.headers(),
            fields=ledger.FIELDS,
            table=table,
            period=name,
            start=start.isoformat(),
            end=end.isoformat(),
        )

    async def ledger_xlsx(self, request: Request) -> Response:
        """GET /desk/ledger.xlsx: the same 台账 as an Excel workbook."""
        _, start, end = self._period(request)
        async with self.app.sessions() as session, session.begin():
            allowed = await self._supervisor(request, session)
            if isinstance(allowed, Response):
                return allowed
            table = await ledger.rows(session, self.app.services, start, end, self.desk.now())
        content = await asyncio.to_thread(ledger.workbook, table, start, end)
        return _download(content, f"ledger-{start.isoformat()}-{end.isoformat()}.xlsx")

    async def report_file(self, request: Request) -> Response:
        """GET /desk/reports/<id>: a stored monthly report file."""
        async with self.app.sessions() as session, session.begin():
            allowed = await self._supervisor(request, session)
            if isinstance(allowed, Response):
                return allowed
            stored = await session.get(ReportFile, int(request.path_params["file_id"]))
        if stored is None:
            return Response(t("desk_not_found", self.desk.lang(request)), status_code=404)
        return _download(stored.content, stored.filename)

    def routes(self) -> list[Route]:
        """The supervision routes, relative to /desk."""
        return [
            Route("/dashboard", self.dashboard, methods=["GET"]),
            Route("/ledger", self.ledger_page, methods=["GET"]),
            Route("/ledger.xlsx", self.ledger_xlsx, methods=["GET"]),
            Route("/reports/{file_id:int}", self.report_file, methods=["GET"]),
        ]


MONTHLY_SHOWN_DAYS = 7


async def recent_monthly(session, now) -> Any:
    """The monthly report file produced in the last week (id, period, filename), for the inbox's notice; else None."""
    query = (
        select(ReportFile.id, ReportFile.period, ReportFile.filename)
        .where(ReportFile.kind == "monthly", ReportFile.created_at >= now - timedelta(days=MONTHLY_SHOWN_DAYS))
        .order_by(ReportFile.created_at.desc())
        .limit(1)
    )
    return (await session.execute(query)).first()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, filename: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=XLSX, headers={"content-disposition": disposition})
