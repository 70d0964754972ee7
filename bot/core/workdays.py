"""Chinese working-day calendar for statutory time limits (限时办结): chinesecalendar plus office overrides."""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy as np
import yaml

logger = logging.getLogger(__name__)

__all__ = [
    "UnknownYearError",
    "WorkCalendar",
    "WorkdaysFileError",
    "due_at",
    "next_opening",
    "working_hours_between",
]

_END_OF_DAY = time(23, 59, 59)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UnknownYearError(LookupError):
    """No holiday data (package or override file) for a year, so its working days cannot be known."""

    def __init__(self, year: int) -> None:
        """Record the year; args stay (year,) so the exception pickles."""
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        """Say which year is missing and where to add it."""
        return f"no holiday data for {self.year}: add the State Council notice to knowledge/workdays.yaml"


class WorkdaysFileError(ValueError):
    """The override file is unreadable or malformed; message is '<path>: <field>: <problem>'."""


class _YearTable(NamedTuple):
    first_ordinal: int
    flags: bytes  # flags[i] == 1 if day (first_ordinal + i) is a working day
    prefix: list[int]  # prefix[i] == number of working days among flags[:i]
    known: bool


class WorkCalendar:
    """Working days (Mon–Fri minus statutory holidays plus make-up workdays), strict about years without data."""

    def __init__(self, overrides: dict[int, tuple[set[date], set[date]]] | None = None) -> None:
        """Create a calendar; overrides maps year -> (extra days off, extra working days) and make that year known."""
        self._overrides: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        for year, (holidays, workdays) in (overrides or {}).items():
            for day in (*holidays, *workdays):
                if isinstance(day, datetime) or not isinstance(day, date) or day.year != year:
                    raise ValueError(f"override for {year} contains {day!r}, which is not a date in {year}")
            both = set(holidays) & set(workdays)
            if both:
                raise ValueError(f"override for {year} lists {min(both)} as both holiday and workday")
            self._overrides[year] = (frozenset(holidays), frozenset(workdays))
        self._tables: dict[int, _YearTable] = {}
        self.guessed_years: set[int] = set()

    @classmethod
    def from_file(cls, path: Path | None) -> WorkCalendar:
        """Build a calendar from a workdays.yaml override file; None or a missing file means no overrides."""
        if path is None:
            return cls()
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise WorkdaysFileError(f"{path}: file: cannot read ({exc.strerror or exc})") from exc
        return cls(_parse_overrides(raw, str(path)))

    def knows_year(self, year: int) -> bool:
        """True if chinesecalendar or the override file has holiday data for the year."""
        return year in self._overrides or _package_knows(year)

    def is_workday(self, day: date, *, allow_guess: bool = False) -> bool:
        """True if the day is a working day; unknown years raise UnknownYearError unless allow_guess."""
        table = self._table(day.year, allow_guess)
        return table.flags[day.toordinal() - table.first_ordinal] == 1

    def add_workdays(self, start: date, n: int, *, allow_guess: bool = False) -> date:
        """Return the n-th working day strictly after start (start itself when n == 0)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return start
        remaining = n
        year = start.year
        first_index = start.toordinal() - date(year, 1, 1).toordinal() + 1
        while True:
            days_in_year = date(year + 1, 1, 1).toordinal() - date(year, 1, 1).toordinal()
            # Only load years whose days are actually examined, so strict mode fails only on real need.
            if first_index < days_in_year:
                table = self._table(year, allow_guess)
                before = table.prefix[first_index]
                available = table.prefix[-1] - before
                if remaining <= available:
                    index = bisect.bisect_left(table.prefix, before + remaining) - 1
                    return date.fromordinal(table.first_ordinal + index)
                remaining -= available
            year += 1
            first_index = 0

    def workdays_between(self, start: date, end: date, *, allow_guess: bool = False) -> int:
        """Count working days d with start < d <= end (0 if end <= start)."""
        if end <= start:
            return 0
        count = 0
        for year in range(start.year, end.year + 1):
            year_start = date(year, 1, 1).toordinal()
            low = start.toordinal() - year_start + 1 if year == start.year else 0
            high = (end if year == end.year else date(year, 12, 31)).toordinal() - year_start + 1
            if low < high:
                table = self._table(year, allow_guess)
                count += table.prefix[high] - table.prefix[low]
        return count

    def next_workday(self, day: date, *, allow_guess: bool = False) -> date:
        """Return the first working day on or after day."""
        if self.is_workday(day, allow_guess=allow_guess):
            return day
        return self.add_workdays(day, 1, allow_guess=allow_guess)

    def _table(self, year: int, allow_guess: bool) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build(year)
        if not table.known:
            if not allow_guess:
                raise UnknownYearError(year)
            if year not in self.guessed_years:
                self.guessed_years.add(year)
                logger.error(
                    "no holiday data for %d: using Mon-Fri as working days; deadlines in %d may be wrong "
                    "until the State Council notice is added to knowledge/workdays.yaml",
                    year,
                    year,
                )
        return table

    def _build(self, year: int) -> _YearTable:
        from_package = _package_knows(year)
        holidays, workdays = self._overrides.get(year, (frozenset(), frozenset()))
        first = date(year, 1, 1).toordinal()
        length = date(year + 1, 1, 1).toordinal() - first
        flags = bytearray(length)
        prefix = [0] * (length + 1)
        for i in range(length):
            day = date.fromordinal(first + i)
            if day in holidays:
                working = False
            elif day in workdays:
                working = True
            elif from_package:
                working = chinese_calendar.is_workday(day)
            else:
                working = day.weekday() < 5
            flags[i] = working
            prefix[i + 1] = prefix[i] + working
        return _YearTable(first, bytes(flags), prefix, from_package or year in self._overrides)


_package_years: dict[int, bool] = {}


def _package_knows(year: int) -> bool:
    known = _package_years.get(year)
    if known is None:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            known = True
        except NotImplementedError:
            known = False
        _package_years[year] = known
    return known


class _OverrideLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings (so bad dates get a field path) and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice (a second year entry would silently win)."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_OverrideLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse_overrides(raw: bytes, where: str) -> dict[int, tuple[set[date], set[date]]]:
    def fail(field: str, problem: str) -> WorkdaysFileError:
        return WorkdaysFileError(f"{where}: {field}: {problem}")

    try:
        document = yaml.load(raw, Loader=_OverrideLoader)
    except yaml.YAMLError as exc:
        raise fail("yaml", _yaml_message(exc)) from exc
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise fail("(top level)", "expected a mapping with a 'years' key")
    for key in document:
        if key != "years":
            raise fail(str(key), "unknown key (expected 'years')")
    if "years" not in document:
        raise fail("years", "missing")
    years = document["years"]
    if years is None:
        return {}
    if not isinstance(years, Mapping):
        raise fail("years", "expected a mapping of year to holidays/workdays")

    overrides: dict[int, tuple[set[date], set[date]]] = {}
    for year_key, entry in years.items():
        field = f"years.{year_key}"
        year = _as_year(year_key)
        if year is None:
            raise fail(field, "not a year")
        if not isinstance(entry, Mapping):
            raise fail(field, "expected a mapping with 'holidays' and/or 'workdays'")
        for key in entry:
            if key not in ("holidays", "workdays"):
                raise fail(f"{field}.{key}", "unknown key (expected 'holidays' or 'workdays')")
        holidays = _date_list(entry.get("holidays"), year, f"{field}.holidays", fail)
        workdays = _date_list(entry.get("workdays"), year, f"{field}.workdays", fail)
        for index, day in enumerate(workdays):
            if day in holidays:
                raise fail(f"{field}.workdays[{index}]", f"{day} is also listed in holidays")
        # An entry makes its year "known"; without any day off it would silently mean plain Mon-Fri.
        if not holidays and not _package_knows(year):
            raise fail(
                f"{field}.holidays",
                f"empty, but chinesecalendar has no {year} data: list the days off from the State Council notice",
            )
        overrides[year] = (set(holidays), set(workdays))
    return overrides


def _as_year(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, str) and key.isascii() and key.isdigit():
        key = int(key)
    if isinstance(key, int) and 1 <= key <= 9998:
        return key
    return None


def _date_list(value: Any, year: int, field: str, fail: Callable[[str, str], WorkdaysFileError]) -> list[date]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(field, "expected a list of dates")
    days: list[date] = []
    for index, item in enumerate(value):
        day = _as_date(item)
        if day is None:
            raise fail(f"{field}[{index}]", "not a date")
        if day.year != year:
            raise fail(f"{field}[{index}]", f"{day} is not in {year}")
        days.append(day)
    return days


def _as_date(item: Any) -> date | None:
    if isinstance(item, datetime):
        return None
    if isinstance(item, date):
        return item
    if isinstance(item, str) and _ISO_DATE.fullmatch(item):
        try:
            return date.fromisoformat(item)
        except ValueError:
            return None
    return None


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"{exc.problem}{where}"
    return " ".join(str(exc).split())


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def _require_hours(opening: time, closing: time) -> None:
    if opening.tzinfo is not None or closing.tzinfo is not None:
        raise ValueError("opening and closing must be naive local times")
    if not opening < closing:
        raise ValueError(f"opening {opening} must be before closing {closing}")


def due_at(received: datetime, days: int, calendar: WorkCalendar, tz: ZoneInfo, *, allow_guess: bool = True) -> datetime:
    """Deadline: local 23:59:59 of the `days`-th working day after the local receipt date, aware in tz."""
    _require_aware("received", received)
    local_day = received.astimezone(tz).date()
    due_day = calendar.add_workdays(local_day, days, allow_guess=allow_guess)
    return datetime.combine(due_day, _END_OF_DAY, tzinfo=tz)


def working_hours_between(
    start: datetime,
    end: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    opening: time,
    closing: time,
    *,
    allow_guess: bool = True,
) -> float:
    """Hours of office time (opening-closing local, on working days) between two aware datetimes."""
    _require_aware("start", start)
    _require_aware("end", end)
    _require_hours(opening, closing)
    if end <= start:
        return 0.0
    # Work in POSIX timestamps: subtracting aware datetimes sharing a tzinfo ignores DST offsets.
    start_ts, end_ts = start.timestamp(), end.timestamp()
    seconds = 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if calendar.is_workday(day, allow_guess=allow_guess):
            open_ts = datetime.combine(day, opening, tzinfo=tz).timestamp()
            close_ts = datetime.combine(day, closing, tzinfo=tz).timestamp()
            seconds += max(0.0, min(close_ts, end_ts) - max(open_ts, start_ts))
        day += timedelta(days=1)
    return seconds / 3600


def next_opening(
    moment: datetime,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    opening: time,
    closing: time,
    *,
    allow_guess: bool = True,
) -> datetime | None:
    """None if the office is open at moment, else the next local opening time (aware in tz)."""
    _require_aware("moment", moment)
    _require_hours(opening, closing)
    local = moment.astimezone(tz)
    day, clock = local.date(), local.time()
    if calendar.is_workday(day, allow_guess=allow_guess):
        if opening <= clock < closing:
            return None
        if clock < opening:
            return datetime.combine(day, opening, tzinfo=tz)
    following = calendar.next_workday(day + timedelta(days=1), allow_guess=allow_guess)
    return datetime.combine(following, opening, tzinfo=tz)


class WorkingHoursMeter:
    """`working_hours_between` for many spans at once (reports over a year of cases): office seconds summed per day once, each span two lookups."""

    def __init__(self, calendar: WorkCalendar, tz: ZoneInfo, opening: time, closing: time, *, allow_guess: bool = True) -> None:
        _require_hours(opening, closing)
        self.calendar, self.tz, self.opening, self.closing, self.allow_guess = calendar, tz, opening, closing, allow_guess
        self._first: date | None = None
        self._midnights: list[float] = []  # local midnight of each covered day, as a timestamp
        self._opens: list[float] = []
        self._closes: list[float] = []  # equal to the opening on a day off
        self._before: list[float] = []  # office seconds of all covered days before this one

    def _cover(self, first: date, last: date) -> None:
        if self._first is not None:
            # grow by as much again as is covered (within years the calendar knows, so padding never warns of a
            # guessed year), so that moments arriving in any order rebuild the table only a few times
            covered_last = self._first + timedelta(days=len(self._midnights) - 2)
            grow = timedelta(days=max(31, len(self._midnights)))
            if first < self._first:
                padded = self._first - grow
                first = min(first, padded if self.calendar.knows_year(padded.year) else max(padded, date(first.year, 1, 1)))
            else:
                first = self._first
            if last > covered_last:
                padded = covered_last + grow
                last = max(last, padded if self.calendar.knows_year(padded.year) else min(padded, date(last.year, 12, 31)))
            else:
                last = covered_last
        self._first, self._midnights, self._opens, self._closes, self._before = first, [], [], [], []
        total, day = 0.0, first
        while day <= last:
            midnight = datetime.combine(day, time(0), tzinfo=self.tz).timestamp()
            opens = datetime.combine(day, self.opening, tzinfo=self.tz).timestamp()
            works = self.calendar.is_workday(day, allow_guess=self.allow_guess)
            closes = datetime.combine(day, self.closing, tzinfo=self.tz).timestamp() if works else opens
            self._midnights.append(midnight)
            self._opens.append(opens)
            self._closes.append(closes)
            self._before.append(total)
            total += closes - opens
            day += timedelta(days=1)
        # the next midnight closes the last covered day (its own day is not looked up)
        self._midnights.append(datetime.combine(day, time(0), tzinfo=self.tz).timestamp())
        self._opens.append(self._midnights[-1])
        self._closes.append(self._midnights[-1])
        self._before.append(total)

    def _ensure_covered(self, stamp: float, moment: datetime) -> None:
        if not self._midnights or not self._midnights[0] <= stamp < self._midnights[-1]:
            day = moment.astimezone(self.tz).date()
            self._cover(day, day)

    def between(self, start: datetime, end: datetime) -> float:
        """Hours of office time between two aware datetimes: the same figure as `working_hours_between`."""
        _require_aware("start", start)
        _require_aware("end", end)
        return float(self.hours_between_many(np.array([start.timestamp()]), np.array([end.timestamp()]))[0])

    def hours_between_many(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """`between` for many spans at once, their ends given as POSIX timestamps (float seconds); 0 where a span is empty."""
        if not len(starts):
            return np.zeros(0)
        # both ends covered before either is read: covering one may rebuild the running totals the other is read from
        for stamp in (float(min(starts.min(), ends.min())), float(max(starts.max(), ends.max()))):
            self._ensure_covered(stamp, datetime.fromtimestamp(stamp, UTC))
        midnights, opens, closes, before = (np.asarray(table) for table in (self._midnights, self._opens, self._closes, self._before))

        def office_seconds_until(stamps: np.ndarray) -> np.ndarray:
            index = np.searchsorted(midnights, stamps, side="right") - 1
            return before[index] + np.maximum(0.0, np.minimum(stamps, closes[index]) - opens[index])

        return np.where(ends > starts, (office_seconds_until(ends) - office_seconds_until(starts)) / 3600, 0.0)
