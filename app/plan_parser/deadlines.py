"""Deadline phrases ("6月底前", "年底前", "上半年", "三季度", "持续推进") read as suggested due dates."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from .text import cn_to_int

_NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_YEAR = r"(?:(20\d\d)\s*年\s*)?"
_DAY = re.compile(rf"{_YEAR}{_NUM}\s*月\s*{_NUM}\s*日(?:以?前)?")
_MONTH_END = re.compile(rf"{_YEAR}{_NUM}\s*月\s*(?:份)?(底|末|前|上旬|中旬|下旬)(?:以?前)?")
_YEAR_END = re.compile(r"(?:(20\d\d)\s*)?年\s*[底末](?:以?前)?|(?<![\d一二三四五六七八九十两])年(?:度)?内")
_TEN_DAYS = {"上旬": 10, "中旬": 20}
_HALF = re.compile(rf"{_YEAR}(上|下)半年(?:以?前)?")
_QUARTER = re.compile(rf"{_YEAR}第?([一二三四1-4])\s*季度(?:末|底)?(?:以?前)?")
_ONGOING = re.compile(r"持续推进|长期坚持|持续开展|长期推进|常态化推进")
# A bare date in a table cell: 2023-06-30, 2023/6/30, 2023.6.30, 20230630.
_ISO_DATE = re.compile(r"^(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$|^(20\d\d)(\d\d)(\d\d)$")
_QUARTER_MONTH = {"一": 3, "1": 3, "二": 6, "2": 6, "三": 9, "3": 9, "四": 12, "4": 12}


@dataclass(frozen=True)
class Deadline:
    """A deadline as the plan writes it; the year is the plan's unless the phrase names one."""

    phrase: str
    month: int
    day: int | None = None  # None: the end of the month
    year: int | None = None
    ongoing: bool = False  # 持续推进: no end inside the year, so the year's end is suggested

    def on(self, plan_year: int) -> datetime.date:
        """The date this deadline means in a plan of ``plan_year``."""
        year = self.year or plan_year
        last = calendar.monthrange(year, self.month)[1]
        return datetime.date(year, self.month, min(self.day or last, last))


def _number(token: str) -> int | None:
    return int(token) if token.isdigit() else cn_to_int(token)


def _year(token: str | None) -> int | None:
    return int(token) if token else None


def _candidates(text: str) -> list[Deadline]:
    """Every deadline phrase of the text, in no particular order."""
    found: list[Deadline] = []
    for match in _DAY.finditer(text):
        month, day = _number(match.group(2)), _number(match.group(3))
        if month and day and 1 <= month <= 12 and 1 <= day <= 31:
            found.append(Deadline(match.group(0), month, day, _year(match.group(1))))
    for match in _MONTH_END.finditer(text):
        month = _number(match.group(2))
        if month and 1 <= month <= 12:
            found.append(Deadline(match.group(0), month, _TEN_DAYS.get(match.group(3)), _year(match.group(1))))
    for match in _YEAR_END.finditer(text):
        found.append(Deadline(match.group(0).strip(), 12, 31, _year(match.group(1))))
    for match in _HALF.finditer(text):
        found.append(Deadline(match.group(0), 6 if match.group(2) == "上" else 12, None, _year(match.group(1))))
    for match in _QUARTER.finditer(text):
        found.append(Deadline(match.group(0), _QUARTER_MONTH[match.group(2)], None, _year(match.group(1))))
    return found


def find_deadline(text: str, plan_year: int | None = None) -> Deadline | None:
    """The final deadline a task's text sets: its latest phrase, or 持续推进 as the year's end.

    A phrase naming a year before the plan's ("截至2022年底") looks back, not ahead, and is ignored.
    """
    candidates = [d for d in _candidates(text) if plan_year is None or d.year is None or d.year >= plan_year]
    if candidates:
        reference = plan_year or datetime.date.today().year
        return max(candidates, key=lambda d: d.on(reference))
    ongoing = _ONGOING.search(text)
    return Deadline(ongoing.group(0), 12, 31, ongoing=True) if ongoing else None


def read_deadline_cell(value: object, plan_year: int | None = None) -> Deadline | None:
    """A 完成时限 cell: a spreadsheet date, a written date, or a deadline phrase; None when it is none of these."""
    if isinstance(value, datetime.datetime | datetime.date):
        return Deadline(value.strftime("%Y年%m月%d日"), value.month, value.day, value.year)
    text = re.sub(r"\s+", "", str(value or ""))
    exact = _ISO_DATE.match(text)
    if exact:
        year, month, day = (int(g) for g in (exact.groups()[:3] if exact.group(1) else exact.groups()[3:]))
        try:
            datetime.date(year, month, day)
        except ValueError:
            return None
        return Deadline(text, month, day, year)
    return find_deadline(text, plan_year)
