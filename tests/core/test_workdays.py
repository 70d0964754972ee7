"""Tests for bot.core.workdays: the Chinese working-day calendar used for statutory deadlines."""

from __future__ import annotations

import functools
import logging
import pickle
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot.core.workdays import (
    UnknownYearError,
    WorkCalendar,
    WorkdaysFileError,
    due_at,
    next_opening,
    working_hours_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN, CLOSE = time(9, 0), time(17, 0)
UNKNOWN_YEAR = 2027
SHIPPED_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "workdays.yaml"
UNKNOWN_MESSAGE = "no holiday data for 2027: add the State Council notice to knowledge/workdays.yaml"


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workdays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@functools.cache
def package_workday(day: date) -> bool:
    return chinese_calendar.is_workday(day)


def reference_add(start: date, n: int) -> date:
    """Naive day-by-day oracle straight from chinesecalendar."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= package_workday(day)
    return day


# --- data assumptions -------------------------------------------------------


def test_chinesecalendar_does_not_know_2027() -> None:
    # If this fails, chinesecalendar has shipped 2027 data: move the unknown-year tests to the next year.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(UNKNOWN_YEAR, 6, 1))
    assert not WorkCalendar().knows_year(UNKNOWN_YEAR)
    assert WorkCalendar().knows_year(2026)
    assert WorkCalendar().knows_year(2004)
    assert not WorkCalendar().knows_year(2003)


# 2026 State Council notice; every row checked against chinesecalendar 1.11.0.
DAYS_2026 = [
    # New Year: Jan 1-3 off, Sun Jan 4 make-up workday
    (date(2026, 1, 1), False),
    (date(2026, 1, 2), False),
    (date(2026, 1, 3), False),
    (date(2026, 1, 4), True),
    (date(2026, 1, 5), True),
    # Spring Festival: Feb 15-23 off, Sat Feb 14 and Sat Feb 28 make-up workdays
    (date(2026, 2, 13), True),
    (date(2026, 2, 14), True),
    (date(2026, 2, 15), False),
    (date(2026, 2, 16), False),
    (date(2026, 2, 20), False),
    (date(2026, 2, 23), False),
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),
    (date(2026, 3, 1), False),
    # Qingming: Apr 4-6
    (date(2026, 4, 3), True),
    (date(2026, 4, 6), False),
    (date(2026, 4, 7), True),
    # Labour Day: May 1-5 off, Sat May 9 make-up workday
    (date(2026, 5, 1), False),
    (date(2026, 5, 4), False),
    (date(2026, 5, 5), False),
    (date(2026, 5, 6), True),
    (date(2026, 5, 9), True),
    (date(2026, 5, 10), False),
    # Dragon Boat: Jun 19-21
    (date(2026, 6, 18), True),
    (date(2026, 6, 19), False),
    (date(2026, 6, 22), True),
    # Mid-Autumn: Sep 25-27; National Day: Oct 1-7 off, Sun Sep 20 and Sat Oct 10 make-up workdays
    (date(2026, 9, 19), False),
    (date(2026, 9, 20), True),
    (date(2026, 9, 25), False),
    (date(2026, 9, 28), True),
    (date(2026, 10, 1), False),
    (date(2026, 10, 5), False),
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),
    (date(2026, 10, 10), True),
    (date(2026, 10, 11), False),
    # ordinary weeks
    (date(2026, 3, 2), True),
    (date(2026, 3, 7), False),
    (date(2026, 3, 8), False),
]


@pytest.mark.parametrize(("day", "expected"), DAYS_2026, ids=[d.isoformat() for d, _ in DAYS_2026])
def test_is_workday_2026(cal: WorkCalendar, day: date, expected: bool) -> None:
    assert cal.is_workday(day) is expected


def test_is_workday_matches_package_for_every_known_day(cal: WorkCalendar) -> None:
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert cal.is_workday(day) == package_workday(day), day
        day += timedelta(days=1)


# --- add_workdays -----------------------------------------------------------

ADD_CASES = [
    # complaint received Fri before Spring Festival: Sat 2/14 counts, 2/15-2/23 off, Sat 2/28 counts
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    (date(2026, 2, 13), 10, date(2026, 3, 5)),
    (date(2026, 2, 13), 15, date(2026, 3, 12)),
    # Labour Day
    (date(2026, 4, 30), 1, date(2026, 5, 6)),
    (date(2026, 4, 30), 4, date(2026, 5, 9)),
    # National Day: make-up Sun 9/20 and Sat 10/10 count
    (date(2026, 9, 19), 1, date(2026, 9, 20)),
    (date(2026, 9, 29), 1, date(2026, 9, 30)),
    (date(2026, 9, 29), 3, date(2026, 10, 9)),
    (date(2026, 9, 29), 4, date(2026, 10, 10)),
    (date(2026, 9, 29), 5, date(2026, 10, 12)),
    # New Year, across the year boundary: Jan 1-3 off, make-up Sun 1/4 counts
    (date(2025, 12, 31), 1, date(2026, 1, 4)),
    (date(2025, 12, 31), 2, date(2026, 1, 5)),
    # weekend receipt
    (date(2026, 3, 7), 1, date(2026, 3, 9)),
    (date(2026, 3, 8), 10, date(2026, 3, 20)),
    # n = 15 across Dragon Boat (Fri 6/19 off)
    (date(2026, 6, 1), 15, date(2026, 6, 23)),
    # ordinary weeks
    (date(2026, 3, 2), 1, date(2026, 3, 3)),
    (date(2026, 3, 6), 1, date(2026, 3, 9)),
    (date(2026, 3, 2), 10, date(2026, 3, 16)),
    # n == 0 is the start itself, even on a day off
    (date(2026, 2, 16), 0, date(2026, 2, 16)),
]


@pytest.mark.parametrize(("start", "n", "expected"), ADD_CASES, ids=[f"{s}+{n}" for s, n, _ in ADD_CASES])
def test_add_workdays(cal: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_workdays(start, n) == expected
    assert reference_add(start, n) == expected  # the table agrees with chinesecalendar itself


def test_add_workdays_rejects_negative(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(date(2026, 3, 2), -1)


def test_add_workdays_zero_needs_no_data(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(UNKNOWN_YEAR, 5, 5), 0) == date(UNKNOWN_YEAR, 5, 5)
    assert cal.guessed_years == set()


def test_add_workdays_matches_oracle_over_many_years(cal: WorkCalendar) -> None:
    start = date(2004, 1, 1)
    while start < date(2025, 6, 1):
        for n in (1, 2, 7, 20, 60, 250) + ((600,) if start.year < 2024 else ()):
            assert cal.add_workdays(start, n) == reference_add(start, n), (start, n)
        start += timedelta(days=37)


def test_next_workday(cal: WorkCalendar) -> None:
    assert cal.next_workday(date(2026, 3, 2)) == date(2026, 3, 2)
    assert cal.next_workday(date(2026, 3, 7)) == date(2026, 3, 9)
    assert cal.next_workday(date(2026, 2, 15)) == date(2026, 2, 24)
    assert cal.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 1, 3)) == date(2026, 1, 4)


# --- workdays_between -------------------------------------------------------


def test_workdays_between_examples(cal: WorkCalendar) -> None:
    assert cal.workdays_between(date(2026, 2, 13), date(2026, 3, 5)) == 10
    assert cal.workdays_between(date(2026, 4, 30), date(2026, 5, 6)) == 1
    assert cal.workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert cal.workdays_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    assert cal.workdays_between(date(2026, 2, 14), date(2026, 2, 23)) == 0
    assert cal.workdays_between(date(2025, 1, 1), date(2025, 12, 31)) == sum(
        chinese_calendar.is_workday(date(2025, 1, 1) + timedelta(days=i)) for i in range(1, 365)
    )


def test_workdays_between_inverts_add_workdays_for_every_day_of_2026(cal: WorkCalendar) -> None:
    start = date(2025, 12, 1)
    while start.year <= 2026 and start < date(2026, 12, 1):
        for n in (1, 2, 3, 5, 10, 15):
            due = cal.add_workdays(start, n)
            assert cal.workdays_between(start, due) == n, (start, n)
            assert cal.workdays_between(start, due - timedelta(days=1)) == n - 1, (start, n)
            assert cal.is_workday(due), (start, n)
        start += timedelta(days=1)


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    given = None

if given is not None:
    SHARED = WorkCalendar()  # hypothesis forbids function-scoped fixtures; the calendar is read-only here

    @settings(max_examples=400, deadline=None)
    @given(
        start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30)),
        n=st.integers(min_value=0, max_value=100),
        extra=st.integers(min_value=0, max_value=40),
    )
    def test_property_between_and_add_agree(start: date, n: int, extra: int) -> None:
        cal = SHARED
        due = cal.add_workdays(start, n)
        assert cal.workdays_between(start, due) == n
        later = due + timedelta(days=extra)
        assert cal.workdays_between(start, later) == n + cal.workdays_between(due, later)
        if n:
            assert cal.is_workday(due)
            assert cal.workdays_between(start, due - timedelta(days=1)) == n - 1


# --- unknown years ----------------------------------------------------------


def test_unknown_year_strict_raises_helpful_error(cal: WorkCalendar) -> None:
    with pytest.raises(UnknownYearError) as info:
        cal.is_workday(date(UNKNOWN_YEAR, 3, 1))
    assert info.value.year == UNKNOWN_YEAR
    assert str(info.value) == UNKNOWN_MESSAGE
    assert isinstance(info.value, LookupError)
    assert cal.guessed_years == set()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add_workdays(date(2026, 12, 31), 1),
        lambda c: c.add_workdays(date(2026, 12, 1), 40),
        lambda c: c.workdays_between(date(2026, 12, 1), date(UNKNOWN_YEAR, 1, 10)),
        lambda c: c.next_workday(date(UNKNOWN_YEAR, 1, 1)),
    ],
    ids=["add-crosses-new-year", "add-long", "between", "next"],
)
def test_unknown_year_strict_raises_for_every_method(cal: WorkCalendar, call) -> None:
    with pytest.raises(UnknownYearError, match=r"^no holiday data for 2027: "):
        call(cal)


def test_strict_add_workdays_ending_in_known_year_does_not_touch_next_year(cal: WorkCalendar) -> None:
    # Dec 31 2026 is a Thursday working day; reaching it must not need 2027 data.
    assert cal.add_workdays(date(2026, 12, 30), 1) == date(2026, 12, 31)
    assert cal.workdays_between(date(2026, 12, 1), date(2026, 12, 31)) == 22


def test_unknown_year_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(UnknownYearError(UNKNOWN_YEAR)))
    assert error.year == UNKNOWN_YEAR
    assert str(error) == UNKNOWN_MESSAGE


def test_unknown_year_guess_is_mon_fri_recorded_and_logged_once(cal: WorkCalendar, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot.core.workdays")
    # Mon 2027-03-01 .. Sun 2027-03-07
    week = [cal.is_workday(date(UNKNOWN_YEAR, 3, d), allow_guess=True) for d in range(1, 8)]
    assert week == [True, True, True, True, True, False, False]
    # 2027-01-01 is a Friday: the guess cannot know it is New Year's Day, which is why it is flagged
    assert cal.add_workdays(date(2026, 12, 31), 1, allow_guess=True) == date(UNKNOWN_YEAR, 1, 1)
    assert cal.workdays_between(date(2026, 12, 31), date(UNKNOWN_YEAR, 1, 8), allow_guess=True) == 6
    assert cal.guessed_years == {UNKNOWN_YEAR}
    assert not cal.knows_year(UNKNOWN_YEAR)
    records = [r for r in caplog.records if r.name == "bot.core.workdays"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "2027" in records[0].getMessage()
    # a guess never leaks into strict mode
    with pytest.raises(UnknownYearError):
        cal.is_workday(date(UNKNOWN_YEAR, 3, 1))


def test_guess_logs_once_per_year(cal: WorkCalendar, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot.core.workdays")
    cal.add_workdays(date(2026, 12, 31), 400, allow_guess=True)  # reaches into 2028
    cal.add_workdays(date(2026, 12, 31), 400, allow_guess=True)
    assert cal.guessed_years == {2027, 2028}
    assert sorted(r.getMessage()[:24] for r in caplog.records) == [
        "no holiday data for 2027",
        "no holiday data for 2028",
    ]


# --- override file ----------------------------------------------------------


def test_shipped_file_loads_and_adds_nothing() -> None:
    cal = WorkCalendar.from_file(SHIPPED_FILE)
    assert not cal.knows_year(UNKNOWN_YEAR)
    for day, expected in DAYS_2026:
        assert cal.is_workday(day) is expected


@pytest.mark.parametrize("path", [None, Path("/nonexistent/workdays.yaml")])
def test_no_file_means_no_overrides(path: Path | None) -> None:
    cal = WorkCalendar.from_file(path)
    assert cal.is_workday(date(2026, 1, 4))
    assert not cal.knows_year(UNKNOWN_YEAR)


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "years:\n", "years: {}\n"])
def test_empty_file_means_no_overrides(tmp_path: Path, text: str) -> None:
    cal = WorkCalendar.from_file(write(tmp_path, text))
    assert not cal.knows_year(UNKNOWN_YEAR)


def test_override_makes_2027_known(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(
        tmp_path,
        "years:\n"
        "  2027:\n"
        "    holidays: [2027-01-01, 2027-02-05]   # Fridays\n"
        "    workdays: ['2027-02-07']             # a Sunday, quoted dates are fine too\n",
    )
    cal = WorkCalendar.from_file(path)
    assert cal.knows_year(UNKNOWN_YEAR)
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2027, 2, 5))
    assert cal.is_workday(date(2027, 2, 7))
    assert cal.is_workday(date(2027, 2, 4))  # unlisted Thursday follows Mon-Fri
    assert not cal.is_workday(date(2027, 2, 6))  # unlisted Saturday follows Mon-Fri
    # Thu 2026-12-31 + 1: Fri 1/1 off, weekend, so Mon 1/4
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 7)
    assert cal.guessed_years == set()
    assert not caplog.records
    with pytest.raises(UnknownYearError, match="2028"):
        cal.is_workday(date(2028, 1, 3))


def test_override_wins_over_package_for_2026(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "years:\n"
        "  2026:\n"
        "    holidays: [2026-03-02, 2026-02-14]   # local closure; make-up Saturday cancelled\n"
        "    workdays: [2026-02-16]                # office opens on a package holiday\n",
    )
    cal = WorkCalendar.from_file(path)
    assert not cal.is_workday(date(2026, 3, 2))
    assert not cal.is_workday(date(2026, 2, 14))
    assert cal.is_workday(date(2026, 2, 16))
    # unlisted 2026 days still follow chinesecalendar, not plain Mon-Fri
    assert cal.is_workday(date(2026, 2, 28))
    assert not cal.is_workday(date(2026, 2, 17))
    assert cal.is_workday(date(2026, 1, 4))
    assert not cal.is_workday(date(2026, 1, 1))
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 16)
    assert cal.add_workdays(date(2026, 2, 27), 1) == date(2026, 2, 28)
    assert cal.add_workdays(date(2026, 2, 28), 1) == date(2026, 3, 3)


def test_constructor_overrides() -> None:
    cal = WorkCalendar({2027: ({date(2027, 1, 1)}, {date(2027, 2, 7)})})
    assert cal.knows_year(2027)
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 7))
    with pytest.raises(ValueError, match="not a date in 2027"):
        WorkCalendar({2027: ({date(2028, 1, 3)}, set())})
    with pytest.raises(ValueError, match="both"):
        WorkCalendar({2027: ({date(2027, 2, 7)}, {date(2027, 2, 7)})})


BAD_FILES = [
    (
        "years:\n  2027:\n    holidays: [2027-01-01, 2027-02-05, 2027-02-30]\n",
        "years.2027.holidays[2]: not a date",
    ),
    (
        "years:\n  2027:\n    holidays: [2027-01-01, hello]\n",
        "years.2027.holidays[1]: not a date",
    ),
    (
        "years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: [2027-02-07 09:00:00]\n",
        "years.2027.workdays[0]: not a date",
    ),
    (
        "years:\n  2027:\n    holidays: [2027-01-01, 20270205]\n",
        "years.2027.holidays[1]: not a date",
    ),
    (
        "years:\n  2027:\n    holidays: [2027-01-01, 2028-01-03]\n",
        "years.2027.holidays[1]: 2028-01-03 is not in 2027",
    ),
    (
        "years:\n  2027:\n    holidays: [2027-01-01, 2027-02-07]\n    workdays: [2027-02-07]\n",
        "years.2027.workdays[0]: 2027-02-07 is also listed in holidays",
    ),
    (
        "years:\n  2027:\n    workdays: [2027-02-07]\n",
        "years.2027.holidays: empty, but chinesecalendar has no 2027 data: list the days off from the State Council notice",
    ),
    (
        "years:\n  2027:\n",
        "years.2027: expected a mapping with 'holidays' and/or 'workdays'",
    ),
    (
        "years:\n  2027:\n    holiday: [2027-01-01]\n",
        "years.2027.holiday: unknown key (expected 'holidays' or 'workdays')",
    ),
    (
        "years:\n  2027:\n    holidays: 2027-01-01\n",
        "years.2027.holidays: expected a list of dates",
    ),
    (
        "years:\n  next:\n    holidays: [2027-01-01]\n",
        "years.next: not a year",
    ),
    (
        "years: [2027]\n",
        "years: expected a mapping of year to holidays/workdays",
    ),
    (
        "year:\n  2027:\n    holidays: [2027-01-01]\n",
        "year: unknown key (expected 'years')",
    ),
    (
        "- 2027-01-01\n",
        "(top level): expected a mapping with a 'years' key",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(BAD_FILES)])
def test_bad_file_messages(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(WorkdaysFileError) as info:
        WorkCalendar.from_file(path)
    assert str(info.value) == f"{path}: {message}"
    assert isinstance(info.value, ValueError)


def test_bad_file_message_uses_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "workdays.yaml").write_text(
        "years:\n  2027:\n    holidays: [2027-01-01, 2027-02-05, 2027-13-01]\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkdaysFileError) as info:
        WorkCalendar.from_file(Path("knowledge/workdays.yaml"))
    assert str(info.value) == "knowledge/workdays.yaml: years.2027.holidays[2]: not a date"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("years:\n  2027:\n    holidays: [2027-01-01\n", "line 4"),
        ("years:\n  2027: {holidays: [2027-01-01]}\n  2027: {holidays: [2027-01-04]}\n", "duplicate key 2027"),
        ("years: {2027: {holidays: [2027-01-01]}\n", "line 2"),
    ],
    ids=["unclosed-list", "duplicate-year", "unclosed-mapping"],
)
def test_bad_yaml(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(WorkdaysFileError) as info:
        WorkCalendar.from_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: yaml: ")
    assert problem in message
    assert "\n" not in message


def test_unreadable_path_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(WorkdaysFileError, match=r": file: cannot read"):
        WorkCalendar.from_file(tmp_path)  # a directory


# --- due_at -----------------------------------------------------------------


def test_due_at_uses_local_receipt_date() -> None:
    cal = WorkCalendar()
    received = datetime(2026, 2, 12, 17, 0, tzinfo=UTC)  # 2026-02-13 01:00 in Shanghai
    due = due_at(received, 10, cal, SHANGHAI)
    assert due == local(2026, 3, 5, 23, 59, 59)
    assert due.tzinfo is SHANGHAI
    assert due.utcoffset() == timedelta(hours=8)
    assert (due.year, due.month, due.day, due.hour, due.minute, due.second) == (2026, 3, 5, 23, 59, 59)
    # one hour earlier it is still Thursday 2026-02-12 locally: one working day sooner
    assert due_at(datetime(2026, 2, 12, 15, 59, tzinfo=UTC), 10, cal, SHANGHAI) == local(2026, 3, 4, 23, 59, 59)


def test_due_at_examples() -> None:
    cal = WorkCalendar()
    assert due_at(local(2026, 4, 30, 16, 30), 1, cal, SHANGHAI) == local(2026, 5, 6, 23, 59, 59)
    assert due_at(local(2026, 3, 7, 11, 0), 1, cal, SHANGHAI) == local(2026, 3, 9, 23, 59, 59)
    assert due_at(local(2026, 3, 2, 10, 0), 0, cal, SHANGHAI) == local(2026, 3, 2, 23, 59, 59)


def test_due_at_rejects_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 2, 10, 0), 1, WorkCalendar(), SHANGHAI)


def test_due_at_into_unknown_year_guesses_by_default_and_can_be_strict() -> None:
    cal = WorkCalendar()
    assert due_at(local(2026, 12, 31, 10, 0), 1, cal, SHANGHAI) == local(2027, 1, 1, 23, 59, 59)
    assert cal.guessed_years == {UNKNOWN_YEAR}
    with pytest.raises(UnknownYearError):
        due_at(local(2026, 12, 31, 10, 0), 1, WorkCalendar(), SHANGHAI, allow_guess=False)


# --- office hours -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (local(2026, 3, 2, 10, 0), local(2026, 3, 2, 15, 30), 5.5),
        (local(2026, 3, 2, 7, 0), local(2026, 3, 2, 20, 0), 8.0),
        (local(2026, 3, 6, 16, 0), local(2026, 3, 9, 10, 0), 2.0),  # Fri -> Mon
        (local(2026, 3, 7, 0, 0), local(2026, 3, 8, 23, 0), 0.0),  # weekend
        (local(2026, 3, 2, 18, 0), local(2026, 3, 3, 8, 0), 0.0),  # overnight
        (local(2026, 2, 13, 16, 0), local(2026, 2, 24, 10, 0), 10.0),  # Fri 1h + Sat 2/14 8h + Tue 1h
        (local(2026, 4, 3, 16, 0), local(2026, 4, 7, 9, 30), 1.5),  # Qingming Mon off
        (local(2026, 3, 2, 15, 0), local(2026, 3, 2, 10, 0), 0.0),  # end before start
        (
            datetime(2026, 3, 2, 1, 0, tzinfo=UTC),  # 09:00 local
            datetime(2026, 3, 2, 9, 0, tzinfo=UTC),  # 17:00 local
            8.0,
        ),
    ],
)
def test_working_hours_between(start: datetime, end: datetime, hours: float) -> None:
    assert working_hours_between(start, end, WorkCalendar(), SHANGHAI, OPEN, CLOSE) == pytest.approx(hours)


def test_working_hours_between_full_week_and_strictness() -> None:
    cal = WorkCalendar()
    # Mon 9/28 .. Sun 10/11: 9/28, 9/29, 9/30, 10/8, 10/9 and make-up Sat 10/10 are open
    hours = working_hours_between(local(2026, 9, 28, 0, 0), local(2026, 10, 12, 0, 0), cal, SHANGHAI, OPEN, CLOSE)
    assert hours == pytest.approx(6 * 8.0)
    with pytest.raises(UnknownYearError):
        working_hours_between(local(2026, 12, 31, 10, 0), local(2027, 1, 4, 10, 0), cal, SHANGHAI, OPEN, CLOSE, allow_guess=False)
    with pytest.raises(ValueError):
        working_hours_between(local(2026, 3, 2, 10, 0), local(2026, 3, 2, 11, 0), cal, SHANGHAI, CLOSE, OPEN)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2026, 3, 2, 10, 0), None),  # Monday, open
        (local(2026, 3, 2, 9, 0), None),  # opening minute is open
        (local(2026, 3, 2, 16, 59, 59), None),
        (local(2026, 3, 2, 17, 0), local(2026, 3, 3, 9, 0)),  # closing time is closed
        (local(2026, 3, 2, 7, 30), local(2026, 3, 2, 9, 0)),  # before opening, same day
        (local(2026, 3, 6, 18, 0), local(2026, 3, 9, 9, 0)),  # Friday evening -> Monday
        (local(2026, 3, 7, 12, 0), local(2026, 3, 9, 9, 0)),  # Saturday
        (local(2026, 4, 3, 18, 0), local(2026, 4, 7, 9, 0)),  # Friday before Qingming: Monday 4/6 is off
        (local(2026, 2, 18, 10, 0), local(2026, 2, 24, 9, 0)),  # during Spring Festival
        (local(2026, 2, 13, 18, 0), local(2026, 2, 14, 9, 0)),  # make-up Saturday opens
        (local(2026, 2, 14, 11, 0), None),  # ... and is open
        (local(2026, 9, 30, 17, 30), local(2026, 10, 8, 9, 0)),  # National Day
        (datetime(2026, 3, 6, 10, 0, tzinfo=UTC), local(2026, 3, 9, 9, 0)),  # 18:00 local Friday
        (datetime(2026, 3, 2, 0, 30, tzinfo=UTC), local(2026, 3, 2, 9, 0)),  # 08:30 local
    ],
)
def test_next_opening(moment: datetime, expected: datetime | None) -> None:
    result = next_opening(moment, WorkCalendar(), SHANGHAI, OPEN, CLOSE)
    assert result == expected
    if expected is not None:
        assert result.tzinfo is SHANGHAI
        assert (result.hour, result.minute) == (9, 0)


def test_next_opening_strict_and_naive() -> None:
    with pytest.raises(UnknownYearError):
        next_opening(local(2026, 12, 31, 18, 0), WorkCalendar(), SHANGHAI, OPEN, CLOSE, allow_guess=False)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_opening(datetime(2026, 3, 2, 10, 0), WorkCalendar(), SHANGHAI, OPEN, CLOSE)


# --- performance ------------------------------------------------------------


def test_working_hours_meter_agrees_with_working_hours_between():
    """The memoised meter the reports use gives the very figure of the plain function, over holidays, make-up days and nights."""
    import random
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from bot.core.workdays import WorkingHoursMeter, working_hours_between

    tz = ZoneInfo("Asia/Shanghai")
    calendar = WorkCalendar()
    meter = WorkingHoursMeter(calendar, tz, time(9), time(17))
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=tz)
    for _ in range(500):
        start = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 360))
        end = start + timedelta(minutes=rng.randrange(-600, 60 * 24 * 40))
        assert meter.between(start, end) == working_hours_between(start, end, calendar, tz, time(9), time(17), allow_guess=True)


def test_working_hours_meter_across_daylight_saving_and_years_in_any_order():
    """Spans arriving out of order, over two years and a DST change, to the microsecond: still the plain function's figure."""
    import random
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from bot.core.workdays import WorkingHoursMeter, working_hours_between

    tz = ZoneInfo("Europe/Berlin")
    calendar = WorkCalendar()
    meter = WorkingHoursMeter(calendar, tz, time(8, 30), time(17, 15))
    rng = random.Random(5)
    base = datetime(2025, 6, 1, tzinfo=tz)
    for _ in range(300):
        start = base + timedelta(microseconds=rng.randrange(0, 10**6 * 3600 * 24 * 500))
        end = start + timedelta(microseconds=rng.randrange(0, 10**6 * 3600 * 24 * 60))
        plain = working_hours_between(start, end, calendar, tz, time(8, 30), time(17, 15), allow_guess=True)
        assert meter.between(start, end) == pytest.approx(plain, abs=1e-9)
