"""The recorded events task evaluations are computed from, loaded for many tasks in a fixed number of queries.

Only facts live here (who was late by how many working days, which review returned what);
what they are worth is decided by ``evaluation`` under the plan's scoring policy.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CompoundSelect, Subquery, func, or_, select, union

from app.extensions import db
from app.models import (
    Appeal,
    AppealStatus,
    Decomposition,
    DecompositionRound,
    Milestone,
    MilestoneReport,
    Plan,
    PlanTarget,
    PlanTask,
    Rectification,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
    TaskResponsibility,
    Urge,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models import (
    milestone_cooperator_table as cooperator,
)
from app.models.base import utcnow
from app.models.lifecycle import step_label
from app.models.user import UNIT_ROLES
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING

#: Stronger roles win when a unit appears in several (lead beats cooperating).
_ROLE_RANK = {ResponsibilityRole.LEAD: 0, ResponsibilityRole.RESPONSIBLE: 1, ResponsibilityRole.COOPERATING: 2}


@dataclass(frozen=True)
class Event:
    """One recorded event that moves a unit's score on a task."""

    task_id: int
    unit_id: int
    kind: str
    id: int
    on: date
    #: What it was, in Chinese (a step name, a milestone title…).
    what: str
    #: A count (overdue working days) or a code (the review step, the quality rating).
    detail: str = ""
    #: An overdue item still not done at the moment of evaluation (逾期未报).
    still_open: bool = False


@dataclass(frozen=True)
class TargetResult:
    """A plan target and the latest actual an approved report gave for it."""

    target_id: int
    phrase: str
    value: Decimal
    comparator: str | None
    measure: str
    actual: Decimal | None
    report_id: int | None
    reported_on: date | None
    #: The last day of its period: the due date of its task's last milestone (31 December of the plan's
    #: year while the task has none).
    period_end: date


@dataclass(frozen=True)
class AppealDecision:
    """An accepted appeal: the line it names (category, event kind, event id) counts ``adjusted`` points."""

    id: int
    task_id: int
    unit_id: int
    line: tuple[str, str, int]
    adjusted: Decimal
    on: date
    decided_at: datetime
    note: str


@dataclass
class TaskEvents:
    """Everything one task's evaluation needs."""

    roles: dict[int, ResponsibilityRole] = field(default_factory=dict)
    #: Units that had something due on the task by the moment of evaluation (a step's deadline passed, or a
    #: return, rating, rectification or 催办 recorded): the others are not yet assessed on it (未到考核节点).
    assessed: set[int] = field(default_factory=set)
    overdue: list[Event] = field(default_factory=list)
    returns: list[Event] = field(default_factory=list)
    ratings: list[Event] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)
    rectifications: list[Event] = field(default_factory=list)
    urges: list[Event] = field(default_factory=list)
    #: Appeals 督审处 had accepted by the moment of evaluation, oldest decision first.
    appeals: list[AppealDecision] = field(default_factory=list)


def beijing_date(moment: datetime) -> date:
    """The office day a timestamp falls on."""
    return moment.astimezone(BEIJING).date()


def load_events(task_ids: list[int], now: datetime | None = None) -> dict[int, TaskEvents]:
    """The events of each task recorded by ``now`` (default: this moment); open overdue items count until then.

    Everything is taken as it stood at ``now``: a review decided later, a 催办 sent later, a step done later
    (still open then) do not exist yet, so a past day's score is the score that day showed.
    """
    now = now or utcnow()
    found = {task_id: TaskEvents() for task_id in task_ids}
    if not task_ids:
        return found
    for task_id, roles in _unit_roles(task_ids).items():
        found[task_id].roles = roles
    loaded = {"overdue": _overdue(task_ids, now), "returns": _returns(task_ids, now),
              "ratings": _ratings(task_ids, now), "rectifications": _rectifications(task_ids, now),
              "urges": _urges(task_ids, now)}
    for name, events in loaded.items():
        for event in events:
            getattr(found[event.task_id], name).append(event)
            found[event.task_id].assessed.add(event.unit_id)
    for task_id, unit_id in _due_steps(task_ids, now):
        found[task_id].assessed.add(unit_id)
    for task_id, target in _targets(task_ids, now):
        found[task_id].targets.append(target)
    for decision in accepted_appeals(task_ids, now):
        found[decision.task_id].appeals.append(decision)
    return found


def accepted_appeals(task_ids: list[int], now: datetime, after: datetime | None = None) -> list[AppealDecision]:
    """The appeals on the tasks 督审处 had accepted by ``now`` (and after ``after``, when given), oldest first.

    One decided later did not exist yet: a past day's score is the score that day showed.
    """
    query = (select(Appeal).where(Appeal.plan_task_id.in_(task_ids), Appeal.status == AppealStatus.ACCEPTED,
                                  Appeal.decided_at <= now).order_by(Appeal.decided_at, Appeal.id))
    if after is not None:
        query = query.where(Appeal.decided_at > after)
    return [AppealDecision(a.id, a.plan_task_id, a.unit_id, (a.category, a.event_kind, a.event_id),
                           a.adjusted_points or Decimal(0), beijing_date(a.decided_at or now), a.decided_at or now,
                           a.decision_note or "") for a in db.session.scalars(query)]


def tasks_of_unit(unit_id: int) -> CompoundSelect[int]:
    """Ids of the tasks the unit answers for, from the same three sources as ``_unit_roles``."""
    return union(
        select(TaskResponsibility.task_id).where(TaskResponsibility.unit_id == unit_id),
        select(Decomposition.plan_task_id).where(Decomposition.unit_id == unit_id),
        select(Milestone.plan_task_id).join(cooperator, cooperator.c.milestone_id == Milestone.id)
        .where(cooperator.c.unit_id == unit_id),
    )


def _unit_roles(task_ids: list[int]) -> dict[int, dict[int, ResponsibilityRole]]:
    """Every unit answering for each task: named units, decomposing units, milestone cooperators."""
    named = db.session.execute(select(TaskResponsibility.task_id, TaskResponsibility.unit_id, TaskResponsibility.role)
                               .where(TaskResponsibility.task_id.in_(task_ids),
                                      TaskResponsibility.unit_id.is_not(None)))
    decomposing = db.session.execute(select(Decomposition.plan_task_id, Decomposition.unit_id)
                                     .where(Decomposition.plan_task_id.in_(task_ids)))
    cooperating = db.session.execute(select(Milestone.plan_task_id, cooperator.c.unit_id)
                                     .join(Milestone, Milestone.id == cooperator.c.milestone_id)
                                     .where(Milestone.plan_task_id.in_(task_ids)))
    found = [*named, *[(t, u, ResponsibilityRole.RESPONSIBLE) for t, u in decomposing],
             *[(t, u, ResponsibilityRole.COOPERATING) for t, u in cooperating]]
    roles: dict[int, dict[int, ResponsibilityRole]] = defaultdict(dict)
    for task_id, unit_id, role in found:
        held = roles[task_id].get(unit_id)
        if held is None or _ROLE_RANK[role] < _ROLE_RANK[held]:
            roles[task_id][unit_id] = role
    return roles


def _overdue(task_ids: list[int], now: datetime) -> list[Event]:
    """Unit steps done (or still open) after their due date, in working days."""
    calendar = deadlines.work_calendar()
    # Columns, not rows, and only the late ones: a province holds ~100,000 work items.
    rows = db.session.execute(
        select(WorkflowInstance.plan_task_id, WorkItem.id, WorkItem.unit_id, WorkItem.step_name,
               WorkItem.due_at, WorkItem.completed_at)
        .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
        .where(WorkflowInstance.plan_task_id.in_(task_ids), WorkItem.role.in_(UNIT_ROLES),
               WorkItem.unit_id.is_not(None), WorkItem.due_at.is_not(None), WorkItem.due_at < now,
               WorkItem.created_at <= now, WorkItem.state != WorkItemState.CANCELLED,
               or_(WorkItem.completed_at.is_(None), WorkItem.completed_at > WorkItem.due_at))
        .order_by(WorkItem.id))
    events = []
    counted: dict[tuple[date, date], int] = {}  # a province's late items share few (due, done) day pairs
    for task_id, item_id, unit_id, step_name, due_at, completed_at in rows:
        if task_id is None or unit_id is None or due_at is None:  # excluded in SQL; narrows the types
            continue
        if completed_at is not None and completed_at > now:
            completed_at = None  # done only after the moment of evaluation: still open then
        done = completed_at or now
        if done <= due_at:
            continue
        span = (beijing_date(due_at), beijing_date(done))
        if span not in counted:
            counted[span] = calendar.working_days_between(*span)
        days = counted[span]
        if days > 0:
            done_text = f"{beijing_date(completed_at)} 办理" if completed_at else "至今未办理"
            what = f"{step_name}(期限 {beijing_date(due_at)},{done_text})"
            events.append(Event(task_id, unit_id, "work_item", item_id, beijing_date(due_at), what,
                                str(days), still_open=completed_at is None))
    return events


def _due_steps(task_ids: list[int], now: datetime) -> set[tuple[int, int]]:
    """(task, unit) pairs with a unit step whose deadline had passed by ``now``, done or not."""
    rows = db.session.execute(
        select(WorkflowInstance.plan_task_id, WorkItem.unit_id).distinct()
        .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
        .where(WorkflowInstance.plan_task_id.in_(task_ids), WorkItem.role.in_(UNIT_ROLES),
               WorkItem.unit_id.is_not(None), WorkItem.due_at < now, WorkItem.created_at <= now,
               WorkItem.state != WorkItemState.CANCELLED))
    return {(task_id, unit_id) for task_id, unit_id in rows if task_id is not None and unit_id is not None}


def _returns(task_ids: list[int], now: datetime) -> list[Event]:
    """Returned decompositions and reports, charged to the unit that submitted them."""
    columns = (ReviewRecord.id, ReviewRecord.plan_task_id, ReviewRecord.decided_at, ReviewRecord.step)
    by_round = (select(*columns, Decomposition.unit_id)
                .join(DecompositionRound, DecompositionRound.id == ReviewRecord.decomposition_round_id)
                .join(Decomposition, Decomposition.id == DecompositionRound.decomposition_id))
    by_report = (select(*columns, Milestone.unit_id)
                 .join(MilestoneReport, MilestoneReport.id == ReviewRecord.milestone_report_id)
                 .join(Milestone, Milestone.id == MilestoneReport.milestone_id))
    events = []
    for query in (by_round, by_report):
        rows = db.session.execute(query.where(ReviewRecord.plan_task_id.in_(task_ids), ReviewRecord.decided_at <= now,
                                              ReviewRecord.decision == ReviewDecision.RETURN))
        events += [Event(r.plan_task_id, r.unit_id, "review_record", r.id, beijing_date(r.decided_at),
                         step_label(r.step), r.step) for r in rows]
    return sorted(events, key=lambda e: e.id)


def _ratings(task_ids: list[int], now: datetime) -> list[Event]:
    """The quality rating of each approved milestone, for its unit and for each of its cooperators."""
    approved = (select(ReviewRecord.id, ReviewRecord.plan_task_id, ReviewRecord.decided_at,
                       ReviewRecord.quality, Milestone.id.label("milestone_id"), Milestone.title, Milestone.unit_id)
                .join(MilestoneReport, MilestoneReport.id == ReviewRecord.milestone_report_id)
                .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
                .where(ReviewRecord.plan_task_id.in_(task_ids), ReviewRecord.step == StepKey.REPORT_REVIEW,
                       ReviewRecord.decided_at <= now,
                       ReviewRecord.decision == ReviewDecision.APPROVE, ReviewRecord.quality.is_not(None))
                .order_by(ReviewRecord.id))
    rows = list(db.session.execute(approved))
    cooperators: dict[int, list[int]] = defaultdict(list)
    for milestone_id, unit_id in db.session.execute(
            select(cooperator.c.milestone_id, cooperator.c.unit_id)
            .join(Milestone, Milestone.id == cooperator.c.milestone_id)
            .where(Milestone.plan_task_id.in_(task_ids)).order_by(cooperator.c.unit_id)):
        cooperators[milestone_id].append(unit_id)
    return [Event(r.plan_task_id, unit_id, "review_record", r.id, beijing_date(r.decided_at), r.title,
                  r.quality or "")
            for r in rows for unit_id in [r.unit_id, *cooperators[r.milestone_id]]]


def approved_actuals(now: datetime) -> Subquery:
    """Per plan target, the actual of the latest report 督审处 had approved by ``now`` (rank 1), with the report.

    A report waiting for review or returned is not a figure anyone has signed off: it never counts as the actual.
    """
    # Ranked in SQL, a few columns each: a province has ~25,000 actuals.
    approved = (select(ReviewRecord.milestone_report_id).where(
        ReviewRecord.step == StepKey.REPORT_REVIEW, ReviewRecord.decision == ReviewDecision.APPROVE,
        ReviewRecord.decided_at <= now))
    return (select(TargetActual.plan_target_id, TargetActual.actual, MilestoneReport.id.label("report_id"),
                   MilestoneReport.submitted_at,
                   func.row_number().over(
                       partition_by=TargetActual.plan_target_id,
                       order_by=(MilestoneReport.submitted_at.desc(), MilestoneReport.id.desc()),
                   ).label("rank"))
            .join(MilestoneReport, MilestoneReport.id == TargetActual.report_id)
            .where(MilestoneReport.id.in_(approved)).subquery("approved_actuals"))


def _targets(task_ids: list[int], now: datetime) -> list[tuple[int, TargetResult]]:
    """Each plan target with the actual of the latest approved report that gave one, and the end of its period."""
    ranked = approved_actuals(now)
    latest = {row.plan_target_id: row for row in db.session.execute(
        select(ranked.c.plan_target_id, ranked.c.actual, ranked.c.report_id, ranked.c.submitted_at)
        .join(PlanTarget, PlanTarget.id == ranked.c.plan_target_id)
        .where(ranked.c.rank == 1, PlanTarget.task_id.in_(task_ids)))}
    last_due = dict(db.session.execute(select(Milestone.plan_task_id, func.max(Milestone.due_date))
                                       .where(Milestone.plan_task_id.in_(task_ids))
                                       .group_by(Milestone.plan_task_id)).all())
    results = []
    for target in db.session.execute(
            select(PlanTarget.id, PlanTarget.task_id, PlanTarget.phrase, PlanTarget.value,
                   PlanTarget.comparator, PlanTarget.unit, Plan.year)
            .join(PlanTask, PlanTask.id == PlanTarget.task_id).join(Plan, Plan.id == PlanTask.plan_id)
            .where(PlanTarget.task_id.in_(task_ids)).order_by(PlanTarget.task_id, PlanTarget.span_start)):
        found = latest.get(target.id)
        results.append((target.task_id, TargetResult(
            target.id, target.phrase, target.value, target.comparator, target.unit,
            found.actual if found else None, found.report_id if found else None,
            beijing_date(found.submitted_at) if found else None,
            last_due.get(target.task_id) or date(target.year, 12, 31))))
    return results


def _rectifications(task_ids: list[int], now: datetime) -> list[Event]:
    rows = db.session.scalars(select(Rectification).where(Rectification.plan_task_id.in_(task_ids),
                                                          Rectification.opened_at <= now)
                              .order_by(Rectification.id))
    return [Event(r.plan_task_id, r.unit_id, "rectification", r.id, beijing_date(r.opened_at), r.requirement,
                  r.status.label) for r in rows]


def _urges(task_ids: list[int], now: datetime) -> list[Event]:
    rows = db.session.scalars(select(Urge).where(Urge.plan_task_id.in_(task_ids), Urge.sent_at <= now)
                              .order_by(Urge.id))
    return [Event(u.plan_task_id, u.unit_id, "urge", u.id, beijing_date(u.sent_at), u.message) for u in rows]
