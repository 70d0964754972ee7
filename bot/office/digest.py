"""The daily digest for supervisors: yesterday's figures and today's backlog, queued once per date through the outbox."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Reply
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue, unknown_count
from bot.office import digest_chart, report
from bot.office.alerts import staff_by_role
from bot.storage.models import Case, KeyValue
from bot.storage.survey_models import Survey
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

OPEN = ("new", "assigned", "in_progress", "waiting")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


async def compose(session: AsyncSession, services: Services, day: date, now: datetime) -> str:
    """The digest text for the morning of `day`: the previous day's figures and the backlog now."""
    yesterday = day - timedelta(days=1)
    figures = (await report.build(session, services, yesterday, yesterday, now))["overall"]
    open_cases = await session.scalar(select(func.count()).select_from(Case).where(Case.status.in_(OPEN))) or 0
    overdue = await session.scalar(select(func.count()).select_from(Case).where(Case.status.in_(OPEN), Case.due_at < now)) or 0
    awaiting = await session.scalar(select(func.count()).select_from(Survey).where(Survey.status.in_(("sent", "reminded")))) or 0
    unknown = await unknown_count(session)
    escalations = figures["escalations"]
    lines = [
        staff_text("digest_title", day=day.isoformat()),
        staff_text(
            "digest_yesterday",
            day=yesterday.isoformat(),
            opened=figures["opened"],
            resolved=figures["resolved"],
            on_time=_pct(figures["on_time_rate"]),
        ),
        staff_text(
            "digest_surveys",
            sent=figures["surveys_sent"],
            response=_pct(figures["response_rate"]),
            satisfaction=_pct(figures["satisfaction_rate"]),
        ),
        staff_text(
            "digest_bad",
            bad=figures["bad_reviews"],
            rectified=_pct(figures["rectification_on_time_rate"]),
            callbacks=_pct(figures["callback_rate"]),
        ),
        staff_text("digest_escalations", **{k: escalations[k] for k in ("reminder", "overdue", "supervise")}),
        staff_text("digest_now", open=open_cases, overdue=overdue, awaiting=awaiting),
    ]
    if unknown:
        lines.append(staff_text("digest_unknown", count=unknown))
    return "\n".join(lines)


TREND_DAYS = 30


async def picture(session: AsyncSession, services: Services, day: date, now: datetime) -> str | None:
    """The digest's PNG (base64): yesterday's figures over the last 30 days; None when it can't be drawn (the text goes alone)."""
    yesterday = day - timedelta(days=1)
    try:
        figures = (await report.build(session, services, yesterday, yesterday, now))["overall"]
        trend = (await report.build(session, services, yesterday - timedelta(days=TREND_DAYS - 1), yesterday, now))["daily"]
        png = await asyncio.to_thread(digest_chart.render, day.isoformat(), figures, trend)
    except Exception:
        log.exception("daily digest %s: the picture could not be drawn; sending the text alone", day)
        return None
    return base64.b64encode(png).decode("ascii")


async def queue_digest(session: AsyncSession, services: Services, now: datetime) -> int:
    """Queue today's digest for every supervisor once the configured time has passed; a no-op once done for the date."""
    settings = services.settings
    local = now.astimezone(settings.tz)
    if local.time() < settings.digest_at:
        return 0
    mark = f"digest:{local.date().isoformat()}"
    if await session.get(KeyValue, mark) is not None:
        return 0
    text = await compose(session, services, local.date(), now)
    image = await picture(session, services, local.date(), now)
    queued = 0
    supervisors = await staff_by_role(session, "supervisor")
    if not supervisors:
        log.warning("daily digest %s: no supervisor registered; nothing sent", local.date())
    for member in supervisors:
        queued += await enqueue(
            session,
            Notice(
                kind=NoticeKind.DIGEST,
                channel="staff",
                recipient=f"staff:{member.id}",
                replies=(Reply(text),),
                dedup_key=f"{mark}:{member.id}",
                extra={"date": local.date().isoformat(), **({"image_png": image} if image else {})},
            ),
            due_at=now,
            now=now,
        )
    await insert_ignore(session, KeyValue, {"key": mark, "value": now.isoformat(), "expires_at": None}, ["key"])
    return queued


async def tick(app) -> int:
    """Scheduler tick: queue the digest when due, then send it."""
    return await app.queue_and_send(queue_digest)
