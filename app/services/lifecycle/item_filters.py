"""Filters and sort orders of the work-item lists (待办, 已办, 催办), read from and written back to the URL.

Anything the URL says that is not a known choice is ignored (the list shows unfiltered), never an error.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from app.extensions import db
from app.models import Plan, PlanTask, Unit, WorkflowInstance, WorkItem

#: Due windows: value -> label.
DUE_WINDOWS = {"overdue": "已逾期", "3d": "3 天内到期", "7d": "7 天内到期", "none": "无期限"}
#: Lights: value -> label (judged by ``dashboards.lights``, which the caller hands in: it is a later group).
LIGHTS = {"red": "红灯(已逾期)", "yellow": "黄灯(滞后或被退回)", "blue": "蓝灯(临近期限)", "green": "绿灯"}
#: Sort orders: value -> label; the first is the default of 待办 and 催办.
SORTS = {"due": "期限由近到远", "due_desc": "期限由远到近", "task": "按督办编号", "newest": "最新在前"}

#: What a list's filter form is rendered with, beside the filter and its choices.
FILTER_OPTIONS = {"sorts": SORTS, "due_windows": DUE_WINDOWS, "light_choices": LIGHTS}
#: Given item ids, those lit as chosen (``partial(lights.items_lit, light, now)``).
LightJudge = Callable[[list[int]], list[int]]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@dataclass(frozen=True)
class ItemFilter:
    """What the user chose: plan, unit, step kind, due window, sort."""

    plan: int | None = None
    unit: int | None = None
    step: str | None = None
    due: str | None = None
    light: str | None = None
    sort: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ItemFilter:
        step = (args.get("step") or "").strip()
        return cls(
            plan=_int(args.get("plan")), unit=_int(args.get("unit")),
            step=step if step and len(step) <= 100 else None,
            due=args.get("due") if args.get("due") in DUE_WINDOWS else None,
            light=args.get("light") if args.get("light") in LIGHTS else None,
            sort=args.get("sort") if args.get("sort") in SORTS else None,
        )

    @property
    def active(self) -> bool:
        """True when something narrows the list (the sort does not)."""
        return any((self.plan, self.unit, self.step, self.due, self.light))

    def as_args(self) -> dict[str, Any]:
        """The chosen values, for links that keep them (pager, sort)."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    def apply(self, query: Select[Any], now: datetime, default_order: tuple[Any, ...],
              lit: LightJudge | None = None) -> Select[Any]:
        """``query`` (of work items) narrowed and ordered as chosen; ``default_order`` when no sort is.

        The light filter needs ``lit``; it judges the items the other filters leave.
        """
        if self.plan is not None or self.sort == "task":
            query = query.join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id) \
                .outerjoin(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id)
        if self.plan is not None:
            query = query.where(PlanTask.plan_id == self.plan)
        if self.unit is not None:
            query = query.where(WorkItem.unit_id == self.unit)
        if self.step:
            query = query.where(WorkItem.step_id == self.step)
        if self.due == "overdue":
            query = query.where(WorkItem.due_at < now)
        elif self.due in ("3d", "7d"):
            days = 3 if self.due == "3d" else 7
            query = query.where(WorkItem.due_at >= now, WorkItem.due_at < now + timedelta(days=days))
        elif self.due == "none":
            query = query.where(WorkItem.due_at.is_(None))
        if self.light and lit is not None:
            ids = list(db.session.scalars(query.with_only_columns(WorkItem.id).order_by(None)))
            query = query.where(WorkItem.id.in_(lit(ids)))
        return query.order_by(None).order_by(*self._order(default_order))

    def _order(self, default: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.sort == "due":
            return WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id
        if self.sort == "due_desc":
            return WorkItem.due_at.is_(None), WorkItem.due_at.desc(), WorkItem.id.desc()
        if self.sort == "task":
            return PlanTask.plan_id.desc(), PlanTask.number, WorkItem.due_at, WorkItem.id
        if self.sort == "newest":
            return WorkItem.created_at.desc(), WorkItem.id.desc()
        return default


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers: the plans, units and step kinds found among the list's items."""

    plans: list[tuple[int, str]]
    units: list[tuple[int, str]]
    steps: list[tuple[str, str]]


def choices(base: Select[Any]) -> FilterChoices:
    """The plans, units and steps of the items ``base`` (unfiltered, unordered) lists."""
    items = base.order_by(None).with_only_columns(WorkItem.id).subquery()
    rows = db.session.execute(
        select(WorkItem.step_id, WorkItem.step_name, WorkItem.unit_id, PlanTask.plan_id).distinct()
        .join(items, items.c.id == WorkItem.id)
        .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
        .outerjoin(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id)
    ).all()
    plan_ids = {row.plan_id for row in rows if row.plan_id}
    unit_ids = {row.unit_id for row in rows if row.unit_id}
    plans = db.session.execute(select(Plan.id, Plan.title).where(Plan.id.in_(plan_ids))
                               .order_by(Plan.year.desc(), Plan.id.desc())).all() if plan_ids else []
    units = db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))
                               .order_by(Unit.name)).all() if unit_ids else []
    steps = sorted({(row.step_id, row.step_name) for row in rows}, key=lambda step: step[1])
    return FilterChoices([tuple(p) for p in plans], [tuple(u) for u in units], steps)  # type: ignore[misc]
