"""Working-day arithmetic on the Chinese calendar: statutory holidays and 调休 make-up days.

`chinese-calendar` knows the State Council's announced calendar (2004–2026 in 1.11);
an administrator's override table wins over it, and for a year it does not know yet
the calendar falls back to Monday–Friday and says so (a warning, never a crash).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

#: Offices, deadlines and the calendar all run on Beijing time.
BEIJING = ZoneInfo("Asia/Shanghai")
#: A due date runs out at the end of the office day.
END_OF_DAY = time(18, 0)

#: Never search further than this for the next working day (the longest holiday is 8 days).
_SEARCH_LIMIT = 60


def end_of_day(day: date) -> datetime:
    """18:00 Beijing time on ``day``: when a due date runs out."""
    return datetime.combine(day, END_OF_DAY, tzinfo=BEIJING)


def _announced(day: date) -> bool | None:
    """True/False from the announced calendar, or None for a year it does not cover."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkCalendar:
    """Working days, with ``overrides`` (date → is a working day) set by an administrator."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    #: year → working days in that year up to and including each day (index 0 is 31 December before).
    _cumulative: dict[int, list[int]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def is_working_day(self, day: date) -> bool:
        """True when offices work on ``day``."""
        if day in self.overrides:
            return self.overrides[day]
        announced = _announced(day)
        return day.weekday() < 5 if announced is None else announced

    def is_estimated(self, day: date) -> bool:
        """True when neither the announced calendar nor an override covers ``day``."""
        return day not in self.overrides and _announced(day) is None

    def shift(self, start: date, working_days: int) -> date:
        """The date ``working_days`` working days after ``start`` (before it when negative); start excluded."""
        step = timedelta(days=1 if working_days >= 0 else -1)
        day, remaining = start, abs(working_days)
        while remaining:
            day += step
            remaining -= self.is_working_day(day)
        return day

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _SEARCH_LIMIT):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"{day} 之后 {_SEARCH_LIMIT} 天内没有工作日,请检查节假日设置。")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``.

        Read off cumulative counts per year (built once per year and calendar), so a count costs
        the same whatever the span.
        """
        if end < start:
            return -self.working_days_between(end, start)
        between = sum(self._year(year)[-1] for year in range(start.year, end.year))
        return between + self._upto(end) - self._upto(start)

    def _upto(self, day: date) -> int:
        """Working days from 1 January of ``day``'s year up to and including ``day``."""
        return self._year(day.year)[day.timetuple().tm_yday]

    def _year(self, year: int) -> list[int]:
        table = self._cumulative.get(year)
        if table is None:
            table, day = [0], date(year, 1, 1)
            while day.year == year:
                table.append(table[-1] + self.is_working_day(day))
                day += timedelta(days=1)
            self._cumulative[year] = table
        return table

    def warnings(self, start: date, end: date) -> list[str]:
        """A Chinese warning per year in [start, end] whose calendar is only estimated.

        A year with any administrator override counts as entered: the administrator
        types in the whole announced calendar once the State Council publishes it.
        """
        years = range(start.year, end.year + 1)
        return [
            f"{year}年的法定节假日和调休安排尚未收录,暂按周一至周五计算工作日;请管理员在节假日设置中补充。"
            for year in years
            if self.is_estimated(date(year, 6, 30)) and not any(d.year == year for d in self.overrides)
        ]
