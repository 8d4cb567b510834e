"""Per-milestone and per-task facts as SQL subqueries, the base of every aggregate.

Date-dependent figures are taken *as of* a day (Beijing time): a milestone counts as
approved only if 督审处 approved it on or before that day, so a bulletin dated in the
past shows the numbers of that day.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, null, or_, select
from sqlalchemy.sql.selectable import Subquery

from app.models import (
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    HoldKind,
    InstanceKind,
    Milestone,
    PlanTask,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TaskResponsibility,
    WorkflowInstance,
)
from app.models.lifecycle import task_is_closed
from app.models.plan import held_by
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.timing.sql_days import beijing_date
from app.services.timing.workdays import BEIJING

#: 临期: not yet approved and due within this many calendar days.
DUE_SOON_DAYS = 7
#: The roles that make a unit answer for a task as its own (牵头 or 负责).
OWNING_ROLES = (ResponsibilityRole.LEAD, ResponsibilityRole.RESPONSIBLE)


def beijing_today() -> date:
    """Today in Beijing, the default as-of day."""
    return datetime.now(BEIJING).date()


class TaskState(enum.StrEnum):
    """Where a task stands as a whole (its units' decompositions and lifecycles together)."""

    NOT_STARTED = "not_started"
    DECOMPOSING = "decomposing"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    #: 中止 approved: supervision stopped (a task whose stage was closed, 阶段性办结, is CLOSED).
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        return {"not_started": "未启动", "decomposing": "分解中", "in_progress": "推进中",
                "closed": "已办结", "suspended": "已中止"}[self.value]


@dataclass(frozen=True)
class Filters:
    """What the 督审处 dashboard is narrowed to; None means everything."""

    section_id: int | None = None
    unit_id: int | None = None
    state: TaskState | None = None
    light: str | None = None
    #: The tasks showing ``light``, once judged (see ``with_lights_judged``); None: judge when needed.
    light_task_ids: tuple[int, ...] | None = None
    #: Several units at once (a leader's 分管 units); combined with ``unit_id`` when both are set.
    unit_ids: tuple[int, ...] | None = None

    @property
    def active(self) -> bool:
        """True when anything narrows the view."""
        return any(value is not None for value in (self.section_id, self.unit_id, self.state, self.light,
                                                   self.unit_ids))

    @property
    def units(self) -> list[int] | None:
        """The units the view is narrowed to; None: every unit."""
        if self.unit_ids is None:
            return None if self.unit_id is None else [self.unit_id]
        return [u for u in self.unit_ids if self.unit_id in (None, u)]


def task_facts(plan_ids: PlanIds, as_of: date | None = None, within: Select[Any] | None = None) -> Subquery:
    """One row per task of the plans (of the task ids ``within`` selects, when given): id, number, title,
    section, supervision number, state (as of a past day when ``as_of`` is one: see ``_past_states``), plan."""
    tasks = select(PlanTask.id).where(in_plans(PlanTask.plan_id, plan_ids)) if within is None else within
    if as_of is not None and as_of < beijing_today():
        decomposed, closed = _past_states(tasks, as_of)
    else:
        decomposed = (select(Decomposition.plan_task_id.label("task_id"), func.count().label("n"),
                             func.sum(case((Decomposition.status == DecompositionStatus.CONFIRMED, 1), else_=0))
                             .label("confirmed"))
                      .where(Decomposition.plan_task_id.in_(tasks)).group_by(Decomposition.plan_task_id).subquery())
        closed = task_is_closed(PlanTask.id)
    moment = end_of(as_of)
    state = case(
        (held_by(moment, HoldKind.SUSPEND), TaskState.SUSPENDED.value),
        (closed, TaskState.CLOSED.value),
        (func.coalesce(decomposed.c.n, 0) == 0, TaskState.NOT_STARTED.value),
        (decomposed.c.confirmed < decomposed.c.n, TaskState.DECOMPOSING.value),
        else_=TaskState.IN_PROGRESS.value,
    )
    return (select(PlanTask.id.label("task_id"), PlanTask.number, PlanTask.title, PlanTask.section_id,
                   PlanTask.supervision_number, state.label("state"), PlanTask.plan_id,
                   case((held_by(moment), PlanTask.hold_kind), else_=null()).label("hold_kind"))
            .outerjoin(decomposed, decomposed.c.task_id == PlanTask.id)
            .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.id.in_(tasks), PlanTask.cancelled_at.is_(None))
            .subquery("task_facts"))


def end_of(as_of: date | None) -> datetime | None:
    """The instant a day's states are read at: None (now) for today or no day, else the end of the Beijing day."""
    if as_of is None or as_of >= beijing_today():
        return None
    return datetime.combine(as_of + timedelta(days=1), time(0), BEIJING)


def state_label(state: str, hold_kind: str | None) -> str:
    """A task's state in words: 阶段性办结 for a task whose stage was closed, else its state's label."""
    return HoldKind(hold_kind).state_label if hold_kind else TaskState(state).label


def _past_states(tasks: Select[Any], as_of: date) -> tuple[Subquery, ColumnElement[bool]]:
    """Per task of ``tasks``, as it stood at the end of ``as_of`` (from the records, not today's statuses): its
    decompositions once its lifecycle had started, and those 督审处 had confirmed by then; and whether it was
    closed (办结) then: every part whose lifecycle had started by then closed by then."""
    started = (select(WorkflowInstance.decomposition_id)
               .where(WorkflowInstance.kind == InstanceKind.DECOMPOSITION, WorkflowInstance.plan_task_id.in_(tasks),
                      beijing_date(WorkflowInstance.created_at) <= as_of))
    confirmed = (select(DecompositionRound.decomposition_id)
                 .join(ReviewRecord, ReviewRecord.decomposition_round_id == DecompositionRound.id)
                 .where(ReviewRecord.step == StepKey.DECOMPOSITION_REVIEW,
                        ReviewRecord.decision == ReviewDecision.APPROVE,
                        beijing_date(ReviewRecord.decided_at) <= as_of))
    closed_then = and_(Decomposition.closed_at.is_not(None), beijing_date(Decomposition.closed_at) <= as_of)
    parts = (select(Decomposition.plan_task_id.label("task_id"), func.count().label("n"),
                    func.sum(case((Decomposition.id.in_(confirmed), 1), else_=0)).label("confirmed"),
                    func.sum(case((and_(Decomposition.id.in_(started), closed_then), 1), else_=0)).label("done"),
                    func.sum(case((Decomposition.id.in_(started), 1), else_=0)).label("lifecycles"))
             .where(Decomposition.plan_task_id.in_(select(WorkflowInstance.plan_task_id)
                                                   .where(WorkflowInstance.decomposition_id.in_(started))))
             .group_by(Decomposition.plan_task_id).subquery())
    return parts, and_(func.coalesce(parts.c.lifecycles, 0) > 0, parts.c.lifecycles == parts.c.done)


def milestone_facts(plan_ids: PlanIds, as_of: date) -> Subquery:
    """One row per milestone of the plan with its as-of flags (approved, overdue, due, due soon, on time)."""
    conditions = _conditions(Milestone.approved_on, Milestone.delivered_on, Milestone.due_date, as_of)
    return (select(Milestone.id.label("milestone_id"), Milestone.plan_task_id.label("task_id"), Milestone.unit_id,
                   Milestone.title, Milestone.due_date, Milestone.status, Milestone.approved_on,
                   Milestone.delivered_on,
                   *(case((condition, 1), else_=0).label(flag) for flag, condition in conditions.items()))
            .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
            .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.cancelled_at.is_(None),
                   # a held task's milestones not approved by then are no longer expected: never overdue or due
                   or_(~held_by(end_of(as_of)), conditions["approved"]))
            .subquery("milestone_facts"))


def flagged(facts: Subquery, flag: str, as_of: date) -> ColumnElement[bool]:
    """``facts``' rows whose ``flag`` is set, as a condition on their columns: PostgreSQL cannot estimate a
    filter on the flag's CASE and plans a nested loop for thousands of rows."""
    return _conditions(facts.c.approved_on, facts.c.delivered_on, facts.c.due_date, as_of)[flag]


def _conditions(approved_on: Any, delivered_on: Any, due_date: Any, as_of: date) -> dict[str, ColumnElement[bool]]:
    approved = and_(approved_on.is_not(None), approved_on <= as_of)
    soon = date.fromordinal(as_of.toordinal() + DUE_SOON_DAYS)
    return {
        "approved": approved,
        "overdue": and_(~approved, due_date < as_of),
        # 应完成: due before the day, or delivered already (early delivery counts as on time).
        "due": or_(due_date < as_of, approved),
        "due_soon": and_(~approved, due_date >= as_of, due_date <= soon),
        "on_time": and_(approved, delivered_on <= due_date),
    }


def with_lights_judged(plan_ids: PlanIds, as_of: date, filters: Filters) -> Filters:
    """``filters`` with its light judged into task ids once, for a page whose aggregates all filter by it."""
    if filters.light is None or filters.light_task_ids is not None:
        return filters
    from app.services.dashboards.lighting import tasks_with_light

    return replace(filters, light_task_ids=tuple(tasks_with_light(plan_ids, as_of, filters.light)))


def scoped_task_ids(plan_ids: PlanIds, filters: Filters, as_of: date) -> Select:
    """The ids of the plans' tasks that pass ``filters`` (their state as of the day)."""
    tasks = task_facts(plan_ids, as_of)
    query = select(tasks.c.task_id)
    if filters.section_id is not None:
        query = query.where(tasks.c.section_id == filters.section_id)
    if filters.state is not None:
        query = query.where(tasks.c.state == filters.state.value)
    if (units := filters.units) is not None:
        query = query.where(or_(
            tasks.c.task_id.in_(select(TaskResponsibility.task_id)
                                .where(TaskResponsibility.unit_id.in_(units))),
            tasks.c.task_id.in_(select(Milestone.plan_task_id).where(Milestone.unit_id.in_(units))),
        ))
    if filters.light is not None:
        # Ids, not the lights query nested here: nested, it overflowed SQLite's parser stack. They are written
        # into the SQL as numbers, so no bound-parameter limit applies either.
        judged = with_lights_judged(plan_ids, as_of, filters).light_task_ids
        query = query.where(tasks.c.task_id.in_(bindparam(None, list(judged or ()), expanding=True,
                                                          literal_execute=True)))
    return query


def percent(part: float | Decimal, whole: float | Decimal) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; None when there is nothing to count."""
    return round(100.0 * float(part) / float(whole), 1) if whole else None

