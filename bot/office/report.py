"""Service-quality figures (监督考评) for a period: overall, per department and per staff member; and one row per case."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import compress
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.masking import mask_text
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.core.workdays import WorkingHoursMeter, working_hours_between
from bot.office import knowledge_gaps
from bot.office.surveys import BAD, GOOD, LEVELS, level_name
from bot.storage.models import Case, ConversationMessage, Staff
from bot.storage.moments import raw_moment
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

    def of(self, department: str | None, assignee_id: int | None) -> Tally:
        who = self.names.get(assignee_id, UNASSIGNED) if assignee_id else UNASSIGNED
        return self.cells[(department or NO_DEPARTMENT, who)]

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
    in_period = or_(Case.created_at.between(begin, last), Case.resolved_at.between(begin, last), Case.due_at.between(begin, last))
    day_starts = [period_bounds(start + timedelta(days=n), start + timedelta(days=n), tz)[0] for n in range(len(days))] + [finish]
    await _count_cases(await session.connection(), in_period, groups, meter, (begin, finish, now), day_starts, daily, channels)

    surveyed = (
        select(Survey.status, Survey.rating, Survey.appeal_status, Survey.rectification_case_id, Case.id, Case.department, Case.assignee_id)
        .join(Case, Case.id == Survey.case_id)
        .where(Survey.kind == "followup", Survey.sent_at >= begin, Survey.sent_at < finish)
    )
    bad_reviews: list[tuple[Tally, int, int | None]] = []
    for row in (await session.execute(surveyed)).all():
        tally = groups.of(row.department, row.assignee_id)
        if row.appeal_status == "upheld":
            tally.appeals_upheld += 1
            continue  # an upheld appeal takes the rating out of every figure
        tally.surveys_sent += 1
        if row.status != "answered":
            continue
        tally.surveys_answered += 1
        if row.rating in LEVELS:
            tally.rated += 1
            tally.levels[row.rating] += 1
            tally.satisfied += row.rating in GOOD
            tally.bad_reviews += row.rating in BAD
        if row.rating in BAD:
            bad_reviews.append((tally, row.id, row.rectification_case_id))

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
    for tally, case_id, rect_id in bad_reviews:
        rect = rectifications.get(rect_id) if rect_id is not None else None
        outcome = deadline_outcome(rect, now) if rect else None
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch, as numpy reads the stored moments."""
    return (moment - EPOCH) // timedelta(microseconds=1)


async def _count_cases(
    connection: AsyncConnection,
    in_period: ColumnElement[bool],
    groups: _Groups,
    meter: WorkingHoursMeter,
    moments: tuple[datetime, datetime, datetime],
    day_starts: list[datetime],
    daily: dict[str, dict[str, Any]],
    channels: dict[str, int],
) -> None:
    """Count the period's cases into their cells and days: one read of plain numbers, then whole-column arithmetic (numpy).

    A year's hundred thousand cases as Python objects, compared and measured one at a time, took seconds; as columns of
    microsecond integers the same decisions are a few array operations, with the very figures of the case-by-case rules:
    opened in the period; resolved in it (its working hours from opening); decided in it = resolved in it, or still open
    past a deadline that fell in it (a merged duplicate, closed unresolved, is neither); on time = resolved by the deadline.
    """
    query = select(
        Case.department,
        Case.assignee_id,
        Case.type,
        Case.channel,
        *(raw_moment(moment) for moment in (Case.created_at, Case.due_at, Case.first_response_at, Case.resolved_at)),
        Case.closed_at.is_(None),
        # each ladder level raised, as a flag read from the list's JSON text: the list itself need not be decoded
        *(cast(Case.alerts_raised, String).contains(f'"{level}"') for level in ESCALATION_LEVELS),
    ).where(in_period)
    rows = (await connection.execute(query)).all()
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    types, channel_names, unclosed, raised = columns[2], columns[3], columns[8], columns[9:]
    # microseconds since the epoch; a missing moment (NaT) becomes the smallest integer, before any period
    created, due, responded_at, resolved_at = (np.array(column, dtype="datetime64[us]").astype(np.int64) for column in columns[4:8])
    # a cell per department-and-assignee pair as stored; pairs that name the same tally (an unknown id is 未分配) share it
    pairs: dict[tuple[str | None, int | None], int] = {}
    cell = np.array([pairs.setdefault(pair, len(pairs)) for pair in zip(columns[0], columns[1], strict=True)], dtype=np.int64)
    tallies = [groups.of(department, assignee) for department, assignee in pairs]
    begin, finish, now = (micros(moment) for moment in moments)
    opened = (created >= begin) & (created < finish)
    resolved = (resolved_at >= begin) & (resolved_at < finish)
    overdue_open = (resolved_at < 0) & np.array(unclosed, dtype=bool) & (due >= begin) & (due < finish) & (due < now)
    decided = resolved | overdue_open
    on_time = resolved & (resolved_at <= due)
    responded = opened & (responded_at >= 0)
    seconds = 1e6
    first_hours = meter.hours_between_many(created[responded] / seconds, responded_at[responded] / seconds)
    resolution_hours = meter.hours_between_many(created[resolved] / seconds, resolved_at[resolved] / seconds)

    size = len(tallies)
    counts = {
        name: np.bincount(cell[mask], minlength=size)
        for name, mask in (("opened", opened), ("resolved", resolved), ("deadlines", decided), ("on_time", on_time))
    }
    for index, tally in enumerate(tallies):
        tally.opened += int(counts["opened"][index])
        tally.resolved += int(counts["resolved"][index])
        tally.deadlines += int(counts["deadlines"][index])
        tally.on_time += int(counts["on_time"][index])
    for hours, mask, field_name in ((first_hours, responded, "first_response_hours"), (resolution_hours, resolved, "resolution_hours")):
        owners = cell[mask]
        order = np.argsort(owners, kind="stable")
        bounds = np.searchsorted(owners[order], np.arange(size + 1))
        for index, tally in enumerate(tallies):
            getattr(tally, field_name).extend(hours[order[bounds[index] : bounds[index + 1]]].tolist())
    for level, flags in zip(ESCALATION_LEVELS, raised, strict=True):
        for index, count in enumerate(np.bincount(cell[opened & np.array(flags, dtype=bool)], minlength=size).tolist()):
            tallies[index].escalations[level] += count

    edges = np.array([micros(moment) for moment in day_starts], dtype=np.int64)
    keys = list(daily)

    def per_day(moments: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(edges, moments, side="right") - 1, minlength=len(keys))

    kinds = np.array(types, dtype=object)
    for kind in sorted(set(types)):
        for key, count in zip(keys, per_day(created[opened & (kinds == kind)]).tolist(), strict=True):
            if count or kind in daily[key]:
                daily[key][kind] = daily[key].get(kind, 0) + count
    decided_at = np.where(resolved, resolved_at, due)
    for field_name, moments_of in (
        ("resolved", resolved_at[resolved]),
        ("deadlines", decided_at[decided]),
        ("on_time", decided_at[on_time]),
    ):
        for key, count in zip(keys, per_day(moments_of).tolist(), strict=True):
            daily[key][field_name] += count
    for name in compress(channel_names, opened.tolist()):
        channels[name or "other"] += 1


TOP = 10


async def _asked(session: AsyncSession, services: Services, start: date, end: date, begin: datetime, finish: datetime) -> dict[str, Any]:
    """What citizens asked: the procedures the bot answered in full (from the conversation history) and, from the
    knowledge gaps kept for the office, the questions it could not answer confidently, most asked in the period first."""
    headers: dict[str, tuple[str, str]] = {}
    for procedure in services.knowledge.current.procedures:
        for lang in ("zh", "en"):
            headers[format_procedure(procedure, lang).split("\n", 1)[0]] = (procedure.id, procedure.text("zh").title)
    # each answer counted by its first line only, grouped in the database: a year's answers are tens of thousands of
    # whole procedure guides, and only their header line names the procedure
    opening = func.substr(ConversationMessage.text, 1, max(map(len, headers), default=0) + 1)
    said = (
        select(opening, func.count())
        .where(
            ConversationMessage.direction == "out",
            ConversationMessage.created_at >= begin,
            ConversationMessage.created_at < finish,
            or_(ConversationMessage.text.startswith("【"), ConversationMessage.text.startswith("[")),
        )
        .group_by(opening)
    )
    procedures: dict[str, dict[str, Any]] = {}
    for said_opening, count in (await session.execute(said)).all():
        found = headers.get(said_opening.split("\n", 1)[0])
        if found is not None:
            entry = procedures.setdefault(found[0], {"id": found[0], "title": found[1], "count": 0})
            entry["count"] += count
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
