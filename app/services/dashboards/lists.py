"""The item lists of the dashboards: overdue, due soon and returned milestones and decompositions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select

from app.extensions import db
from app.models import (
    Decomposition,
    DecompositionStatus,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    PlanTask,
    ReviewDecision,
    ReviewRecord,
    Unit,
)
from app.services.dashboards.facts import Filters, flagged, milestone_facts, scoped_task_ids
from app.services.plans.plan_scope import PlanIds


@dataclass(frozen=True)
class ListedItem:
    """One line of a list: a milestone (or a decomposition) of a task, and its due date."""

    task_id: int
    task_number: int
    task_title: str
    unit_name: str
    title: str
    due_date: date | None
    #: Calendar days past due (negative: days left).
    days_late: int | None = None
    note: str | None = None
    #: Which plan or registered item the task belongs to, and its 督办编号 (lists cover several plans).
    plan_id: int | None = None
    supervision_number: str | None = None


def _milestone_list(plan_ids: PlanIds, as_of: date, filters: Filters, flag: str,
                    limit: int | None) -> list[ListedItem]:
    facts = milestone_facts(plan_ids, as_of)
    query = (select(PlanTask.id, PlanTask.number, PlanTask.title, Unit.name, facts.c.title, facts.c.due_date,
                    PlanTask.plan_id, PlanTask.supervision_number)
             .join(PlanTask, PlanTask.id == facts.c.task_id).join(Unit, Unit.id == facts.c.unit_id)
             .where(flagged(facts, flag, as_of), facts.c.task_id.in_(scoped_task_ids(plan_ids, filters, as_of)))
             .order_by(facts.c.due_date, PlanTask.number, facts.c.milestone_id).limit(limit))
    if (units := filters.units) is not None:
        query = query.where(facts.c.unit_id.in_(units))
    return [ListedItem(task_id, number, title, unit, milestone, due, days_late=(as_of - due).days, plan_id=plan_id,
                       supervision_number=code)
            for task_id, number, title, unit, milestone, due, plan_id, code in db.session.execute(query)]


def overdue(plan_ids: PlanIds, as_of: date, filters: Filters = Filters(), limit: int | None = None) -> list[ListedItem]:
    """Milestones past due and not approved, the most overdue first."""
    return _milestone_list(plan_ids, as_of, filters, "overdue", limit)


def due_soon(plan_ids: PlanIds, as_of: date, filters: Filters = Filters(),
             limit: int | None = None) -> list[ListedItem]:
    """Milestones not approved and due within DUE_SOON_DAYS, the soonest first."""
    return _milestone_list(plan_ids, as_of, filters, "due_soon", limit)


def returned(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[ListedItem]:
    """Reports returned and not yet resubmitted, and decompositions sent back for revision."""
    scope = scoped_task_ids(plan_ids, filters, as_of)
    return _returned_reports(scope, filters) + _returned_decompositions(scope, filters)


def _returned_reports(scope: Select[Any], filters: Filters) -> list[ListedItem]:
    # Per milestone still in progress, its latest report's last verdict, each found by index: grouping every
    # report and every review of the database first cost what the history holds.
    latest_report = (select(func.max(MilestoneReport.id)).where(MilestoneReport.milestone_id == Milestone.id)
                     .correlate(Milestone).scalar_subquery())
    last_review = (select(func.max(ReviewRecord.id))
                   .where(ReviewRecord.milestone_report_id == latest_report)
                   .scalar_subquery())
    query = (select(PlanTask.id, PlanTask.number, PlanTask.title, Unit.name, Milestone.title, Milestone.due_date,
                    ReviewRecord.comments, PlanTask.plan_id, PlanTask.supervision_number).select_from(Milestone)
             .join(PlanTask, PlanTask.id == Milestone.plan_task_id).join(Unit, Unit.id == Milestone.unit_id)
             .join(ReviewRecord, ReviewRecord.id == last_review)
             .where(ReviewRecord.decision == ReviewDecision.RETURN, Milestone.status == MilestoneStatus.IN_PROGRESS,
                    Milestone.plan_task_id.in_(scope))
             .order_by(PlanTask.number, Milestone.id))
    if (units := filters.units) is not None:
        query = query.where(Milestone.unit_id.in_(units))
    return [ListedItem(*row[:6], note=row[6], plan_id=row[7], supervision_number=row[8])
            for row in db.session.execute(query).all()]


def _returned_decompositions(scope: Select[Any], filters: Filters) -> list[ListedItem]:
    query = (select(PlanTask.id, PlanTask.number, PlanTask.title, Unit.name, PlanTask.plan_id,
                    PlanTask.supervision_number).select_from(Decomposition)
             .join(PlanTask, PlanTask.id == Decomposition.plan_task_id).join(Unit, Unit.id == Decomposition.unit_id)
             .where(and_(Decomposition.status == DecompositionStatus.RETURNED, Decomposition.plan_task_id.in_(scope)))
             .order_by(PlanTask.number, Decomposition.id))
    if (units := filters.units) is not None:
        query = query.where(Decomposition.unit_id.in_(units))
    return [ListedItem(*row[:4], title="任务分解", due_date=None, plan_id=row[4], supervision_number=row[5])
            for row in db.session.execute(query).all()]
