"""Deadlines and the escalation ladder: 提醒 to the assignee, 催办 to supervisors, 督办 to leaders."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.services import Services
from bot.core.texts import staff_text
from bot.core.workdays import due_at, next_opening
from bot.office.alerts import AlertBatch
from bot.storage.models import Case
from bot.storage.supervision_models import Callback

log = logging.getLogger(__name__)

OPEN_STATUSES = ("new", "assigned", "in_progress")
LADDER = ("reminder", "overdue", "supervise")
CALLBACK_WITHIN_DAYS = 3  # a rectification's citizen is called back within this many working days, or the ladder reminds
SWEEP_BATCH = 500


def deadline(services: Services, case_type: str, received: datetime) -> datetime:
    """Due time of a case received now: end of the N-th working day after the day of receipt."""
    settings = services.settings
    return due_at(received, settings.deadline_days(case_type), services.calendar, settings.tz, allow_guess=True)


def extend_deadline(services: Services, due: datetime, working_days: int) -> datetime:
    """The same deadline moved later by a number of working days."""
    if working_days <= 0:
        return due
    tz = services.settings.tz
    return due_at(due.astimezone(tz), working_days, services.calendar, tz, allow_guess=True)


def thresholds(services: Services, case: Case) -> dict[str, datetime]:
    """When each alert level of a case falls due."""
    settings, tz = services.settings, services.settings.tz
    opening, _closing = settings.office_window
    due_local = case.due_at.astimezone(tz)
    out = {
        "reminder": datetime.combine(due_local.date(), opening, tzinfo=tz),
        "overdue": case.due_at,
        "supervise": extend_deadline(services, case.due_at, settings.leader_escalation_days),
    }
    if case.type == "rectification":
        out["callback"] = due_at(case.created_at, CALLBACK_WITHIN_DAYS, services.calendar, tz, allow_guess=True)
    if case.type == "consultation" and case.assignee_id is None:
        out["unassigned"] = add_office_time(services, case.created_at, timedelta(minutes=settings.handoff_alert_minutes))
    return out


def add_office_time(services: Services, start: datetime, span: timedelta) -> datetime:
    """The moment `span` of office time after `start` (time outside office hours does not count)."""
    settings, tz = services.settings, services.settings.tz
    opening, closing = settings.office_window
    moment = next_opening(start, services.calendar, tz, opening, closing) or start
    while True:
        local = moment.astimezone(tz)
        close = datetime.combine(local.date(), closing, tzinfo=tz)
        if moment + span <= close:
            return moment + span
        span -= close - moment
        moment = next_opening(close, services.calendar, tz, opening, closing) or close


def schedule(services: Services, case: Case) -> None:
    """Set `next_alert_at` to the earliest level not yet raised, or None when nothing is pending."""
    if case.status not in OPEN_STATUSES:
        case.next_alert_at = None
        return
    raised = set(case.alerts_raised or [])
    pending = [when for level, when in thresholds(services, case).items() if level not in raised]
    case.next_alert_at = min(pending) if pending else None


def forget_future_levels(services: Services, case: Case, now: datetime) -> None:
    """After a deadline moved, levels whose new threshold is still ahead may be raised again."""
    due = thresholds(services, case)
    case.alerts_raised = [level for level in (case.alerts_raised or []) if level not in due or due[level] <= now]


async def _escalate(batch: AlertBatch, services: Services, case: Case, now: datetime) -> int:
    raised = list(case.alerts_raised or [])
    queued = 0
    for level, when in sorted(thresholds(services, case).items(), key=lambda item: item[1]):
        if when > now or level in raised:
            continue
        if level == "unassigned" and case.assignee_id is not None:
            continue
        if level == "callback":
            raised.append(level)  # checked once, when it falls due: a call-back recorded by then needs no reminder
            recorded = await batch.session.scalar(select(Callback.id).where(Callback.case_id == case.id).limit(1))
            if recorded is None:
                queued += await batch.add(level, now=now, tz=services.settings.tz, case=case, note=staff_text("alert_callback_note"))
            continue
        queued += await batch.add(level, now=now, tz=services.settings.tz, case=case)
        raised.append(level)
    case.alerts_raised = raised
    schedule(services, case)
    return queued


async def sweep(session: AsyncSession, services: Services, now: datetime) -> int:
    """Raise every alert that has fallen due; touches only cases whose next alert time has passed."""
    queued = 0
    seen: set[int] = set()
    batch = AlertBatch(session)
    while True:
        # ordered by the indexed alert time, so the cost follows the cases due, not the cases open
        due = (
            select(Case).where(Case.next_alert_at <= now).order_by(Case.next_alert_at).limit(SWEEP_BATCH).with_for_update(skip_locked=True)
        )
        cases = [case for case in await session.scalars(due) if case.id not in seen]
        if not cases:
            break
        with session.no_autoflush:
            for case in cases:
                seen.add(case.id)
                await _escalate(batch, services, case, now)
        queued += await batch.flush()
        await session.flush()
    if queued:
        log.info("sla sweep: %d alert(s) queued", queued)
    return queued
