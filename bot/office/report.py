"""Service-quality figures (监督考评) for a period: overall, per department and per staff member; and one row per case."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.core.workdays import WorkingHoursMeter, working_hours_between
from bot.office import knowledge_gaps
from bot.office.surveys import BAD, GOOD, LEVELS, level_name
from bot.storage.models import Case, ConversationMessage, Staff
from bot.storage.supervision_models import Callback
from bot.storage.survey_models import Survey
from knowledge.format import format_procedure

ESCALATION_LEVELS = ("reminder", "overdue", "supervise")
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting")
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
    levels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    escalations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ESCALATION_LEVELS, 0))

    def add(self, other: Tally) -> None:
        """Count another tally's cases in this one too."""
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(value, dict):
                for key, count in value.items():
                    mine[key] = mine.get(key, 0) + count
            elif isinstance(value, list):
                mine.extend(value)
            else:
                setattr(self, name, mine + value)

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
            "levels": dict(self.levels),
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


def deadline_outcome(case: Any, now: datetime) -> bool | None:
    """Whether a case (anything with resolved_at and due_at) met its deadline: True when resolved by its due time, False when late (resolved late or open past due), None while still within time."""
    if case.resolved_at is not None:
        return case.resolved_at <= case.due_at
    return False if case.due_at < now else None


class _Groups:
    # each case is counted once, in the cell of its department and assignee; overall, per-department and per-staff
    # figures are sums of cells, so a year of cases costs one tally update each instead of three
    def __init__(self, staff_names: dict[int, str]) -> None:
        self.cells: dict[tuple[str, str], Tally] = defaultdict(Tally)
        self.names = staff_names

    def of(self, case: Any) -> list[Tally]:
        who = self.names.get(case.assignee_id, UNASSIGNED) if case.assignee_id else UNASSIGNED
        return [self.cells[(case.department or NO_DEPARTMENT, who)]]

    def rollup(self) -> tuple[Tally, dict[str, Tally], dict[str, Tally]]:
        overall = Tally()
        departments: dict[str, Tally] = defaultdict(Tally)
        staff: dict[str, Tally] = defaultdict(Tally)
        for (department, who), cell in self.cells.items():
            for total in (overall, departments[department], staff[who]):
                total.add(cell)
        return overall, departments, staff


CASE_COLUMNS = (
    Case.id,
    Case.number,
    Case.type,
    Case.status,
    Case.channel,
    Case.department,
    Case.assignee_id,
    Case.created_at,
    Case.due_at,
    Case.first_response_at,
    Case.resolved_at,
    Case.closed_at,
    Case.alerts_raised,
)
OVERDUE_SHOWN = 50


def _day_keys(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


async def build(session: AsyncSession, services: Services, start: date, end: date, now: datetime) -> dict[str, Any]:
    """The figures for cases and surveys in [start, end] (local dates, inclusive), as of `now`; the dashboard draws exactly these."""
    settings, calendar = services.settings, services.calendar
    tz = settings.tz
    opening, closing = settings.office_window
    # the bounds in UTC, as the rows come: comparing datetimes of one tzinfo skips an offset lookup per comparison
    begin, finish = (bound.astimezone(UTC) for bound in period_bounds(start, end, tz))
    now = now.astimezone(UTC)
    last = finish - timedelta(microseconds=1)
    names = {s.id: s.name for s in await session.scalars(select(Staff))}
    groups = _Groups(names)
    days = _day_keys(start, end)
    daily: dict[str, dict[str, Any]] = {
        day: {"consultation": 0, "complaint": 0, "rectification": 0, "resolved": 0, "on_time": 0, "deadlines": 0} for day in days
    }
    channels: dict[str, int] = defaultdict(int)

    meter = WorkingHoursMeter(calendar, tz, opening, closing, allow_guess=True)
    hours = meter.between

    def day_of(moment: datetime) -> str:
        return meter.local_day(moment).isoformat()

    in_period = or_(Case.created_at.between(begin, last), Case.resolved_at.between(begin, last), Case.due_at.between(begin, last))
    # plain rows through the connection: the ORM's per-row bookkeeping doubles the time of a year's hundred thousand cases
    connection = await session.connection()
    # the escalation list comes as its JSON text and is decoded only for the few cases that have one
    columns = [column for column in CASE_COLUMNS if column is not Case.alerts_raised] + [
        cast(Case.alerts_raised, String).label("alerts_text")
    ]
    for case in (await connection.execute(select(*columns).where(in_period))).all():
        tallies = groups.of(case)
        opened = begin <= case.created_at < finish
        raised = json.loads(case.alerts_text) if opened and case.alerts_text and case.alerts_text != "[]" else []
        resolved_at = case.resolved_at
        resolved = resolved_at is not None and begin <= resolved_at < finish
        # a duplicate merged into another case is closed without a resolution: neither resolved nor overdue
        overdue_open = case.resolved_at is None and case.closed_at is None and begin <= case.due_at < finish and case.due_at < now
        first_response = hours(case.created_at, case.first_response_at) if opened and case.first_response_at is not None else None
        resolution = hours(case.created_at, resolved_at) if resolved and resolved_at is not None else None
        on_time = resolved and resolved_at is not None and resolved_at <= case.due_at
        for tally in tallies:
            if opened:
                tally.opened += 1
                if first_response is not None:
                    tally.first_response_hours.append(first_response)
                for level in raised:
                    if level in tally.escalations:
                        tally.escalations[level] += 1
            if resolution is not None:
                tally.resolved += 1
                tally.resolution_hours.append(resolution)
            if resolved or overdue_open:
                tally.deadlines += 1
                tally.on_time += 1 if on_time else 0
        if opened:
            daily[day_of(case.created_at)][case.type] = daily[day_of(case.created_at)].get(case.type, 0) + 1
            channels[case.channel or "other"] += 1
        if resolved and resolved_at is not None:
            daily[day_of(resolved_at)]["resolved"] += 1
        if resolved or overdue_open:
            decided = daily[day_of(resolved_at if resolved and resolved_at is not None else case.due_at)]
            decided["deadlines"] += 1
            decided["on_time"] += 1 if on_time else 0

    surveyed = (
        select(Survey.status, Survey.rating, Survey.appeal_status, Survey.rectification_case_id, Case.id, Case.department, Case.assignee_id)
        .join(Case, Case.id == Survey.case_id)
        .where(Survey.kind == "followup", Survey.sent_at >= begin, Survey.sent_at < finish)
    )
    bad_reviews: list[tuple[list[Tally], int, int | None]] = []
    for row in (await session.execute(surveyed)).all():
        tallies = groups.of(row)
        if row.appeal_status == "upheld":
            for tally in tallies:
                tally.appeals_upheld += 1
            continue  # an upheld appeal takes the rating out of every figure
        answered = row.status == "answered"
        for tally in tallies:
            tally.surveys_sent += 1
            if answered:
                tally.surveys_answered += 1
                if row.rating in LEVELS:
                    tally.rated += 1
                    tally.levels[row.rating] += 1
                    tally.satisfied += row.rating in GOOD
                    tally.bad_reviews += row.rating in BAD
        if answered and row.rating in BAD:
            bad_reviews.append((tallies, row.id, row.rectification_case_id))

    rect_ids = [rid for _, _, rid in bad_reviews if rid]
    rectifications = (
        {c.id: c for c in (await session.execute(select(Case.id, Case.resolved_at, Case.due_at).where(Case.id.in_(rect_ids)))).all()}
        if rect_ids
        else {}
    )
    # a 回访 is a staff member reaching the citizen, recorded on the rated case or on its rectification; the bot's own survey is not one
    reached: set[int] = set()
    watched = [cid for _, cid, _ in bad_reviews] + rect_ids
    for chunk in range(0, len(watched), 500):
        query = select(Callback.case_id).where(Callback.case_id.in_(watched[chunk : chunk + 500]), Callback.outcome == "reached")
        reached.update(await session.scalars(query))
    for tallies, case_id, rect_id in bad_reviews:
        rect = rectifications.get(rect_id) if rect_id is not None else None
        outcome = deadline_outcome(rect, now) if rect else None
        for tally in tallies:
            if outcome is not None:
                tally.rectifications_decided += 1
                tally.rectifications_on_time += outcome
            tally.called_back += case_id in reached or rect_id in reached

    callbacks_made = select(Callback.outcome, func.count()).where(Callback.created_at >= begin, Callback.created_at < finish)
    callback_counts = dict.fromkeys(("reached", "unreached"), 0)
    for outcome_name, count in (await session.execute(callbacks_made.group_by(Callback.outcome))).all():
        callback_counts[outcome_name] = count

    overall, departments, staff = groups.rollup()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": now.astimezone(tz).isoformat(),
        "overall": {**overall.figures(), "callbacks_recorded": callback_counts},
        "self_service": await _self_service(session, begin, finish),
        "departments": {name: tally.figures() for name, tally in sorted(departments.items())},
        "staff": {name: tally.figures() for name, tally in sorted(staff.items())},
        "daily": [{"day": day, **daily[day]} for day in days],
        "channels": dict(sorted(channels.items(), key=lambda item: (-item[1], item[0]))),
        "overdue": await _overdue(session, names, now, tz),
        **await _asked(session, services, start, end, begin, finish),
    }


TOP = 10


async def _asked(session: AsyncSession, services: Services, start: date, end: date, begin: datetime, finish: datetime) -> dict[str, Any]:
    """What citizens asked: the procedures the bot answered in full (from the conversation history) and, from the
    knowledge gaps kept for the office, the questions it could not answer confidently, most asked in the period first."""
    headers: dict[str, tuple[str, str]] = {}
    for procedure in services.knowledge.current.procedures:
        for lang in ("zh", "en"):
            headers[format_procedure(procedure, lang).split("\n", 1)[0]] = (procedure.id, procedure.text("zh").title)
    said = select(ConversationMessage.text).where(
        ConversationMessage.direction == "out",
        ConversationMessage.created_at >= begin,
        ConversationMessage.created_at < finish,
        or_(ConversationMessage.text.startswith("【"), ConversationMessage.text.startswith("[")),
    )
    procedures: dict[str, dict[str, Any]] = {}
    for said_text in await session.scalars(said):
        found = headers.get(said_text.split("\n", 1)[0])
        if found is not None:
            entry = procedures.setdefault(found[0], {"id": found[0], "title": found[1], "count": 0})
            entry["count"] += 1
    return {
        "top_procedures": sorted(procedures.values(), key=lambda e: (-e["count"], e["id"]))[:TOP],
        "top_unanswered": await knowledge_gaps.asked_most(session, start, end, TOP),
    }


async def _self_service(session: AsyncSession, begin: datetime, finish: datetime) -> dict[str, Any]:
    """Citizens who wrote in the period, and how many of them the bot served without handing them to staff (no ZX/TS case)."""
    wrote_query = (
        select(ConversationMessage.citizen_id)
        .where(ConversationMessage.direction == "in", ConversationMessage.created_at >= begin, ConversationMessage.created_at < finish)
        .distinct()
    )
    wrote = set(await session.scalars(wrote_query))
    handed_query = (
        select(Case.citizen_id)
        .where(
            Case.type.in_(("consultation", "complaint")), Case.created_at >= begin, Case.created_at < finish, Case.citizen_id.is_not(None)
        )
        .distinct()
    )
    handed = set(await session.scalars(handed_query))
    # two index-range reads joined here: PostgreSQL plans the IN (subquery) form as a slow hash over the whole history
    conversations, handed_off = len(wrote), len(wrote & handed)
    return {
        "conversations": conversations,
        "handed_off": handed_off,
        "self_served": conversations - handed_off,
        "self_service_rate": _rate(conversations - handed_off, conversations),
    }


async def _overdue(session: AsyncSession, names: dict[int, str], now: datetime, tz) -> dict[str, Any]:
    """Open cases past their deadline now, most overdue first, with the highest ladder level raised."""
    late = (Case.status.in_(OPEN_STATUSES), Case.due_at < now)
    total = await session.scalar(select(func.count()).select_from(Case).where(*late)) or 0
    query = select(*CASE_COLUMNS).where(*late).order_by(Case.due_at, Case.id).limit(OVERDUE_SHOWN)
    rows = []
    for case in (await session.execute(query)).all():
        raised = [level for level in case.alerts_raised or [] if level in ESCALATION_LEVELS]
        rows.append(
            {
                "number": case.number,
                "type": case.type,
                "department": case.department or "",
                "assignee": names.get(case.assignee_id, "") if case.assignee_id else "",
                "due_at": case.due_at.astimezone(tz).isoformat(),
                "ladder": max(raised, key=ESCALATION_LEVELS.index) if raised else "",
            }
        )
    return {"count": total, "cases": rows}


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
        outcome = deadline_outcome(case, now)
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
