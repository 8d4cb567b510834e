"""Plan targets against what reports say they have reached (抽检 230000 批次: reported so far, percent)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import MilestoneReport, PlanTarget, PlanTask, TargetActual
from app.services.dashboards.facts import Filters, flagged, milestone_facts, percent, scoped_task_ids
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.timing.sql_days import beijing_date


@dataclass(frozen=True)
class TargetProgress:
    """One quantitative target and the latest value reported for it."""

    task_id: int
    task_number: int
    phrase: str
    value: Decimal
    unit: str
    comparator: str | None
    reported: Decimal | None
    supervision_number: str | None = None

    @property
    def percent(self) -> float | None:
        """Reported value out of the target; None for ceilings (≤) or nothing reported yet."""
        if self.reported is None or self.comparator == "<=":
            return None
        return percent(self.reported, self.value)


def target_progress(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[TargetProgress]:
    """Every target of the plan with the value of the latest report (as of the day) that gave one."""
    # A report states the value reached so far (cumulative), so the latest one counts.
    ranked = (select(TargetActual.plan_target_id, TargetActual.actual,
                     func.row_number().over(partition_by=TargetActual.plan_target_id,
                                            order_by=(MilestoneReport.submitted_at.desc(), MilestoneReport.id.desc()))
                     .label("rank"))
              .join(MilestoneReport, MilestoneReport.id == TargetActual.report_id)
              .where(beijing_date(MilestoneReport.submitted_at) <= as_of).subquery())
    query = (select(PlanTask.id, PlanTask.number, PlanTarget.phrase, PlanTarget.value, PlanTarget.unit,
                    PlanTarget.comparator, ranked.c.actual, PlanTask.supervision_number)
             .join(PlanTask, PlanTask.id == PlanTarget.task_id)
             .outerjoin(ranked, (ranked.c.plan_target_id == PlanTarget.id) & (ranked.c.rank == 1))
             .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.id.in_(scoped_task_ids(plan_ids, filters, as_of)))
             .order_by(PlanTask.plan_id, PlanTask.number, PlanTarget.span_start))
    return [TargetProgress(*row) for row in db.session.execute(query).all()]


@dataclass(frozen=True)
class WeekCount:
    """Milestones approved in the week starting ``monday``, and the running total."""

    monday: date
    approved: int
    cumulative: int


def weekly_completions(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[WeekCount]:
    """Milestones approved per week (Monday to Sunday) up to the as-of day, from the first approval on."""
    facts = milestone_facts(plan_ids, as_of)
    scope = scoped_task_ids(plan_ids, filters, as_of)
    query = (select(facts.c.approved_on, func.count())
             .where(flagged(facts, "approved", as_of), facts.c.task_id.in_(scope))
             .group_by(facts.c.approved_on))
    if (units := filters.units) is not None:
        query = query.where(facts.c.unit_id.in_(units))
    per_day = {_as_date(day): count for day, count in db.session.execute(query).all()}
    if not per_day:
        return []
    weeks: dict[date, int] = {}
    for day, count in per_day.items():  # at most one row per day: the aggregation is done
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + count
    return _running(weeks, min(weeks), as_of - timedelta(days=as_of.weekday()))


def _running(weeks: dict[date, int], first: date, last: date) -> list[WeekCount]:
    out, total, monday = [], 0, first
    while monday <= last:
        total += weeks.get(monday, 0)
        out.append(WeekCount(monday, weeks.get(monday, 0), total))
        monday += timedelta(days=7)
    return out


def _as_date(value: date | str) -> date:
    # SQLite's date() returns text.
    return date.fromisoformat(value) if isinstance(value, str) else value
