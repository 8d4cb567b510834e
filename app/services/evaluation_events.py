"""The recorded events a task evaluation is computed from, loaded per task in a handful of queries.

Only facts live here (who was late by how many working days, which review returned what);
what they are worth is decided by ``evaluation`` under the plan's scoring policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, select

from app.extensions import db
from app.models import (
    Decomposition, DecompositionRound, Milestone, MilestoneReport, PlanTask, Rectification, ResponsibilityRole,
    ReviewDecision, ReviewRecord, TargetActual, Urge, WorkflowInstance, WorkItem, WorkItemState,
    milestone_cooperator_table,
)
from app.models.base import utcnow
from app.models.user import UNIT_ROLES
from app.services import deadlines
from app.services.workdays import BEIJING

#: Stronger roles win when a unit appears in several (lead beats cooperating).
_ROLE_RANK = {ResponsibilityRole.LEAD: 0, ResponsibilityRole.RESPONSIBLE: 1, ResponsibilityRole.COOPERATING: 2}


@dataclass(frozen=True)
class Event:
    """One recorded event that moves a unit's score."""

    unit_id: int
    kind: str
    id: int
    on: date
    #: What it was, in Chinese (a step name, a milestone title…).
    what: str
    #: A count (overdue working days) or a code (the review step, the quality rating).
    detail: str = ""


@dataclass(frozen=True)
class TargetResult:
    """A plan target and the latest actual any report gave for it."""

    target_id: int
    phrase: str
    value: Decimal
    comparator: str | None
    measure: str
    actual: Decimal | None
    report_id: int | None
    reported_on: date | None


@dataclass(frozen=True)
class TaskEvents:
    """Everything a task's evaluation needs."""

    roles: dict[int, ResponsibilityRole]
    overdue: list[Event]
    returns: list[Event]
    ratings: list[Event]
    targets: list[TargetResult]
    rectifications: list[Event]
    urges: list[Event]


def beijing_date(moment: datetime) -> date:
    """The office day a timestamp falls on."""
    return moment.astimezone(BEIJING).date()


def load_events(task: PlanTask, now: datetime | None = None) -> TaskEvents:
    """Load the task's events; open overdue items count until ``now``."""
    return TaskEvents(
        roles=unit_roles(task), overdue=_overdue(task, now or utcnow()), returns=_returns(task),
        ratings=_ratings(task), targets=_targets(task), rectifications=_rectifications(task), urges=_urges(task),
    )


def unit_roles(task: PlanTask) -> dict[int, ResponsibilityRole]:
    """Every unit answering for the task and its role: named units, decomposing units, milestone cooperators."""
    found: list[tuple[int, ResponsibilityRole]] = [(r.unit_id, r.role) for r in task.responsibilities if r.unit_id]
    found += [(u, ResponsibilityRole.RESPONSIBLE) for u in db.session.scalars(
        select(Decomposition.unit_id).where(Decomposition.plan_task_id == task.id))]
    found += [(u, ResponsibilityRole.COOPERATING) for u in db.session.scalars(
        select(milestone_cooperator_table.c.unit_id).join(Milestone, Milestone.id == milestone_cooperator_table.c.milestone_id)
        .where(Milestone.plan_task_id == task.id))]
    roles: dict[int, ResponsibilityRole] = {}
    for unit_id, role in found:
        if unit_id not in roles or _ROLE_RANK[role] < _ROLE_RANK[roles[unit_id]]:
            roles[unit_id] = role
    return roles


def _overdue(task: PlanTask, now: datetime) -> list[Event]:
    calendar = deadlines.work_calendar()
    items = db.session.scalars(
        select(WorkItem).join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
        .where(WorkflowInstance.plan_task_id == task.id, WorkItem.role.in_(UNIT_ROLES), WorkItem.unit_id.is_not(None),
               WorkItem.due_at.is_not(None), WorkItem.state != WorkItemState.CANCELLED)
        .order_by(WorkItem.id))
    events = []
    for item in items:
        done = item.completed_at or now
        days = calendar.working_days_between(beijing_date(item.due_at), beijing_date(done)) if done > item.due_at else 0
        if days > 0:
            done_text = f"{beijing_date(item.completed_at)} 办理" if item.completed_at else "至今未办理"
            what = f"{item.step_name}(期限 {beijing_date(item.due_at)},{done_text})"
            events.append(Event(item.unit_id, "work_item", item.id, beijing_date(item.due_at), what, str(days)))
    return events


def _returns(task: PlanTask) -> list[Event]:
    """Returned decompositions and reports, charged to the unit that submitted them."""
    by_round = (select(ReviewRecord, Decomposition.unit_id)
                .join(DecompositionRound, and_(ReviewRecord.subject == "decomposition_round",
                                               DecompositionRound.id == ReviewRecord.subject_id))
                .join(Decomposition, Decomposition.id == DecompositionRound.decomposition_id))
    by_report = (select(ReviewRecord, Milestone.unit_id)
                 .join(MilestoneReport, and_(ReviewRecord.subject == "milestone_report",
                                             MilestoneReport.id == ReviewRecord.subject_id))
                 .join(Milestone, Milestone.id == MilestoneReport.milestone_id))
    events = []
    for query in (by_round, by_report):
        rows = db.session.execute(query.where(ReviewRecord.plan_task_id == task.id,
                                              ReviewRecord.decision == ReviewDecision.RETURN))
        events += [Event(unit_id, "review_record", r.id, beijing_date(r.decided_at), r.step_label, r.step)
                   for r, unit_id in rows]
    return sorted(events, key=lambda e: e.id)


def _ratings(task: PlanTask) -> list[Event]:
    """The quality rating of each approved milestone, for its unit and for each of its cooperators."""
    rows = db.session.execute(
        select(ReviewRecord, Milestone)
        .join(MilestoneReport, and_(ReviewRecord.subject == "milestone_report", MilestoneReport.id == ReviewRecord.subject_id))
        .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
        .where(ReviewRecord.plan_task_id == task.id, ReviewRecord.step == "report_review",
               ReviewRecord.decision == ReviewDecision.APPROVE, ReviewRecord.quality.is_not(None))
        .order_by(ReviewRecord.id))
    events = []
    for record, milestone in rows:
        for unit_id in [milestone.unit_id, *(u.id for u in milestone.cooperating_units)]:
            events.append(Event(unit_id, "review_record", record.id, beijing_date(record.decided_at),
                                milestone.title, record.quality or ""))
    return events


def _targets(task: PlanTask) -> list[TargetResult]:
    latest: dict[int, tuple[TargetActual, MilestoneReport]] = {}
    rows = db.session.execute(
        select(TargetActual, MilestoneReport).join(MilestoneReport, MilestoneReport.id == TargetActual.report_id)
        .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
        .where(Milestone.plan_task_id == task.id).order_by(MilestoneReport.submitted_at, MilestoneReport.id))
    for actual, report in rows:
        latest[actual.plan_target_id] = (actual, report)
    results = []
    for target in task.targets:
        actual, report = latest.get(target.id, (None, None))
        results.append(TargetResult(
            target.id, target.phrase, target.value, target.comparator, target.unit,
            actual.actual if actual else None, report.id if report else None,
            beijing_date(report.submitted_at) if report else None))
    return results


def _rectifications(task: PlanTask) -> list[Event]:
    rows = db.session.scalars(select(Rectification).where(Rectification.plan_task_id == task.id).order_by(Rectification.id))
    return [Event(r.unit_id, "rectification", r.id, beijing_date(r.opened_at), r.requirement, r.status.label)
            for r in rows]


def _urges(task: PlanTask) -> list[Event]:
    rows = db.session.scalars(select(Urge).where(Urge.plan_task_id == task.id).order_by(Urge.id))
    return [Event(u.unit_id, "urge", u.id, beijing_date(u.sent_at), u.message) for u in rows]
