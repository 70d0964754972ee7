"""The monthly report: on the first working day of a month, last month's figures and its 台账 (xlsx) to supervisors and leaders."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.office import ledger, report
from bot.office.alerts import staff_by_role
from bot.storage.supervision_models import ReportFile
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)
RECIPIENT_ROLES = ("supervisor", "leader")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def first_working_day(services: Services, day: date) -> bool:
    """True when `day` is the first working day of its month (holidays and make-up workdays honoured)."""
    calendar = services.calendar
    if not calendar.is_workday(day, allow_guess=True):
        return False
    return not any(calendar.is_workday(day.replace(day=n), allow_guess=True) for n in range(1, day.day))


def previous_month(day: date) -> tuple[date, date]:
    """The first and last day of the month before `day`'s."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def summary(data: dict, period: str) -> str:
    """The monthly figures as the text sent to supervisors and leaders."""
    o = data["overall"]
    return staff_text(
        "monthly_summary",
        period=period,
        opened=o["opened"],
        resolved=o["resolved"],
        on_time=_pct(o["on_time_rate"]),
        satisfaction=_pct(o["satisfaction_rate"]),
        bad=o["bad_reviews"],
        rectified=_pct(o["rectification_on_time_rate"]),
        callbacks=_pct(o["callback_rate"]),
    )


async def produce(session: AsyncSession, services: Services, start: date, end: date, now: datetime) -> ReportFile | None:
    """Store the month's figures and 台账 once (a second call for the same month finds it done and returns None)."""
    period = start.strftime("%Y-%m")
    if await session.scalar(select(ReportFile.id).where(ReportFile.period == period)) is not None:
        return None
    data = await report.build(session, services, start, end, now)
    table = await ledger.rows(session, services, start, end, now)
    content = await asyncio.to_thread(ledger.workbook, table, start, end)
    values = dict(
        kind="monthly",
        period=period,
        filename=staff_text("monthly_filename", period=period),
        summary=summary(data, period),
        content=content,
        created_at=now,
    )
    await insert_ignore(session, ReportFile, values, ["period"])
    return await session.scalar(select(ReportFile).where(ReportFile.period == period))


async def queue_monthly(session: AsyncSession, services: Services, now: datetime) -> int:
    """On the first working day of a month, after the digest time: produce last month's report and tell supervisors and leaders."""
    settings = services.settings
    local = now.astimezone(settings.tz)
    if local.time() < settings.digest_at or not first_working_day(services, local.date()):
        return 0
    start, end = previous_month(local.date())
    stored = await produce(session, services, start, end, now)
    if stored is None:
        return 0
    text = stored.summary + "\n" + staff_text("monthly_download", path=f"/desk/reports/{stored.id}", filename=stored.filename)
    queued = 0
    people = [member for role in RECIPIENT_ROLES for member in await staff_by_role(session, role)]
    if not people:
        log.warning("monthly report %s: no supervisor or leader registered; kept on the desk only", stored.period)
    for member in people:
        queued += await enqueue(
            session,
            Notice(
                kind=NoticeKind.DIGEST,
                channel="staff",
                recipient=f"staff:{member.id}",
                replies=(Reply(text),),
                dedup_key=f"monthly:{stored.period}:{member.id}",
                extra={"period": stored.period, "report_file": stored.id},
            ),
            due_at=now,
            now=now,
        )
    log.info("monthly report %s stored (%d bytes) and announced to %d people", stored.period, len(stored.content), len(people))
    return queued


async def tick(app) -> int:
    """Scheduler tick: produce and announce the monthly report when due, then send it."""
    return await app.queue_and_send(queue_monthly)
