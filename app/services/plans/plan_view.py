"""What the plan page shows: its tasks a page at a time, with what each card needs loaded up front."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import PlanTask, TaskResponsibility, Unit
from app.services.lifecycle.work_items import paginate

#: The plan page's sort orders: value -> label; the first is the default.
PLAN_SORTS = {"number": "按任务序号", "light": "问题严重的在前"}


@dataclass(frozen=True)
class PlanFilter:
    """The plan page's filter: a unit answering for the task, a light, the sort (all kept in the URL)."""

    unit: int | None = None
    light: str | None = None
    sort: str = "number"

    @classmethod
    def from_args(cls, args: Mapping[str, str], lights: tuple[str, ...]) -> PlanFilter:
        unit = args.get("unit") or ""
        return cls(unit=int(unit) if unit.isdigit() and len(unit) < 10 else None,
                   light=args.get("light") if args.get("light") in lights else None,
                   sort=args.get("sort") if args.get("sort") in PLAN_SORTS else "number")  # type: ignore[arg-type]


def task_page(plan_id: int, page: int, chosen: PlanFilter | None = None,
              severity: Mapping[int, int] | None = None, lights: Mapping[int, str] | None = None) -> Pagination:
    """One page of the plan's tasks; responsibilities (with unit or group) and targets loaded.

    ``lights`` (task id -> light) narrows to ``chosen.light``; ``severity`` (task id -> 0..3) sorts the worst first.
    """
    chosen = chosen or PlanFilter()
    query = (select(PlanTask).where(PlanTask.plan_id == plan_id)
             .options(selectinload(PlanTask.targets),
                      selectinload(PlanTask.responsibilities).selectinload(TaskResponsibility.unit),
                      selectinload(PlanTask.responsibilities).selectinload(TaskResponsibility.group)))
    if chosen.unit is not None:
        query = query.where(PlanTask.id.in_(select(TaskResponsibility.task_id)
                                            .where(TaskResponsibility.unit_id == chosen.unit)))
    if chosen.light and lights is not None:
        query = query.where(PlanTask.id.in_([task_id for task_id, light in lights.items() if light == chosen.light]))
    if chosen.sort == "light" and severity:
        query = query.order_by(case(dict(severity), value=PlanTask.id, else_=0).desc())
    return paginate(query.order_by(PlanTask.number, PlanTask.id), page)


def plan_units(plan_id: int) -> list[tuple[int, str]]:
    """The units answering for some task of the plan (the unit filter's choices), by name."""
    rows = db.session.execute(
        select(Unit.id, Unit.name).distinct().join(TaskResponsibility, TaskResponsibility.unit_id == Unit.id)
        .join(PlanTask, PlanTask.id == TaskResponsibility.task_id).where(PlanTask.plan_id == plan_id)
        .order_by(Unit.name)).all()
    return [(row.id, row.name) for row in rows]
