"""Per-milestone and per-task facts as SQL subqueries, the base of every aggregate.

Date-dependent figures are taken *as of* a day (Beijing time): a milestone counts as
approved only if 督审处 approved it on or before that day, so a bulletin dated in the
past shows the numbers of that day.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.selectable import Subquery

from app.models import (
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    Milestone,
    MilestoneReport,
    PlanTask,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    TaskResponsibility,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.services.timing.workdays import BEIJING

#: 临期: not yet approved and due within this many calendar days.
DUE_SOON_DAYS = 7
#: The roles that make a unit answer for a task as its own (牵头 or 负责).
OWNING_ROLES = (ResponsibilityRole.LEAD, ResponsibilityRole.RESPONSIBLE)


class beijing_date(FunctionElement[date]):
    """The Beijing calendar day of a UTC timestamp column, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(beijing_date)
def _beijing_date_default(element: beijing_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores UTC text without an offset; Beijing has no daylight saving time.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_date, "postgresql")
def _beijing_date_pg(element: beijing_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


def beijing_today() -> date:
    """Today in Beijing, the default as-of day."""
    return datetime.now(BEIJING).date()


class TaskState(enum.StrEnum):
    """Where a task stands as a whole (its units' decompositions and lifecycles together)."""

    NOT_STARTED = "not_started"
    DECOMPOSING = "decomposing"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"not_started": "未启动", "decomposing": "分解中", "in_progress": "推进中",
                "closed": "已办结"}[self.value]


@dataclass(frozen=True)
class Filters:
    """What the 督审处 dashboard is narrowed to; None means everything."""

    section_id: int | None = None
    unit_id: int | None = None
    state: TaskState | None = None
    light: str | None = None
    #: The tasks showing ``light``, once judged (see ``with_lights_judged``); None: judge when needed.
    light_task_ids: tuple[int, ...] | None = None

    @property
    def active(self) -> bool:
        """True when anything narrows the view."""
        return any(value is not None for value in (self.section_id, self.unit_id, self.state, self.light))


def task_facts(plan_id: int, as_of: date | None = None) -> Subquery:
    """One row per task of the plan: id, number, title, section, supervision number, state (as of a past day
    when ``as_of`` is one: see ``_past_states``)."""
    if as_of is not None and as_of < beijing_today():
        decomposed, lifecycles = _past_states(as_of)
    else:
        decomposed = (select(Decomposition.plan_task_id.label("task_id"), func.count().label("n"),
                             func.sum(case((Decomposition.status == DecompositionStatus.CONFIRMED, 1), else_=0))
                             .label("confirmed"))
                      .group_by(Decomposition.plan_task_id).subquery())
        lifecycles = (select(WorkflowInstance.plan_task_id.label("task_id"), func.count().label("n"),
                             func.sum(case((WorkflowInstance.status == WorkflowStatus.COMPLETED, 1), else_=0))
                             .label("done"))
                      .where(WorkflowInstance.subject.like("decomposition:%"))
                      .group_by(WorkflowInstance.plan_task_id).subquery())
    state = case(
        (and_(func.coalesce(lifecycles.c.n, 0) > 0, lifecycles.c.n == lifecycles.c.done), TaskState.CLOSED.value),
        (func.coalesce(decomposed.c.n, 0) == 0, TaskState.NOT_STARTED.value),
        (decomposed.c.confirmed < decomposed.c.n, TaskState.DECOMPOSING.value),
        else_=TaskState.IN_PROGRESS.value,
    )
    return (select(PlanTask.id.label("task_id"), PlanTask.number, PlanTask.title, PlanTask.section_id,
                   PlanTask.supervision_number, state.label("state"))
            .outerjoin(decomposed, decomposed.c.task_id == PlanTask.id)
            .outerjoin(lifecycles, lifecycles.c.task_id == PlanTask.id)
            .where(PlanTask.plan_id == plan_id).subquery("task_facts"))


def _past_states(as_of: date) -> tuple[Subquery, Subquery]:
    """Per task, as they stood at the end of ``as_of`` (from the records, not today's statuses): its
    decompositions once its lifecycle had started, and those 督审处 had confirmed by then; its lifecycles
    started by then, and those whose closure (办结) had been done by then."""
    started = and_(WorkflowInstance.subject.like("decomposition:%"),
                   beijing_date(WorkflowInstance.created_at) <= as_of)
    confirmed = (select(DecompositionRound.decomposition_id.label("decomposition_id"))
                 .join(ReviewRecord, and_(ReviewRecord.subject == "decomposition_round",
                                          ReviewRecord.subject_id == DecompositionRound.id))
                 .where(ReviewRecord.step == "decomposition_review", ReviewRecord.decision == ReviewDecision.APPROVE,
                        beijing_date(ReviewRecord.decided_at) <= as_of))
    decomposed = (select(Decomposition.plan_task_id.label("task_id"), func.count().label("n"),
                         func.sum(case((Decomposition.id.in_(confirmed), 1), else_=0)).label("confirmed"))
                  .where(Decomposition.plan_task_id.in_(select(WorkflowInstance.plan_task_id).where(started)))
                  .group_by(Decomposition.plan_task_id).subquery())
    closed = (select(WorkItem.instance_id).where(WorkItem.step_id == "task_closure",
                                                 WorkItem.state == WorkItemState.COMPLETED,
                                                 beijing_date(WorkItem.completed_at) <= as_of))
    lifecycles = (select(WorkflowInstance.plan_task_id.label("task_id"), func.count().label("n"),
                         func.sum(case((WorkflowInstance.id.in_(closed), 1), else_=0)).label("done"))
                  .where(started).group_by(WorkflowInstance.plan_task_id).subquery())
    return decomposed, lifecycles


def approvals() -> Subquery:
    """Per milestone: the day 督审处 approved it and the day the approved report was submitted."""
    return (select(MilestoneReport.milestone_id,
                   func.min(beijing_date(ReviewRecord.decided_at)).label("approved_on"),
                   func.min(beijing_date(MilestoneReport.submitted_at)).label("delivered_on"))
            .join(ReviewRecord, and_(ReviewRecord.subject == "milestone_report",
                                     ReviewRecord.subject_id == MilestoneReport.id))
            .where(ReviewRecord.step == "report_review", ReviewRecord.decision == ReviewDecision.APPROVE)
            .group_by(MilestoneReport.milestone_id).subquery("approvals"))


def milestone_facts(plan_id: int, as_of: date) -> Subquery:
    """One row per milestone of the plan with its as-of flags (approved, overdue, due, due soon, on time)."""
    ap = approvals()
    approved = and_(ap.c.approved_on.is_not(None), ap.c.approved_on <= as_of)
    soon = date.fromordinal(as_of.toordinal() + DUE_SOON_DAYS)
    flag = lambda condition: case((condition, 1), else_=0)  # noqa: E731
    return (select(Milestone.id.label("milestone_id"), Milestone.plan_task_id.label("task_id"), Milestone.unit_id,
                   Milestone.title, Milestone.due_date, Milestone.status, ap.c.approved_on, ap.c.delivered_on,
                   flag(approved).label("approved"),
                   flag(and_(~approved, Milestone.due_date < as_of)).label("overdue"),
                   # 应完成: due before the day, or delivered already (early delivery counts as on time).
                   flag(or_(Milestone.due_date < as_of, approved)).label("due"),
                   flag(and_(~approved, Milestone.due_date >= as_of, Milestone.due_date <= soon)).label("due_soon"),
                   flag(and_(approved, ap.c.delivered_on <= Milestone.due_date))
                   .label("on_time"))
            .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
            .outerjoin(ap, ap.c.milestone_id == Milestone.id)
            .where(PlanTask.plan_id == plan_id).subquery("milestone_facts"))


def with_lights_judged(plan_id: int, as_of: date, filters: Filters) -> Filters:
    """``filters`` with its light judged into task ids once, for a page whose aggregates all filter by it."""
    if filters.light is None or filters.light_task_ids is not None:
        return filters
    from app.services.dashboards.lighting import tasks_with_light

    return replace(filters, light_task_ids=tuple(tasks_with_light(plan_id, as_of, filters.light)))


def scoped_task_ids(plan_id: int, filters: Filters, as_of: date) -> Select:
    """The ids of the plan's tasks that pass ``filters`` (their state as of the day)."""
    tasks = task_facts(plan_id, as_of)
    query = select(tasks.c.task_id)
    if filters.section_id is not None:
        query = query.where(tasks.c.section_id == filters.section_id)
    if filters.state is not None:
        query = query.where(tasks.c.state == filters.state.value)
    if filters.unit_id is not None:
        query = query.where(or_(
            tasks.c.task_id.in_(select(TaskResponsibility.task_id)
                                .where(TaskResponsibility.unit_id == filters.unit_id)),
            tasks.c.task_id.in_(select(Milestone.plan_task_id).where(Milestone.unit_id == filters.unit_id)),
        ))
    if filters.light is not None:
        # Ids, not the lights query nested here: nested, it overflowed SQLite's parser stack. They are written
        # into the SQL as numbers, so no bound-parameter limit applies either.
        judged = with_lights_judged(plan_id, as_of, filters).light_task_ids
        query = query.where(tasks.c.task_id.in_(bindparam(None, list(judged or ()), expanding=True,
                                                          literal_execute=True)))
    return query


def percent(part: float | Decimal, whole: float | Decimal) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; None when there is nothing to count."""
    return round(100.0 * float(part) / float(whole), 1) if whole else None

