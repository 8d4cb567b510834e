"""汇总 across levels: a provincial task's progress in each city, the province-wide actual, the cities ranked.

A city's task is linked to the provincial one (``PlanTask.parent_task_id``) and its targets sit where the
provincial task's do (same text, same spans). The province-wide actual of a count target is the sum of the
cities' approved actuals plus the province's own; a rate (100%, 10批次/千人) is a threshold each city must
reach, so it is never summed: the roll-up counts the cities that reached it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import Milestone, MilestoneStatus, Organisation, Plan, PlanTarget, PlanTask
from app.services.dashboards import lights, overview
from app.services.dashboards.facts import percent
from app.services.dashboards.lights import Light, LightVerdict
from app.services.dashboards.targets import TargetProgress, target_progress
from app.services.plans import dispatch, plan_scope


@dataclass(frozen=True)
class CityTask:
    """One city's copy of a provincial task: its light, milestones and approved actuals (by target span)."""

    organisation: Organisation
    task: PlanTask
    light: LightVerdict | None
    milestones: int
    approved: int
    actuals: dict[int, TargetProgress]

    @property
    def percent_done(self) -> float | None:
        return percent(self.approved, self.milestones)


@dataclass(frozen=True)
class RolledTarget:
    """A provincial target with what the cities and the province itself have reached."""

    phrase: str
    value: Decimal
    unit: str
    rate: bool
    #: The province's own approved actual (None: none).
    own: Decimal | None
    #: The sum of the cities' approved actuals (counts only).
    cities_sum: Decimal
    reporting: int
    #: Cities whose approved actual reaches their own target (rates: the threshold itself).
    attained: int

    @property
    def total(self) -> Decimal | None:
        """The province-wide figure: cities' sum plus the province's own; None for a rate."""
        return None if self.rate else self.cities_sum + (self.own or Decimal(0))

    @property
    def percent(self) -> float | None:
        total = self.total
        return None if total is None else percent(total, self.value)


@dataclass(frozen=True)
class TaskRollup:
    """The 各市州落实情况 of one provincial task."""

    cities: list[CityTask]
    targets: list[RolledTarget] = field(default_factory=list)


def task_rollup(task: PlanTask, as_of: date, now: datetime) -> TaskRollup:
    """Each city's copy of ``task`` and the province-wide figures of its targets (as approved by ``as_of``)."""
    children = list(db.session.scalars(
        select(PlanTask).join(Plan, Plan.id == PlanTask.plan_id).where(PlanTask.parent_task_id == task.id)
        .order_by(Plan.organisation_id)))
    if not children:
        return TaskRollup([])
    ids = [child.id for child in children]
    verdicts = lights.task_lights(now, task_ids=ids)
    counts = {row.plan_task_id: (row.total, row.approved or 0) for row in db.session.execute(
        select(Milestone.plan_task_id, func.count().label("total"),
               func.sum(case((Milestone.status == MilestoneStatus.APPROVED, 1), else_=0)).label("approved"))
        .where(Milestone.plan_task_id.in_(ids)).group_by(Milestone.plan_task_id))}
    progress = _progress_by_task(sorted({child.plan_id for child in children}), as_of, set(ids))
    rows = [CityTask(child.plan.organisation, child, verdicts.get(child.id), *counts.get(child.id, (0, 0)),
                     actuals=progress.get(child.id, {})) for child in children]
    own = _progress_by_task([task.plan_id], as_of, {task.id}).get(task.id, {})
    targets = []
    for target in task.targets:
        found = [row.actuals[target.span_start] for row in rows if target.span_start in row.actuals]
        reported = [item for item in found if item.reported is not None]
        mine = own.get(target.span_start)
        targets.append(RolledTarget(
            target.phrase, target.value, target.unit, dispatch.is_rate(target),
            mine.reported if mine else None, sum((item.reported or Decimal(0) for item in reported), Decimal(0)),
            len(reported), sum(1 for item in reported if _attained(item))))
    return TaskRollup(rows, targets)


def _progress_by_task(plan_ids: list[int], as_of: date, task_ids: set[int]) -> dict[int, dict[int, TargetProgress]]:
    """Per task, its targets' progress keyed by where the target stands in the text."""
    found: dict[int, list[TargetProgress]] = {}
    for item in target_progress(plan_ids, as_of):
        if item.task_id in task_ids:
            found.setdefault(item.task_id, []).append(item)
    starts = _span_starts(task_ids)
    return {task_id: dict(zip(starts.get(task_id, []), items, strict=False)) for task_id, items in found.items()}


def _span_starts(task_ids: set[int]) -> dict[int, list[int]]:
    """Each task's targets' span starts, in the order ``target_progress`` lists them."""
    starts: dict[int, list[int]] = {}
    for task_id, start in db.session.execute(select(PlanTarget.task_id, PlanTarget.span_start)
                                             .where(PlanTarget.task_id.in_(task_ids))
                                             .order_by(PlanTarget.task_id, PlanTarget.span_start)):
        starts.setdefault(task_id, []).append(start)
    return starts


def _attained(item: TargetProgress) -> bool:
    if item.reported is None:
        return False
    return item.reported <= item.value if item.comparator == "<=" else item.reported >= item.value


@dataclass(frozen=True)
class CityRow:
    """One city bureau on /dashboards/cities."""

    organisation: Organisation
    totals: overview.Totals
    lights: Counter[Light]
    targets: int
    attained: int

    @property
    def light_counts(self) -> dict[str, int]:
        """Tasks per light by its Chinese label (红黄蓝绿), as the charts count them."""
        return {light.label: self.lights[light] for light in Light}

    @property
    def worst(self) -> Light | None:
        """The worst light of the city's tasks (what the map colours it by)."""
        present = [light for light in self.lights if self.lights[light]]
        return max(present, key=lambda light: light.severity) if present else None


def city_rows(organisation_id: int, as_of: date, now: datetime) -> list[CityRow]:
    """The bureaus below ``organisation_id``, ranked by 按期完成率, then share of milestones approved, then
    fewest red lights; a city with nothing due yet ranks after those with a rate."""
    rows = []
    for city in dispatch.cities_of(organisation_id):
        plan_ids = [plan.id for plan in plan_scope.active_plans(city.id)]
        totals = overview.totals(plan_ids, as_of)
        verdicts = lights.task_lights(now, plan_id=plan_ids) if plan_ids else {}
        targets = target_progress(plan_ids, as_of) if plan_ids else []
        rows.append(CityRow(city, totals, Counter(verdict.light for verdict in verdicts.values()), len(targets),
                            sum(1 for item in targets if _attained(item))))
    return sorted(rows, key=lambda row: (row.totals.on_time_rate is None, -(row.totals.on_time_rate or 0),
                                         -(row.totals.percent_done or 0), row.lights[Light.RED],
                                         row.organisation.id))
