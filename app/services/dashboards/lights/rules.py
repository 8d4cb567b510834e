"""The lights' rules: the four lights, what each SQL finding means, and the numbers a judgement is made with.

Rules, most severe first (a part gets the first that holds):

- 红 已逾期: an open work item past its ``due_at``; a milestone not yet approved past the end of the
  office day of its ``due_date``.
- 黄 进度滞后或被退回: the latest report of a milestone not yet approved (推进中 or 已报送) says less
  than the share of the milestone's period elapsed (序时进度) minus the plan's ``progress_tolerance``
  points — either its percent done or the attainment of one of the targets it reports on. A target's
  attainment is its latest actual 督审处 approved (approved actual ÷ target value; "不高于" targets and
  targets without an approved actual are left out): an actual waiting for review or returned is never
  the figure, so while the milestone's report is being judged the light stands on the last approved
  actual and its reason says the report is 待审核. The period runs from the confirmation of the decomposition
  (or 1 January of the plan year, Beijing time, when unknown) to the end of the due date. Also 黄 when
  the latest report was returned (by the unit head or 督审处) and not resubmitted, or a decomposition
  was returned and not resubmitted. A milestone with no report yet is judged by its date alone.
- 蓝 临近期限: due on or before the ``remind_before``-th working day from today (the day the reminder
  goes out, see ``reminder_schedule``); ``remind_before = 0`` means no 蓝.
- 绿 正常推进 otherwise. Finished things are 绿 too, with their own reason: a closed task "已办结"
  ("阶段性办结" when its stage was closed), an approved milestone "已通过审核", a completed work item "已办结",
  a withdrawn one "已撤销".
- 灰 已中止: a task suspended (中止) by 督审处 at its unit's request, and its milestones not approved by then,
  from the moment of the approval; nothing of it is overdue, behind or due any more.

A work item is judged by its own deadline; the unit's report step also carries its milestone's 黄,
the decomposition step its returned decomposition. A task's light is the most severe of its open
work items and unapproved milestones (ties: the earliest due, milestones before work items).

Instants are handled as epoch days (floats) on both sides, so SQL and Python compare the same numbers.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.extensions import db
from app.models import DeadlinePolicy, Plan
from app.services.timing.deadlines import work_calendar
from app.services.timing.workdays import BEIJING, WorkCalendar, end_of_day


class Light(enum.StrEnum):
    """A traffic light; severity order red > yellow > blue > green."""

    #: 已中止: outside the order of the others (a suspended task has no running part to judge).
    GREY = "grey"
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"grey": "灰", "green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}[self.value]

    @property
    def meaning(self) -> str:
        return {"grey": "已中止", "green": "正常推进", "blue": "临近期限", "yellow": "进度滞后或被退回",
                "red": "已逾期"}[self.value]

    @property
    def severity(self) -> int:
        """0 for 绿 up to 3 for 红."""
        return SEVERITY[self]


SEVERITY = {Light.GREY: -1, Light.GREEN: 0, Light.BLUE: 1, Light.YELLOW: 2, Light.RED: 3}


@dataclass(frozen=True)
class LightVerdict:
    """A light and why, in Chinese."""

    light: Light
    reason: str


#: What the SQL says about a part, and the light each finding gives.
FINDINGS = {
    "overdue": Light.RED, "returned": Light.YELLOW, "decomposition_returned": Light.YELLOW,
    "behind": Light.YELLOW, "behind_target": Light.YELLOW, "behind_target_pending": Light.YELLOW,
    "due_soon": Light.BLUE, "on_track": Light.GREEN, "approved": Light.GREEN, "completed": Light.GREEN,
    "cancelled": Light.GREEN, "suspended": Light.GREY,
}
#: Behind on a target's approved actual (the latest report waiting for review, or not).
TARGET_FINDINGS = ("behind_target", "behind_target_pending")
#: The milestone findings a unit's report step carries as its own.
YELLOW_MILESTONE = ("returned", "behind", *TARGET_FINDINGS)
#: Days from midnight UTC to the end of the office day (18:00 Beijing is 10:00 UTC).
END_OF_DAY_DAYS = (end_of_day(date(2000, 1, 1)) - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds() / 86400
#: Progress is compared at the precision a reason shows (0.1 point): no reason reads "30%, below 40% by more than 10".
SHOWN_PRECISION = 0.05


def epoch_days_of(instant: datetime) -> float:
    """Days since 1970-01-01 00:00 UTC."""
    return instant.timestamp() / 86400


def instant_of(days: float) -> datetime:
    """Back from epoch days, to the second."""
    return datetime.fromtimestamp(round(days * 86400), tz=UTC)


def policy_default(column: str) -> int:
    """A policy number as a plan without a policy row gets it."""
    return DeadlinePolicy.__table__.c[column].default.arg


@dataclass(frozen=True)
class Plans:
    """Per plan: the 蓝 cut-off and the plan-year start (epoch days) and the tolerance in points."""

    cutoff: float
    year_start: float
    tolerance: int


@dataclass(frozen=True)
class Context:
    """The instant judged, the calendar, and each plan's numbers (for SQL and for the reasons)."""

    as_of: datetime
    calendar: WorkCalendar
    plans: dict[int, Plans]
    #: Working-day counts already made: a long list has few distinct due dates.
    counted: dict[tuple[date, date], int] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.as_of.astimezone(BEIJING).date()

    def working_days(self, start: date, end: date) -> int:
        """Working days in (start, end], counted once per pair."""
        if (start, end) not in self.counted:
            self.counted[start, end] = self.calendar.working_days_between(start, end)
        return self.counted[start, end]

    def tolerance(self, plan_id: int | None) -> int:
        return self.plans[plan_id].tolerance if plan_id in self.plans else policy_default("progress_tolerance")


def context(as_of: datetime) -> Context:
    """One query for every plan's policy; the calendar turns ``remind_before`` into a cut-off instant."""
    calendar, today = work_calendar(), as_of.astimezone(BEIJING).date()
    rows = db.session.execute(
        select(Plan.id, Plan.year, DeadlinePolicy.remind_before, DeadlinePolicy.progress_tolerance)
        .outerjoin(DeadlinePolicy, DeadlinePolicy.plan_id == Plan.id)
    ).all()
    plans = {}
    for plan_id, year, remind_before, tolerance in rows:
        remind_before = policy_default("remind_before") if remind_before is None else remind_before
        cutoff = epoch_days_of(end_of_day(calendar.shift(today, remind_before))) if remind_before > 0 \
            else epoch_days_of(as_of)
        year_start = epoch_days_of(datetime(year, 1, 1, tzinfo=BEIJING))
        plans[plan_id] = Plans(cutoff, year_start,
                               policy_default("progress_tolerance") if tolerance is None else tolerance)
    return Context(as_of, calendar, plans)
