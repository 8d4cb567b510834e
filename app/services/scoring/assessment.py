"""The annual assessment (目标责任制考核): each unit's score over a plan, aggregated from its task scores.

Unit score = Σ(task score × weight) ÷ Σ weight, weight = role weight × priority weight under the
policy each task was scored with. Closed tasks are summed in SQL from their frozen rows; open
tasks add their provisional score (暂评), and a unit's score is final only when all its tasks are.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, exists, func, select

from app.errors import NotFound
from app.extensions import db
from app.models import Plan, PlanTask, Priority, ResponsibilityRole, TaskEvaluation, Unit
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.scoring import closure, evaluation, evaluation_events
from app.services.scoring.evaluation import CENT, UnitTaskScore

_EXACT = Decimal("0.000001")


@dataclass(frozen=True)
class UnitScore:
    """A unit's annual score on a plan."""

    unit_id: int
    unit_name: str
    score: Decimal
    #: Tasks it leads or answers for (牵头/负责).
    lead_task_count: int
    cooperating_task_count: int
    #: False while any of its tasks is still open (the score includes 暂评).
    final: bool


@dataclass(frozen=True)
class TaskScoreLine:
    """One task's part in a unit's annual score."""

    task_id: int
    task_number: int
    task_title: str
    priority: Priority
    result: UnitTaskScore

    @property
    def weighted(self) -> Decimal:
        """Score × weight, this task's contribution to the numerator."""
        return self.result.score * self.result.weight


@dataclass(frozen=True)
class UnitExplanation:
    """How a unit's annual score was reached, task by task, down to the events."""

    plan_id: int
    unit_id: int
    unit_name: str
    score: Decimal | None
    final: bool
    tasks: list[TaskScoreLine]
    weighted_sum: Decimal
    weight_total: Decimal


@dataclass
class _Sums:
    weighted: Decimal = Decimal(0)
    weight: Decimal = Decimal(0)
    lead: int = 0
    cooperating: int = 0
    final: bool = True

    def add(self, weighted: Decimal, weight: Decimal, role: ResponsibilityRole, final: bool) -> None:
        self.weighted += weighted
        self.weight += weight
        self.lead += role is not ResponsibilityRole.COOPERATING
        self.cooperating += role is ResponsibilityRole.COOPERATING
        self.final = self.final and final


def unit_scores(plan_ids: PlanIds) -> list[UnitScore]:
    """Every unit with a task in the plan, its score highest first."""
    sums: dict[int, _Sums] = {}
    for unit_id, weighted, weight, lead, cooperating in db.session.execute(_frozen_sums(plan_ids)):
        entry = sums.setdefault(unit_id, _Sums())
        entry.weighted += _exact(weighted)
        entry.weight += _exact(weight)
        entry.lead += int(lead)
        entry.cooperating += int(cooperating)
    for result in evaluation.evaluate_live_many(_open_tasks(plan_ids)):
        for unit in result.units:
            sums.setdefault(unit.unit_id, _Sums()).add(unit.score * unit.weight, unit.weight, unit.role, False)
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(sums)))).all())
    scores = [UnitScore(unit_id, names[unit_id], _ratio(s.weighted, s.weight), s.lead, s.cooperating, s.final)
              for unit_id, s in sums.items() if s.weight > 0]
    return sorted(scores, key=lambda s: (-s.score, s.unit_name))


def unit_score(plan_ids: PlanIds, unit_id: int) -> UnitScore | None:
    """One unit's score on the plan (as in ``unit_scores``), evaluating only the tasks it answers for."""
    sums = _Sums()
    for _, weighted, weight, lead, cooperating in db.session.execute(
            _frozen_sums(plan_ids).where(TaskEvaluation.unit_id == unit_id)):
        sums.weighted, sums.weight = _exact(weighted), _exact(weight)
        sums.lead, sums.cooperating = int(lead), int(cooperating)
    for result in evaluation.evaluate_live_many(_open_tasks(plan_ids, unit_id)):
        for unit in result.units:
            if unit.unit_id == unit_id:
                sums.add(unit.score * unit.weight, unit.weight, unit.role, False)
    if sums.weight <= 0:
        return None
    name = db.session.scalars(select(Unit.name).where(Unit.id == unit_id)).one()
    return UnitScore(unit_id, name, _ratio(sums.weighted, sums.weight), sums.lead, sums.cooperating,
                     sums.final)


def _frozen_sums(plan_ids: PlanIds) -> Select[int, Decimal, Decimal, int, int]:
    """Per unit: Σ score × weight, Σ weight, lead/responsible and cooperating task counts of frozen scores."""
    cooperating = TaskEvaluation.role == ResponsibilityRole.COOPERATING
    return (select(TaskEvaluation.unit_id, func.sum(TaskEvaluation.score * TaskEvaluation.weight),
                   func.sum(TaskEvaluation.weight), func.sum(case((cooperating, 0), else_=1)),
                   func.sum(case((cooperating, 1), else_=0)))
            .join(PlanTask, PlanTask.id == TaskEvaluation.plan_task_id)
            .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.cancelled_at.is_(None))
            .group_by(TaskEvaluation.unit_id))


def _open_tasks(plan_ids: PlanIds, unit_id: int | None = None) -> list[PlanTask]:
    """Tasks of the plan not yet scored at closure (only those ``unit_id`` answers for, when given)."""
    frozen = exists().where(TaskEvaluation.plan_task_id == PlanTask.id)
    # A task cancelled by a plan revision leaves the scores; its history stays.
    query = select(PlanTask).where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.cancelled_at.is_(None), ~frozen) \
        .order_by(PlanTask.number)
    if unit_id is not None:
        query = query.where(PlanTask.id.in_(evaluation_events.tasks_of_unit(unit_id)))
    return list(db.session.scalars(query))


def _exact(value: object) -> Decimal:
    """SQLite sums in floating point: back to the exact decimals the columns hold."""
    exact = value if isinstance(value, Decimal) else Decimal(float(value))  # type: ignore[arg-type]
    return exact.quantize(_EXACT, ROUND_HALF_UP)


def _ratio(weighted: Decimal, weight: Decimal) -> Decimal:
    return (weighted / weight).quantize(CENT, ROUND_HALF_UP)


def explain_unit(plan_id: int, unit_id: int) -> UnitExplanation:
    """Every task of the unit in the plan with its role, weight, score and line items.

    :raises NotFound: no such plan or unit.
    """
    plan, unit = db.session.get(Plan, plan_id), db.session.get(Unit, unit_id)
    if plan is None or unit is None:
        raise NotFound("找不到该计划或单位。")
    lines = [_line(row.task, evaluation.from_row(row)) for row in db.session.scalars(
        select(TaskEvaluation).join(PlanTask, PlanTask.id == TaskEvaluation.plan_task_id)
        .where(PlanTask.plan_id == plan_id, PlanTask.cancelled_at.is_(None), TaskEvaluation.unit_id == unit_id))]
    open_tasks = _open_tasks(plan_id, unit_id)
    for task, result in zip(open_tasks, evaluation.evaluate_live_many(open_tasks), strict=False):
        lines += [_line(task, u) for u in result.units if u.unit_id == unit_id]
    lines.sort(key=lambda line: line.task_number)
    weighted = sum((line.weighted for line in lines), Decimal(0))
    weight = sum((line.result.weight for line in lines), Decimal(0))
    return UnitExplanation(plan_id, unit_id, unit.name, _ratio(weighted, weight) if weight else None,
                           all(line.result.final for line in lines), lines, weighted, weight)


def _line(task: PlanTask, result: UnitTaskScore) -> TaskScoreLine:
    return TaskScoreLine(task.id, task.number, task.title, task.priority, result)


def freeze_closed_tasks(plan_id: int) -> list[int]:
    """Score the plan's closed tasks that have no frozen evaluation yet (closed before scoring existed);
    returns their numbers."""
    frozen = []
    for task in _open_tasks(plan_id):
        if closure.is_closed(task):
            evaluation.freeze(task, None)
            frozen.append(task.number)
    return frozen
