"""Working days around real holidays: National Day 2023, 调休 Saturdays, an unannounced year."""
from datetime import date, timedelta

import pytest

from app.services.timing.workdays import WorkCalendar

CALENDAR = WorkCalendar()


@pytest.mark.parametrize("day, working", [
    (date(2023, 9, 28), True),    # Thursday before the holiday
    (date(2023, 9, 29), False),   # 中秋 + 国庆 start
    (date(2023, 10, 6), False),
    (date(2023, 10, 7), True),    # 调休: Saturday worked
    (date(2023, 10, 8), True),    # 调休: Sunday worked
    (date(2023, 10, 14), False),  # an ordinary Saturday
    (date(2026, 12, 31), True),
])
def test_is_working_day(day, working):
    assert CALENDAR.is_working_day(day) is working


@pytest.mark.parametrize("start, shift, expected", [
    # Three working days before a deadline right after National Day 2023 (Mon 9 Oct).
    (date(2023, 10, 9), -3, date(2023, 9, 28)),
    (date(2023, 10, 9), -1, date(2023, 10, 8)),
    # The first working day after the holiday began is the 调休 Saturday.
    (date(2023, 9, 28), 1, date(2023, 10, 7)),
    (date(2023, 10, 9), 0, date(2023, 10, 9)),
    # Escalation five working days after a deadline on Friday 22 Dec 2023 (no holiday between).
    (date(2023, 12, 22), 5, date(2023, 12, 29)),
])
def test_shift(start, shift, expected):
    assert CALENDAR.shift(start, shift) == expected


def test_a_deadline_on_a_make_up_saturday_is_a_working_day():
    due = date(2023, 10, 7)
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.next_working_day(date(2023, 10, 6)) == due
    assert CALENDAR.working_days_between(date(2023, 9, 28), due) == 1


def test_working_days_between_counts_both_directions():
    assert CALENDAR.working_days_between(date(2023, 9, 28), date(2023, 10, 9)) == 3
    assert CALENDAR.working_days_between(date(2023, 10, 9), date(2023, 9, 28)) == -3


def test_an_unannounced_year_is_estimated_with_a_warning_not_a_crash():
    assert CALENDAR.is_working_day(date(2027, 1, 4)) is True
    assert CALENDAR.is_estimated(date(2027, 1, 4))
    assert ["2027年" in w for w in CALENDAR.warnings(date(2026, 12, 1), date(2027, 2, 1))] == [True]


def test_overrides_win_and_silence_the_warning():
    calendar = WorkCalendar({date(2027, 1, 1): False, date(2027, 2, 6): True})
    assert calendar.is_working_day(date(2027, 1, 1)) is False
    assert calendar.is_working_day(date(2027, 2, 6)) is True
    assert calendar.warnings(date(2027, 1, 1), date(2027, 3, 1)) == []


def test_working_days_between_matches_a_day_by_day_count() -> None:
    """The cumulative tables give the same count as walking the days, across years and overrides."""
    import random

    overrides = {date(2024, 2, 4): True, date(2024, 12, 31): False, date(2027, 3, 1): False}
    calendar = WorkCalendar(overrides)
    rng = random.Random(18)
    for _ in range(300):
        start = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365))
        end = start + timedelta(days=rng.randrange(-800, 800))
        low, high = min(start, end), max(start, end)
        days = range(1, (high - low).days + 1)
        walked = sum(calendar.is_working_day(low + timedelta(days=n)) for n in days)
        assert calendar.working_days_between(start, end) == (walked if end >= start else -walked)
