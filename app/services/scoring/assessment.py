"""The annual assessment (目标责任制考核): each unit's score over a plan, aggregated from its task scores.

Unit score = Σ(task score × weight) ÷ Σ weight, weight = role weight × priority weight under the
policy each task was scored with. Closed tasks are summed in SQL from their frozen rows; open
tasks add their provisional score (暂评), and a unit's score is final only when all its tasks are.

Everything is taken as of a day: a task counts for a unit only once something of it was due from
the unit (未到考核节点 otherwise); a unit with nothing due is listed, not ranked; equal standing
shares a rank (并列).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, Select, case, exists, func, select, true

from app.errors import NotFound
from app.extensions import db
from app.models import (
    Appeal,
    AppealStatus,
    HoldKind,
    Plan,
    PlanTask,
    Priority,
    ResponsibilityRole,
    TaskEvaluation,
    Unit,
)
from app.models.base import utcnow
from app.models.plan import held_by
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.scoring import closure, evaluation, evaluation_events
from app.services.scoring.evaluation import CENT, UnitTaskScore
from app.services.scoring.evaluation_events import beijing_date
from app.services.scoring.scoring_policy import ScoringPolicy
from app.services.timing.workdays import BEIJING

_EXACT = Decimal("0.000001")


@dataclass(frozen=True)
class UnitScore:
    """A unit's annual score on a plan as of a day."""

    unit_id: int
    unit_name: str
    #: None while nothing was due from the unit yet (未到考核节点).
    score: Decimal | None
    #: Tasks it leads or answers for (牵头/负责).
    lead_task_count: int
    cooperating_task_count: int
    #: False while any of its tasks is still open (the score includes 暂评).
    final: bool
    #: 名次, shared by equal scores (并列: 1, 1, 3); None when not ranked (未到考核节点).
    rank: int | None = None
    #: A step of one of its tasks is overdue and still not done (逾期未办).
    overdue_open: bool = False

    @property
    def assessed(self) -> bool:
        return self.score is not None


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
    #: Every task of the unit, those not yet due (未到考核节点) included.
    tasks: list[TaskScoreLine]
    weighted_sum: Decimal
    weight_total: Decimal
    #: The day it is computed as of, and the policy then in force (number 0: the default file).
    as_of: date
    policy: ScoringPolicy
    policy_version: int

    @property
    def counted(self) -> list[TaskScoreLine]:
        """The tasks that enter the score (something was due)."""
        return [line for line in self.tasks if line.result.assessed]


@dataclass
class _Sums:
    weighted: Decimal = Decimal(0)
    weight: Decimal = Decimal(0)
    lead: int = 0
    cooperating: int = 0
    final: bool = True
    overdue_open: bool = False

    def add(self, result: UnitTaskScore) -> None:
        self.lead += result.role is not ResponsibilityRole.COOPERATING
        self.cooperating += result.role is ResponsibilityRole.COOPERATING
        self.final = self.final and result.final
        self.overdue_open = self.overdue_open or result.overdue_open
        if result.assessed:
            self.weighted += result.score * result.weight
            self.weight += result.weight


def moment_of(as_of: date | None) -> datetime | None:
    """The instant a day's figures are taken at: None (this moment) for today or later, else the end of the
    Beijing day ``as_of`` (everything that happened that day counts)."""
    if as_of is None or as_of >= beijing_date(utcnow()):
        return None
    return datetime.combine(as_of + timedelta(days=1), time(0), BEIJING)


def unit_scores(plan_ids: PlanIds, as_of: date | None = None) -> list[UnitScore]:
    """Every unit with a task in the plans as of the day (default today): the ranked ones by 名次, then those
    with nothing due yet (未到考核节点, not ranked) by name."""
    moment = moment_of(as_of)
    sums: dict[int, _Sums] = {}
    for unit_id, weighted, weight, lead, cooperating in db.session.execute(_frozen_sums(plan_ids, moment)):
        entry = sums.setdefault(unit_id, _Sums())
        entry.weighted += _exact(weighted)
        entry.weight += _exact(weight)
        entry.lead += int(lead)
        entry.cooperating += int(cooperating)
    for unit_id, change in _late_appeals(plan_ids, moment).items():
        sums[unit_id].weighted += change
    for result in evaluation.evaluate_live_many(_open_tasks(plan_ids, moment=moment), moment):
        for unit in result.units:
            sums.setdefault(unit.unit_id, _Sums()).add(unit)
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(sums)))).all())
    policy = _ranking_policy(plan_ids, moment)
    return ranked([_unit_score(unit_id, names[unit_id], s) for unit_id, s in sums.items()], policy)


def ranked(scores: list[UnitScore], policy: ScoringPolicy) -> list[UnitScore]:
    """Scores in order with their 名次: equal standing shares a rank (1, 1, 3); under the policy's
    ``overdue_ranks_last`` a unit with an overdue step still not done ranks after every unit without one."""
    def standing(s: UnitScore) -> tuple[bool, Decimal]:
        return (policy.overdue_ranks_last and s.overdue_open, -(s.score or Decimal(0)))

    assessed = sorted((s for s in scores if s.assessed), key=lambda s: (*standing(s), s.unit_name))
    result: list[UnitScore] = []
    for position, score in enumerate(assessed, start=1):
        tied = result and standing(result[-1]) == standing(score)
        result.append(replace(score, rank=result[-1].rank if tied else position))
    return result + sorted((s for s in scores if not s.assessed), key=lambda s: s.unit_name)


def _ranking_policy(plan_ids: PlanIds, moment: datetime | None) -> ScoringPolicy:
    """The policy ranking a scope as of ``moment``: the plan's own; over several plans, overdue units rank
    last only when every plan's policy says so (a plan that does not ask for it must not be overruled)."""
    policies = evaluation.policies_in_force(plan_ids, moment)
    return replace(policies[0], overdue_ranks_last=all(p.overdue_ranks_last for p in policies))


def _unit_score(unit_id: int, name: str, sums: _Sums) -> UnitScore:
    score = _ratio(sums.weighted, sums.weight) if sums.weight > 0 else None
    return UnitScore(unit_id, name, score, sums.lead, sums.cooperating, sums.final, None, sums.overdue_open)


def unit_score(plan_ids: PlanIds, unit_id: int, as_of: date | None = None) -> UnitScore | None:
    """One unit's score on the plans (as in ``unit_scores``, without its rank), evaluating only the tasks it
    answers for; None when it has none."""
    moment = moment_of(as_of)
    sums = _Sums()
    for _, weighted, weight, lead, cooperating in db.session.execute(
            _frozen_sums(plan_ids, moment).where(TaskEvaluation.unit_id == unit_id)):
        sums.weighted, sums.weight = _exact(weighted), _exact(weight)
        sums.lead, sums.cooperating = int(lead), int(cooperating)
    sums.weighted += _late_appeals(plan_ids, moment, unit_id).get(unit_id, Decimal(0))
    for result in evaluation.evaluate_live_many(_open_tasks(plan_ids, unit_id, moment), moment):
        for unit in result.units:
            if unit.unit_id == unit_id:
                sums.add(unit)
    if sums.lead + sums.cooperating == 0:
        return None
    name = db.session.scalars(select(Unit.name).where(Unit.id == unit_id)).one()
    return _unit_score(unit_id, name, sums)


def _frozen(moment: datetime | None) -> ColumnElement[bool]:
    """Frozen evaluations that existed at ``moment`` (the task had been closed by then)."""
    return true() if moment is None else TaskEvaluation.evaluated_at < moment


def _frozen_sums(plan_ids: PlanIds, moment: datetime | None) -> Select[int, Decimal, Decimal, int, int]:
    """Per unit: Σ score × weight, Σ weight, lead/responsible and cooperating task counts of frozen scores."""
    cooperating = TaskEvaluation.role == ResponsibilityRole.COOPERATING
    return (select(TaskEvaluation.unit_id, func.sum(TaskEvaluation.score * TaskEvaluation.weight),
                   func.sum(TaskEvaluation.weight), func.sum(case((cooperating, 0), else_=1)),
                   func.sum(case((cooperating, 1), else_=0)))
            .join(PlanTask, PlanTask.id == TaskEvaluation.plan_task_id)
            .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.cancelled_at.is_(None), _frozen(moment))
            .group_by(TaskEvaluation.unit_id))


def _late_appeals(plan_ids: PlanIds, moment: datetime | None, unit_id: int | None = None) -> dict[int, Decimal]:
    """Per unit, what appeals accepted after a task was scored (and by ``moment``) add to Σ score × weight of
    its frozen scores (the SQL sums read the stored scores)."""
    late = exists().where(Appeal.plan_task_id == TaskEvaluation.plan_task_id, Appeal.unit_id == TaskEvaluation.unit_id,
                          Appeal.status == AppealStatus.ACCEPTED, Appeal.decided_at > TaskEvaluation.evaluated_at,
                          Appeal.decided_at <= (moment or utcnow()))
    query = (select(TaskEvaluation).join(PlanTask, PlanTask.id == TaskEvaluation.plan_task_id)
             .where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.cancelled_at.is_(None), _frozen(moment), late))
    if unit_id is not None:
        query = query.where(TaskEvaluation.unit_id == unit_id)
    rows = list(db.session.scalars(query))
    changes: dict[int, Decimal] = {}
    for row, score in zip(rows, evaluation.frozen_scores(rows, moment), strict=True):
        changes[row.unit_id] = changes.get(row.unit_id, Decimal(0)) + (score.score - row.score) * row.weight
    return changes


def _open_tasks(plan_ids: PlanIds, unit_id: int | None = None, moment: datetime | None = None) -> list[PlanTask]:
    """Tasks of the plans not yet scored at closure by ``moment`` (only those ``unit_id`` answers for, when given)."""
    frozen = exists().where(TaskEvaluation.plan_task_id == PlanTask.id, _frozen(moment))
    # A task cancelled by a plan revision leaves the scores; its history stays. A suspended (中止) one leaves them
    # from its suspension unless the policy froze its score then (``suspended_scored``, a frozen evaluation).
    query = select(PlanTask).where(in_plans(PlanTask.plan_id, plan_ids), PlanTask.cancelled_at.is_(None), ~frozen,
                                   ~held_by(moment, HoldKind.SUSPEND)).order_by(PlanTask.number)
    if unit_id is not None:
        query = query.where(PlanTask.id.in_(evaluation_events.tasks_of_unit(unit_id)))
    return list(db.session.scalars(query))


def _exact(value: object) -> Decimal:
    """SQLite sums in floating point: back to the exact decimals the columns hold."""
    exact = value if isinstance(value, Decimal) else Decimal(float(value))  # type: ignore[arg-type]
    return exact.quantize(_EXACT, ROUND_HALF_UP)


def _ratio(weighted: Decimal, weight: Decimal) -> Decimal:
    return (weighted / weight).quantize(CENT, ROUND_HALF_UP)


def explain_unit(plan_id: int, unit_id: int, as_of: date | None = None) -> UnitExplanation:
    """Every task of the unit in the plan as of the day (default today) with its role, weight, score and line
    items; tasks with nothing due yet are listed but do not count.

    :raises NotFound: no such plan or unit.
    """
    plan, unit = db.session.get(Plan, plan_id), db.session.get(Unit, unit_id)
    if plan is None or unit is None:
        raise NotFound("找不到该计划或单位。")
    moment = moment_of(as_of)
    rows = list(db.session.scalars(
        select(TaskEvaluation).join(PlanTask, PlanTask.id == TaskEvaluation.plan_task_id)
        .where(PlanTask.plan_id == plan_id, PlanTask.cancelled_at.is_(None), TaskEvaluation.unit_id == unit_id,
               _frozen(moment))))
    lines = [_line(row.task, score) for row, score in zip(rows, evaluation.frozen_scores(rows, moment), strict=True)]
    open_tasks = _open_tasks(plan_id, unit_id, moment)
    for task, result in zip(open_tasks, evaluation.evaluate_live_many(open_tasks, moment), strict=False):
        lines += [_line(task, u) for u in result.units if u.unit_id == unit_id]
    lines.sort(key=lambda line: line.task_number)
    counted = [line for line in lines if line.result.assessed]
    weighted = sum((line.weighted for line in counted), Decimal(0))
    weight = sum((line.result.weight for line in counted), Decimal(0))
    policy, version = evaluation.policy_in_force(plan_id, moment)
    return UnitExplanation(plan_id, unit_id, unit.name, _ratio(weighted, weight) if weight else None,
                           all(line.result.final for line in lines), lines, weighted, weight,
                           as_of or beijing_date(utcnow()), policy, version)


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
