"""The 督审处 dashboard's figures: counts by state, progress by section and by unit, headline totals."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, select

from app.extensions import db
from app.formatting import chinese_numeral
from app.models import Milestone, PlanSection, PlanTask, TaskResponsibility, Unit
from app.services.dashboards.facts import Filters, TaskState, milestone_facts, percent, scoped_task_ids, task_facts
from app.services.plans.plan_scope import PlanIds, in_plans

#: The line of section progress that counts registered 督办事项 (they belong to no section of a plan).
ITEMS_SECTION = "督办事项"


class _Rates:
    """The two rates every row of milestone counts shows."""

    milestones: int
    approved: int
    due: int
    on_time: int

    @property
    def percent_done(self) -> float | None:
        """Approved milestones out of all milestones."""
        return percent(self.approved, self.milestones)

    @property
    def on_time_rate(self) -> float | None:
        """Milestones delivered by their due date out of those already due."""
        return percent(self.on_time, self.due)


@dataclass(frozen=True)
class Totals(_Rates):
    """Headline numbers of a plan (or of the filtered part of it) as of a day."""

    tasks: int
    closed_tasks: int
    milestones: int
    approved: int
    overdue: int
    due_soon: int
    due: int
    on_time: int


@dataclass(frozen=True)
class Progress(_Rates):
    """Progress of one section or one unit."""

    id: int
    name: str
    tasks: int
    milestones: int
    approved: int
    overdue: int
    due: int
    on_time: int


def _milestone_sums(facts: Subquery) -> tuple[ColumnElement[Any], ...]:
    return (func.count(facts.c.milestone_id), func.coalesce(func.sum(facts.c.approved), 0),
            func.coalesce(func.sum(facts.c.overdue), 0), func.coalesce(func.sum(facts.c.due), 0),
            func.coalesce(func.sum(facts.c.on_time), 0))


def state_counts(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> dict[TaskState, int]:
    """How many tasks are in each state (every state listed, zeros included; 已中止 only when a task is)."""
    tasks = task_facts(plan_ids, as_of)
    rows = db.session.execute(
        select(tasks.c.state, func.count()).where(tasks.c.task_id.in_(scoped_task_ids(plan_ids, filters, as_of)))
        .group_by(tasks.c.state)).all()
    found = {TaskState(state): count for state, count in rows}
    return {state: found.get(state, 0) for state in TaskState
            if state is not TaskState.SUSPENDED or found.get(state)}


def totals(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> Totals:
    """The headline numbers."""
    scope = scoped_task_ids(plan_ids, filters, as_of)
    facts = milestone_facts(plan_ids, as_of)
    milestones, approved, overdue, due, on_time = db.session.execute(
        select(*_milestone_sums(facts)).where(facts.c.task_id.in_(scope))).one()
    soon = db.session.scalars(select(func.coalesce(func.sum(facts.c.due_soon), 0))
                              .where(facts.c.task_id.in_(scope))).one()
    counts = state_counts(plan_ids, as_of, filters)
    return Totals(sum(counts.values()), counts[TaskState.CLOSED], milestones, approved, overdue, soon, due, on_time)


def section_progress(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[Progress]:
    """Progress of each section (一 … 八), in plan order."""
    scope = scoped_task_ids(plan_ids, filters, as_of)
    tasks = task_facts(plan_ids, as_of)
    facts = milestone_facts(plan_ids, as_of)
    per_section = (select(tasks.c.section_id, *_milestone_sums(facts))
                   .select_from(tasks).outerjoin(facts, facts.c.task_id == tasks.c.task_id)
                   .where(tasks.c.task_id.in_(scope)).group_by(tasks.c.section_id).subquery())
    task_counts = (select(tasks.c.section_id, func.count().label("n")).where(tasks.c.task_id.in_(scope))
                   .group_by(tasks.c.section_id).subquery())
    rows = db.session.execute(
        select(PlanSection.id, PlanSection.number, PlanSection.title, func.coalesce(task_counts.c.n, 0),
               *[func.coalesce(c, 0) for c in list(per_section.c)[1:]])
        .outerjoin(per_section, per_section.c.section_id == PlanSection.id)
        .outerjoin(task_counts, task_counts.c.section_id == PlanSection.id)
        .where(in_plans(PlanSection.plan_id, plan_ids)).order_by(PlanSection.plan_id, PlanSection.number)).all()
    progress = [Progress(row[0], f"{chinese_numeral(row[1])}、{row[2]}", *row[3:]) for row in rows
                if filters.section_id in (None, row[0])]
    if filters.section_id is None:
        # Registered items belong to no section: one line for them all, after the plans' sections.
        loose = db.session.execute(
            select(task_counts.c.n, *[func.coalesce(c, 0) for c in list(per_section.c)[1:]])
            .join(per_section, per_section.c.section_id.is_(None)).where(task_counts.c.section_id.is_(None))).first()
        if loose is not None:
            progress.append(Progress(0, ITEMS_SECTION, *loose))
    return progress


def unit_progress(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[Progress]:
    """Progress of each unit that holds milestones, by the milestones it owns; most behind first."""
    scope = scoped_task_ids(plan_ids, filters, as_of)
    facts = milestone_facts(plan_ids, as_of)
    query = (select(Unit.id, Unit.name, func.count(func.distinct(facts.c.task_id)), *_milestone_sums(facts))
             .join(facts, facts.c.unit_id == Unit.id).where(facts.c.task_id.in_(scope)).group_by(Unit.id, Unit.name))
    if (units := filters.units) is not None:
        query = query.where(Unit.id.in_(units))
    progress = [Progress(*row) for row in db.session.execute(query).all()]
    return sorted(progress, key=lambda p: (-p.overdue, p.percent_done or 0.0, p.name))


def units_by_on_time_rate(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> list[Progress]:
    """Units ranked by on-time rate, best first; units with nothing due yet come last."""
    units = unit_progress(plan_ids, as_of, filters)
    return sorted(units, key=lambda p: (p.on_time_rate is None, -(p.on_time_rate or 0.0), p.overdue, p.name))


def section_choices(plan_ids: PlanIds) -> list[tuple[int, str]]:
    """The plan's sections, for the filter."""
    rows = db.session.execute(select(PlanSection.id, PlanSection.number, PlanSection.title)
                              .where(in_plans(PlanSection.plan_id, plan_ids)).order_by(PlanSection.number)).all()
    return [(id_, f"{chinese_numeral(number)}、{title}") for id_, number, title in rows]


def unit_choices(plan_ids: PlanIds) -> list[tuple[int, str]]:
    """Units that hold milestones or tasks of the plan, for the filter."""
    ids = select(Milestone.unit_id).join(PlanTask).where(in_plans(PlanTask.plan_id, plan_ids)).union(
        select(TaskResponsibility.unit_id).join(PlanTask).where(in_plans(PlanTask.plan_id, plan_ids)))
    return list(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)).order_by(Unit.id)).all())
