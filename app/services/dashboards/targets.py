"""Plan targets against what reports say they have reached (抽检 230000 批次: reported so far, percent)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Milestone,
    MilestoneReport,
    PlanTarget,
    PlanTask,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
)
from app.models.base import utcnow
from app.services.dashboards.facts import Filters, flagged, milestone_facts, percent, scoped_task_ids
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.scoring.assessment import moment_of
from app.services.scoring.evaluation_events import approved_actuals


@dataclass(frozen=True)
class TargetProgress:
    """One quantitative target, the latest value 督审处 approved for it, and a later report not approved."""

    task_id: int
    task_number: int
    phrase: str
    value: Decimal
    unit: str
    comparator: str | None
    #: The actual of the latest approved report (None: none approved yet).
    reported: Decimal | None
    #: A later report's value still waiting for review or returned, never taken as the actual.
    unapproved: Decimal | None = None
    #: 待审核 or 已退回, for ``unapproved``.
    unapproved_state: str | None = None
    supervision_number: str | None = None

    @property
    def percent(self) -> float | None:
        """Approved value out of the target; None for ceilings (≤) or nothing approved yet."""
        if self.reported is None or self.comparator == "<=":
            return None
        return percent(self.reported, self.value)


def target_progress(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[TargetProgress]:
    """Every target of the plans with the value of the latest report (as of the day) 督审处 had approved, and
    the value of any later report still pending or returned then."""
    # A report states the value reached so far (cumulative), so the latest approved one counts.
    moment = moment_of(as_of) or utcnow()
    approved = approved_actuals(moment)
    query = (select(PlanTarget.id, PlanTask.id, PlanTask.number, PlanTarget.phrase, PlanTarget.value, PlanTarget.unit,
                    PlanTarget.comparator, approved.c.actual, approved.c.submitted_at, PlanTask.supervision_number)
             .join(PlanTask, PlanTask.id == PlanTarget.task_id)
             .outerjoin(approved, (approved.c.plan_target_id == PlanTarget.id) & (approved.c.rank == 1))
             .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.id.in_(scoped_task_ids(plan_ids, filters, as_of)))
             .order_by(PlanTask.plan_id, PlanTask.number, PlanTarget.span_start))
    rows = db.session.execute(query).all()
    later = _later_unapproved(plan_ids, moment)
    result = []
    for target_id, task_id, number, phrase, value, unit, comparator, actual, approved_at, supervision in rows:
        pending = later.get(target_id)
        if pending is not None and approved_at is not None and pending[2] <= approved_at:
            pending = None
        result.append(TargetProgress(task_id, number, phrase, value, unit, comparator, actual,
                                     pending[0] if pending else None, pending[1] if pending else None, supervision))
    return result


def _later_unapproved(plan_ids: PlanIds, moment: datetime) -> dict[int, tuple[Decimal, str, datetime]]:
    """Per target: the latest report submitted by ``moment`` that was not approved by then, its value, its state
    (待审核 or 已退回) and its submission time."""
    decided = (select(ReviewRecord.milestone_report_id, ReviewRecord.decision)
               .where(ReviewRecord.step == StepKey.REPORT_REVIEW, ReviewRecord.decided_at <= moment))
    verdicts = dict(db.session.execute(decided.join(MilestoneReport,
                                                    MilestoneReport.id == ReviewRecord.milestone_report_id)
                                       .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
                                       .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
                                       .where(in_plans(PlanTask.plan_id, plan_ids))).all())
    found: dict[int, tuple[Decimal, str, datetime]] = {}
    for target_id, actual, report_id, submitted_at in db.session.execute(
            select(TargetActual.plan_target_id, TargetActual.actual, MilestoneReport.id, MilestoneReport.submitted_at)
            .join(MilestoneReport, MilestoneReport.id == TargetActual.report_id)
            .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
            .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
            .where(in_plans(PlanTask.plan_id, plan_ids), MilestoneReport.submitted_at <= moment)
            .order_by(MilestoneReport.submitted_at, MilestoneReport.id)):
        verdict = verdicts.get(report_id)
        if verdict is ReviewDecision.APPROVE:
            found.pop(target_id, None)
        else:
            found[target_id] = (actual, "已退回" if verdict is ReviewDecision.RETURN else "待审核", submitted_at)
    return found


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
