"""Traffic lights (红黄蓝绿) on tasks, milestones and work items, judged in SQL, each with its reason.

``rules`` says what each light means and holds the numbers a judgement uses, ``queries`` finds each
part's finding in SQL, ``reasons`` words it in Chinese; the functions here put the three together.
A task's reason names its worst part, e.g. "节点「…」已逾期 2 个工作日（应于 2023年10月9日 完成）".
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, null, select

from app.extensions import db
from app.models import HoldKind, Milestone, PlanTask, WorkflowInstance, WorkItem
from app.models.plan import held_by
from app.services.dashboards.lights import queries, reasons
from app.services.dashboards.lights.rules import Light, LightVerdict, context
from app.services.plans.plan_scope import PlanIds, in_plans

__all__ = ["Light", "LightVerdict", "TaskLights", "lights_of_task", "milestone_lights", "task_light_rows",
           "task_lights", "work_item_lights"]


def task_lights(as_of: datetime, *, plan_id: PlanIds | None = None,
                task_ids: Iterable[int] | None = None) -> dict[int, LightVerdict]:
    """Each task's light at ``as_of``: of one plan (or several), of the given tasks, or of every task."""
    scope = []
    if plan_id is not None:
        scope.append(in_plans(PlanTask.plan_id, plan_id))
    if task_ids is not None:
        scope.append(PlanTask.id.in_(list(task_ids)))
    ctx = context(as_of)
    parts = queries.task_parts(ctx, *scope)
    # Two plain queries, merged here: joining tasks to the ranked parts makes planners re-rank per task.
    hold = case((held_by(as_of), PlanTask.hold_kind), else_=null())
    closed = {task_id: (is_closed, held) for task_id, is_closed, held in db.session.execute(
        select(PlanTask.id, queries.closed(), hold).where(*scope)).all()}
    worst = {row["plan_task_id"]: row for row in db.session.execute(select(parts).where(parts.c.rank == 1)).mappings()}
    return {task_id: reasons.task_verdict(ctx, is_closed, worst.get(task_id), HoldKind(held) if held else None)
            for task_id, (is_closed, held) in closed.items()}


def task_light_rows(as_of: datetime, plan_ids: PlanIds) -> Select[Any]:
    """``(plan_task_id, light)`` for every task of the plans, to count or group in SQL (closed tasks are 绿,
    suspended ones 灰).

    ``rows = task_light_rows(now, [plan.id]).subquery()``, then e.g.
    ``select(rows.c.light, func.count()).group_by(rows.c.light)``.
    """
    of_plans = in_plans(PlanTask.plan_id, plan_ids)
    worst = queries.task_severities(context(as_of), of_plans)
    light = case((held_by(as_of, HoldKind.SUSPEND), Light.GREY.value),
                 else_=case({light.severity: light.value for light in Light}, value=func.coalesce(worst.c.severity, 0),
                            else_=Light.GREEN.value))
    return (select(PlanTask.id.label("plan_task_id"), light.label("light"))
            .outerjoin(worst, worst.c.plan_task_id == PlanTask.id).where(of_plans, PlanTask.cancelled_at.is_(None)))


def milestone_lights(as_of: datetime, *, plan_id: PlanIds | None = None,
                     milestone_ids: Iterable[int] | None = None) -> dict[int, LightVerdict]:
    """Each milestone's light at ``as_of``: of one plan (or several), the given milestones, or all."""
    return _milestone_lights(as_of, plan_id=plan_id, ids=None if milestone_ids is None else list(milestone_ids))


def _milestone_lights(as_of: datetime, *, plan_id: PlanIds | None = None, ids: list[int] | None = None,
                      task_id: int | None = None) -> dict[int, LightVerdict]:
    scope = [in_plans(PlanTask.plan_id, plan_id)] if plan_id is not None else []
    scope += [clause for clause, given in ((PlanTask.id == task_id, task_id), (Milestone.id.in_(ids or []), ids))
              if given is not None]
    ctx = context(as_of)
    query = select(queries.milestone_facts(ctx, *scope))
    return {row["id"]: reasons.verdict(ctx, row) for row in db.session.execute(query).mappings()}


def work_item_lights(item_ids: Iterable[int], as_of: datetime) -> dict[int, LightVerdict]:
    """Each given work item's light at ``as_of``."""
    ids = list(item_ids)
    if not ids:
        return {}
    ctx = context(as_of)
    tasks = PlanTask.id.in_(select(WorkflowInstance.plan_task_id)
                            .join(WorkItem, WorkItem.instance_id == WorkflowInstance.id).where(WorkItem.id.in_(ids)))
    rows = db.session.execute(select(queries.item_facts(
        ctx, WorkItem.id.in_(ids), milestones=queries.milestone_facts(ctx, tasks)))).mappings()
    return {row["id"]: reasons.verdict(ctx, row) for row in rows}


def items_lit(light: str, as_of: datetime, item_ids: list[int]) -> list[int]:
    """Those of the items whose light at ``as_of`` is ``light`` (the work-item lists' light filter)."""
    return [item_id for item_id, verdict in work_item_lights(item_ids, as_of).items() if verdict.light.value == light]


@dataclass(frozen=True)
class TaskLights:
    """Everything the task and work item pages show: the task's light, its open items', its milestones'."""

    task: LightVerdict
    items: dict[int, LightVerdict]
    milestones: dict[int, LightVerdict]


def lights_of_task(task_id: int, item_ids: Iterable[int], as_of: datetime) -> TaskLights:
    """The lights of one task's page."""
    return TaskLights(task_lights(as_of, task_ids=[task_id])[task_id], work_item_lights(item_ids, as_of),
                      _milestone_lights(as_of, task_id=task_id))
