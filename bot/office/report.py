"""Service-quality figures (监督考评) for a period: overall, per department and per staff member; and one row per case."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.core.workdays import working_hours_between
from bot.office.surveys import BAD, GOOD, level_name
from bot.storage.models import Case, Staff
from bot.storage.survey_models import Survey

ESCALATION_LEVELS = ("reminder", "overdue", "supervise")
UNASSIGNED = staff_text("unassigned")
NO_DEPARTMENT = staff_text("no_department")


@dataclass
class Tally:
    """Counters and samples for one group (overall, a department or a staff member)."""

    opened: int = 0
    resolved: int = 0
    on_time: int = 0
    deadlines: int = 0
    first_response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)
    surveys_sent: int = 0
    surveys_answered: int = 0
    rated: int = 0
    satisfied: int = 0
    appeals_upheld: int = 0
    bad_reviews: int = 0
    rectifications_decided: int = 0
    rectifications_on_time: int = 0
    called_back: int = 0
    escalations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ESCALATION_LEVELS, 0))

    def figures(self) -> dict[str, Any]:
        """The tally as report figures: counts, rates (0–1, None when nothing to rate) and medians in working hours."""
        return {
            "opened": self.opened,
            "resolved": self.resolved,
            "on_time": self.on_time,
            "deadlines": self.deadlines,
            "on_time_rate": _rate(self.on_time, self.deadlines),
            "median_first_response_hours": _median(self.first_response_hours),
            "median_resolution_hours": _median(self.resolution_hours),
            "surveys_sent": self.surveys_sent,
            "surveys_answered": self.surveys_answered,
            "response_rate": _rate(self.surveys_answered, self.surveys_sent),
            "rated": self.rated,
            "satisfied": self.satisfied,
            "satisfaction_rate": _rate(self.satisfied, self.rated),
            "appeals_upheld": self.appeals_upheld,
            "bad_reviews": self.bad_reviews,
            "rectifications_decided": self.rectifications_decided,
            "rectifications_on_time": self.rectifications_on_time,
            "rectification_on_time_rate": _rate(self.rectifications_on_time, self.rectifications_decided),
            "called_back": self.called_back,
            "callback_rate": _rate(self.called_back, self.bad_reviews),
            "escalations": dict(self.escalations),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def period_bounds(start: date, end: date, tz) -> tuple[datetime, datetime]:
    """Local midnight of the first day and of the day after the last day."""
    return datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)


def _deadline_outcome(case: Case, now: datetime) -> bool | None:
    """True when resolved by its due time, False when late (resolved late or open past due), None while still within time."""
    if case.resolved_at is not None:
        return case.resolved_at <= case.due_at
    return False if case.due_at < now else None


class _Groups:
    def __init__(self, staff_names: dict[int, str]) -> None:
        self.overall = Tally()
        self.departments: dict[str, Tally] = defaultdict(Tally)
        self.staff: dict[str, Tally] = defaultdict(Tally)
        self.names = staff_names

    def of(self, case: Case) -> list[Tally]:
        who = self.names.get(case.assignee_id, UNASSIGNED) if case.assignee_id else UNASSIGNED
        return [self.overall, self.departments[case.department or NO_DEPARTMENT], self.staff[who]]


async def build(session: AsyncSession, services: Services, start: date, end: date, now: datetime) -> dict[str, Any]:
    """The figures for cases and surveys in [start, end] (local dates, inclusive), as of `now`."""
    settings, calendar = services.settings, services.calendar
    tz = settings.tz
    opening, closing = settings.office_window
    begin, finish = period_bounds(start, end, tz)
    names = {s.id: s.name for s in await session.scalars(select(Staff))}
    groups = _Groups(names)

    def hours(a: datetime, b: datetime) -> float:
        return working_hours_between(a, b, calendar, tz, opening, closing, allow_guess=True)

    in_period = or_(
        Case.created_at.between(begin, finish - timedelta(microseconds=1)),
        Case.resolved_at.between(begin, finish - timedelta(microseconds=1)),
        Case.due_at.between(begin, finish - timedelta(microseconds=1)),
    )
    for case in await session.scalars(select(Case).where(in_period)):
        tallies = groups.of(case)
        opened = begin <= case.created_at < finish
        resolved_at = case.resolved_at
        resolved = resolved_at is not None and begin <= resolved_at < finish
        # a duplicate merged into another case is closed without a resolution: neither resolved nor overdue
        overdue_open = case.resolved_at is None and case.closed_at is None and begin <= case.due_at < finish and case.due_at < now
        for tally in tallies:
            if opened:
                tally.opened += 1
                if case.first_response_at is not None:
                    tally.first_response_hours.append(hours(case.created_at, case.first_response_at))
                for level in case.alerts_raised or []:
                    if level in tally.escalations:
                        tally.escalations[level] += 1
            if resolved and resolved_at is not None:
                tally.resolved += 1
                tally.resolution_hours.append(hours(case.created_at, resolved_at))
            if resolved or overdue_open:
                tally.deadlines += 1
                tally.on_time += 1 if resolved_at is not None and resolved and resolved_at <= case.due_at else 0

    surveyed = (
        select(Survey, Case)
        .join(Case, Case.id == Survey.case_id)
        .where(Survey.kind == "followup", Survey.sent_at >= begin, Survey.sent_at < finish)
    )
    bad_rectifications: list[tuple[list[Tally], int | None]] = []
    for survey, case in (await session.execute(surveyed)).all():
        tallies = groups.of(case)
        if survey.appeal_status == "upheld":
            for tally in tallies:
                tally.appeals_upheld += 1
            continue  # an upheld appeal takes the rating out of every figure
        answered = survey.status == "answered"
        for tally in tallies:
            tally.surveys_sent += 1
            if answered:
                tally.surveys_answered += 1
                tally.rated += 1
                tally.satisfied += survey.rating in GOOD
                tally.bad_reviews += survey.rating in BAD
        if answered and survey.rating in BAD:
            bad_rectifications.append((tallies, survey.rectification_case_id))

    rect_ids = [rid for _, rid in bad_rectifications if rid]
    rectifications = {c.id: c for c in await session.scalars(select(Case).where(Case.id.in_(rect_ids)))} if rect_ids else {}
    callbacks = set()
    if rect_ids:
        sent_callbacks = select(Survey.case_id).where(Survey.case_id.in_(rect_ids), Survey.kind == "callback", Survey.sent_at.is_not(None))
        callbacks = set(await session.scalars(sent_callbacks))
    for tallies, rect_id in bad_rectifications:
        rect = rectifications.get(rect_id) if rect_id is not None else None
        outcome = _deadline_outcome(rect, now) if rect else None
        for tally in tallies:
            if outcome is not None:
                tally.rectifications_decided += 1
                tally.rectifications_on_time += outcome
            tally.called_back += rect_id in callbacks

    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": now.astimezone(tz).isoformat(),
        "overall": groups.overall.figures(),
        "departments": {name: tally.figures() for name, tally in sorted(groups.departments.items())},
        "staff": {name: tally.figures() for name, tally in sorted(groups.staff.items())},
    }


async def case_rows(session: AsyncSession, services: Services, start: date, end: date, now: datetime) -> list[dict[str, Any]]:
    """One row per case opened in the period, personal data masked: the export other help desks keep asking for."""
    settings, calendar = services.settings, services.calendar
    tz = settings.tz
    opening, closing = settings.office_window
    begin, finish = period_bounds(start, end, tz)
    names = {s.id: s.name for s in await session.scalars(select(Staff))}
    cases = list(
        await session.scalars(select(Case).where(Case.created_at >= begin, Case.created_at < finish).order_by(Case.created_at, Case.id))
    )
    ids = [c.id for c in cases]
    surveys: dict[int, Survey] = {}
    numbers: dict[int, str] = {}
    if ids:
        for survey in await session.scalars(select(Survey).where(Survey.case_id.in_(ids)).order_by(Survey.id)):
            surveys.setdefault(survey.case_id, survey)
        linked = {c.linked_case_id for c in cases if c.linked_case_id} | {
            s.rectification_case_id for s in surveys.values() if s.rectification_case_id
        }
        if linked:
            numbers = {row.id: row.number for row in await session.execute(select(Case.id, Case.number).where(Case.id.in_(linked)))}

    def iso(moment: datetime | None) -> str:
        return moment.astimezone(tz).isoformat() if moment else ""

    def hours(a: datetime, b: datetime | None) -> str:
        return f"{working_hours_between(a, b, calendar, tz, opening, closing, allow_guess=True):.2f}" if b else ""

    rows = []
    for case in cases:
        found = surveys.get(case.id)
        outcome = _deadline_outcome(case, now)
        rows.append(
            {
                "number": case.number,
                "type": case.type,
                "status": case.status,
                "department": case.department or "",
                "owner": names.get(case.owner_id, "") if case.owner_id else "",
                "assignee": names.get(case.assignee_id, "") if case.assignee_id else "",
                "created_at": iso(case.created_at),
                "first_response_at": iso(case.first_response_at),
                "due_at": iso(case.due_at),
                "resolved_at": iso(case.resolved_at),
                "closed_at": iso(case.closed_at),
                "on_time": "" if outcome is None else ("yes" if outcome else "no"),
                "first_response_working_hours": hours(case.created_at, case.first_response_at),
                "resolution_working_hours": hours(case.created_at, case.resolved_at),
                "escalations": " ".join(level for level in case.alerts_raised or [] if level in ESCALATION_LEVELS),
                "linked_case": numbers.get(case.linked_case_id, "") if case.linked_case_id else "",
                "survey_kind": found.kind if found else "",
                "survey_status": found.status if found else "",
                "rating": level_name(found.rating, "zh") if found and found.rating else "",
                "rating_excluded": "yes" if found and found.appeal_status == "upheld" else "",
                "comment": mask_text(found.comment) if found and found.comment else "",
                "rectification_case": numbers.get(found.rectification_case_id, "") if found and found.rectification_case_id else "",
            }
        )
    return rows
