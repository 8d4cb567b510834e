"""Task evaluation (任务评价): each unit's score on a task, every point a line item naming its event.

A task is scored once when 督审处 closes it (办结) and the result is frozen with the policy
version used; an open task shows a live provisional score (暂评) under the plan's current
policy, computed on demand and never stored, so it cannot go stale.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import PlanTask, QualityRating, ResponsibilityRole, StepKey, TaskEvaluation, Unit, User
from app.models.base import utcnow
from app.services.infrastructure import audit
from app.services.plans.plan_scope import PlanIds
from app.services.scoring import scoring_policy
from app.services.scoring.evaluation_events import (
    AppealDecision,
    Event,
    TargetResult,
    TaskEvents,
    accepted_appeals,
    beijing_date,
    load_events,
)
from app.services.scoring.scoring_policy import ScoringPolicy

CENT = Decimal("0.01")

CATEGORY_LABELS = {
    "base": "基础分", "timeliness": "逾期", "quality": "质量评价", "attainment": "目标完成", "returns": "退回",
    "rectification": "整改", "urge": "催办", "bounds": "得分上下限",
}
#: Lines no appeal can contest: the base score and the limits follow from the policy, not from an event.
_NOT_APPEALABLE = {"base", "bounds"}


@lru_cache(maxsize=4096)  # a province's 暂评 formats ~80,000 numbers, mostly the policy's few values
def num(value: Decimal) -> str:
    """A number as people write it: 2.50 → 2.5, -3.00 → -3."""
    text = format(value.quantize(CENT, ROUND_HALF_UP).normalize(), "f")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class LineItem:
    """Points of one category and the event that caused them (none for the base score and adjustments)."""

    category: str
    points: Decimal
    explanation: str
    event_kind: str | None = None
    event_id: int | None = None
    event_date: date | None = None

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def key(self) -> tuple[str, str, int] | None:
        """What names the line for an appeal: its category and the event that caused it (None: no event)."""
        if self.event_kind is None or self.event_id is None or self.event_kind == "appeal":
            return None
        return (self.category, self.event_kind, self.event_id)

    @property
    def appealable(self) -> bool:
        """A line caused by an event may be contested; the base score, caps and limits may not."""
        return self.key is not None and self.category not in _NOT_APPEALABLE

    def as_json(self) -> dict[str, Any]:
        """For the frozen row."""
        return {"category": self.category, "points": str(self.points), "explanation": self.explanation,
                "event_kind": self.event_kind, "event_id": self.event_id,
                "event_date": self.event_date.isoformat() if self.event_date else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineItem:
        """Back from the frozen row."""
        on = data.get("event_date")
        return cls(data["category"], Decimal(data["points"]), data["explanation"], data.get("event_kind"),
                   data.get("event_id"), date.fromisoformat(on) if on else None)


@dataclass(frozen=True)
class UnitTaskScore:
    """One unit's score on one task."""

    task_id: int
    unit_id: int
    unit_name: str
    role: ResponsibilityRole
    weight: Decimal
    score: Decimal
    line_items: list[LineItem]
    #: False for a provisional score (暂评) of an open task.
    final: bool
    #: The plan's policy version it was computed with (0: the default file, not yet copied to the plan).
    policy_version: int
    #: False while nothing of the task was due from the unit yet (未到考核节点): shown, not counted.
    assessed: bool = True
    #: The unit has a step of the task overdue and still not done (逾期未办).
    overdue_open: bool = False


@dataclass(frozen=True)
class TaskEvaluationResult:
    """A task's scores, one per unit answering for it."""

    task_id: int
    final: bool
    policy_version: int
    units: list[UnitTaskScore]


def score_lines(unit_id: int, events: TaskEvents, policy: ScoringPolicy, final: bool = True,
                as_of: date | None = None, role: ResponsibilityRole = ResponsibilityRole.LEAD) -> list[LineItem]:
    """Every line of a unit's score on a task; the score is their sum.

    A provisional score (``final`` False, as of ``as_of``) counts only what was due by then: a target
    whose period has not ended is not judged yet (its actual so far is part of the way, not a shortfall),
    one whose period has ended is judged on its approved actual or charged as never reported.
    A line 督审处 adjusted on appeal is followed by the adjustment, inside its category (so the cap still holds).
    """
    appeals = [a for a in events.appeals if a.unit_id == unit_id]

    caps = _caps(policy)

    def capped(found: list[LineItem], category: str) -> list[LineItem]:
        return _capped(appealed(found, appeals), caps[category])

    lines = [LineItem("base", policy.base, f"基础分 {num(policy.base)} 分")]
    lines += capped(_timeliness(_of(events.overdue, unit_id), policy), "timeliness")
    lines += appealed(_quality(_of(events.ratings, unit_id), policy), appeals)
    if role is ResponsibilityRole.COOPERATING and not policy.cooperating_shares_targets:
        lines += [LineItem("attainment", Decimal(0), "配合单位不分担计划目标完成情况的加减分"
                           "(评分规则 [attainment] cooperating_shares_targets = false)")] if events.targets else []
    else:
        lines += capped([_attainment(t, policy, final, as_of) for t in events.targets], "attainment")
    lines += capped([_per_event(e, "returns", policy.return_points[e.detail], _RETURNED_BY[e.detail])
                     for e in _of(events.returns, unit_id)], "returns")
    lines += capped([_per_event(e, "rectification", policy.per_rectification,
                                f"督审处开出整改 #{e.id}({e.detail}):{_short(e.what)}")
                     for e in _of(events.rectifications, unit_id)], "rectification")
    lines += capped([_per_event(e, "urge", policy.per_urge, f"督审处催办一次:{_short(e.what)}")
                     for e in _of(events.urges, unit_id)], "urge")
    return lines + _bounds(sum((line.points for line in lines), Decimal(0)), policy)


def appealed(lines: list[LineItem], appeals: list[AppealDecision]) -> list[LineItem]:
    """The lines, each followed by the adjustment the latest appeal accepted against it makes (its cause:
    the decision), so the line counts the points 督审处 decided and the explanation still adds up."""
    latest = {appeal.line: appeal for appeal in appeals}  # oldest decision first: the latest wins
    result = []
    for line in lines:
        result.append(line)
        appeal = latest.get(line.key) if line.key else None
        if appeal is not None and appeal.adjusted != line.points:
            change = appeal.adjusted - line.points
            result.append(LineItem(line.category, change, f"申诉 #{appeal.id} 经督审处采纳,该项按 "
                                   f"{num(appeal.adjusted)} 分计,调整 {'+' if change > 0 else ''}{num(change)} 分",
                                   "appeal", appeal.id, appeal.on))
    return result


_RETURNED_BY: dict[str, str] = {
    StepKey.DECOMPOSITION_REVIEW: "分解方案被督审处审核退回一次",
    StepKey.REPORT_REVIEW: "进展报送被督审处审核退回一次",
    StepKey.HEAD_SIGNOFF: "进展报送被本单位负责人审签退回一次",
}


def _of(events: list[Event], unit_id: int) -> list[Event]:
    return [e for e in events if e.unit_id == unit_id]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _timeliness(events: list[Event], policy: ScoringPolicy) -> list[LineItem]:
    return [LineItem("timeliness", -(policy.per_overdue_day * int(e.detail)).quantize(CENT, ROUND_HALF_UP),
                     f"{e.what},逾期 {e.detail} 个工作日 × {num(policy.per_overdue_day)} 分",
                     e.kind, e.id, e.on) for e in events]


def _per_event(event: Event, category: str, deduction: Decimal, text: str) -> LineItem:
    return LineItem(category, -deduction, f"{text},扣 {num(deduction)} 分", event.kind, event.id, event.on)


def _quality(ratings: list[Event], policy: ScoringPolicy) -> list[LineItem]:
    """The average rating over the unit's rated milestones, one line per milestone (its share of the average)."""
    lines = []
    for e in ratings:
        points = policy.quality_points[e.detail]
        share = (points / len(ratings)).quantize(CENT, ROUND_HALF_UP)
        lines.append(LineItem("quality", share, f"节点“{e.what}”质量评价为{QualityRating(e.detail).label}"
                              f"({num(points)} 分),{len(ratings)} 个评价节点取平均,计 {num(share)} 分",
                              e.kind, e.id, e.on))
    return lines


def attainment_ratio(target: TargetResult) -> Decimal:
    """Actual ÷ target, or target ÷ actual for a "no more than" target (1 once met)."""
    assert target.actual is not None
    if target.comparator == "<=":
        return Decimal(1) if target.actual <= target.value else target.value / target.actual
    if target.value <= 0:
        return Decimal(1) if target.actual >= target.value else Decimal(0)
    return target.actual / target.value


def _attainment(target: TargetResult, policy: ScoringPolicy, final: bool, as_of: date | None) -> LineItem:
    goal = f"目标“{target.phrase}”(目标值 {num(target.value)}{target.measure})"
    if not final and as_of is not None and as_of <= target.period_end:
        so_far = (f"已审核通过的实际值为 {num(target.actual)}{target.measure}" if target.actual is not None
                  else "尚无审核通过的实际值")
        return LineItem("attainment", Decimal(0), f"{goal}期限 {target.period_end} 未到,{so_far},暂不计分",
                        "plan_target", target.target_id)
    if target.actual is None:
        return LineItem("attainment", policy.not_reported,
                        f"{goal}期限 {target.period_end} 已过,无审核通过的实际值,计 {num(policy.not_reported)} 分",
                        "plan_target", target.target_id, target.period_end)
    ratio = attainment_ratio(target)
    band = next(b for b in policy.bands if ratio >= b.at_least)
    return LineItem("attainment", band.points,
                    f"{goal}最近审核通过的实际值 {num(target.actual)}{target.measure},完成率 {num(ratio * 100)}%,"
                    f"按“完成率 ≥ {num(band.at_least * 100)}%”档计 {num(band.points)} 分",
                    "milestone_report", target.report_id, target.reported_on)


def _caps(policy: ScoringPolicy) -> dict[str, Decimal]:
    """The most a category may deduct, for each category with a cap."""
    return {"timeliness": policy.timeliness_cap, "attainment": policy.attainment_cap, "returns": policy.returns_cap,
            "rectification": policy.rectification_cap, "urge": policy.urge_cap}


def _capped(lines: list[LineItem], cap: Decimal) -> list[LineItem]:
    """The lines, plus a positive adjustment when their deductions exceed the category's cap."""
    total = sum((line.points for line in lines), Decimal(0))
    if not lines or total >= -cap:
        return lines
    label = CATEGORY_LABELS[lines[0].category]
    return [*lines, LineItem(lines[0].category, -cap - total,
                             f"{label}扣分合计 {num(-total)} 分,超过上限 {num(cap)} 分,按上限计")]


def _bounds(total: Decimal, policy: ScoringPolicy) -> list[LineItem]:
    if total < policy.floor:
        return [LineItem("bounds", policy.floor - total,
                         f"合计 {num(total)} 分低于下限,按下限 {num(policy.floor)} 分计")]
    if total > policy.ceiling:
        return [LineItem("bounds", policy.ceiling - total,
                         f"合计 {num(total)} 分高于上限,按上限 {num(policy.ceiling)} 分计")]
    return []


def evaluate_live(task: PlanTask, now: datetime | None = None) -> TaskEvaluationResult:
    """The provisional score (暂评) of every unit of an open task as it stood at ``now``; not stored."""
    return evaluate_live_many([task], now)[0]


def evaluate_live_many(tasks: list[PlanTask], now: datetime | None = None) -> list[TaskEvaluationResult]:
    """Provisional scores of several tasks as they stood at ``now`` (default: this moment), each under the
    policy its plan had in force then, in tasks' order.

    Tasks are scored together per policy in force (plans and items on the default policy share one
    round of queries), so the statement count grows with the policies, not the plans.
    """
    versions = scoring_policy.versions_in_force({task.plan_id for task in tasks}, now)
    by_version: dict[int | None, list[PlanTask]] = {}
    for task in tasks:
        version = versions.get(task.plan_id)
        by_version.setdefault(version.id if version else None, []).append(task)
    results: dict[int, TaskEvaluationResult] = {}
    for group in by_version.values():
        version = versions.get(group[0].plan_id)
        policy = scoring_policy.parse_policy(version.text if version else scoring_policy.default_text())
        for result in _evaluate(group, policy, version.version if version else 0, final=False, now=now):
            results[result.task_id] = result
    return [results[task.id] for task in tasks]


def policies_in_force(plan_ids: PlanIds, now: datetime | None = None) -> list[ScoringPolicy]:
    """The policy of each of the plans at ``now`` (default: this moment), in one query; the default file's
    alone when there are no plans."""
    ids = [plan_ids] if isinstance(plan_ids, int) else list(plan_ids)
    versions = scoring_policy.versions_in_force(ids, now)
    texts = {versions[i].text if i in versions else scoring_policy.default_text() for i in ids} \
        or {scoring_policy.default_text()}
    return [scoring_policy.parse_policy(text) for text in sorted(texts)]


def policy_in_force(plan_id: int, now: datetime | None = None) -> tuple[ScoringPolicy, int]:
    """The plan's policy at ``now`` (default: this moment) and its version number (0: the default file)."""
    version = scoring_policy.version_in_force(plan_id, now) if now else scoring_policy.current_version(plan_id)
    return scoring_policy.parse_policy(version.text if version else scoring_policy.default_text()), \
        version.version if version else 0


def _evaluate(tasks: list[PlanTask], policy: ScoringPolicy, version: int, final: bool,
              now: datetime | None = None) -> list[TaskEvaluationResult]:
    events = load_events([task.id for task in tasks], now)
    names = _unit_names({unit_id for found in events.values() for unit_id in found.roles})
    as_of = beijing_date((now or utcnow()) - _INSTANT)  # a past day's moment is the midnight that ends it
    results = []
    for task in tasks:
        found = events[task.id]
        units = []
        for unit_id, role in sorted(found.roles.items(), key=lambda pair: (_ROLE_ORDER[pair[1]], pair[0])):
            lines = score_lines(unit_id, found, policy, final, as_of, role)
            overdue_open = any(e.still_open for e in _of(found.overdue, unit_id))
            units.append(UnitTaskScore(task.id, unit_id, names[unit_id], role, policy.weight(role, task.priority),
                                       sum((line.points for line in lines), Decimal(0)), lines, final, version,
                                       final or unit_id in found.assessed, overdue_open))
        results.append(TaskEvaluationResult(task.id, final, version, units))
    return results


_INSTANT = timedelta(microseconds=1)
_ROLE_ORDER = {ResponsibilityRole.LEAD: 0, ResponsibilityRole.RESPONSIBLE: 1, ResponsibilityRole.COOPERATING: 2}


def _unit_names(unit_ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
    return {unit_id: name for unit_id, name in rows}


def freeze(task: PlanTask, actor: User | None) -> TaskEvaluationResult:
    """Score the closed task and store it with the policy version used; a task is frozen only once."""
    frozen = frozen_evaluation(task)
    if frozen is not None:
        return frozen
    version = scoring_policy.ensure_version(task.plan_id, actor)
    (result,) = _evaluate([task], scoring_policy.parse_policy(version.text), version.version, final=True)
    for unit in result.units:
        db.session.add(TaskEvaluation(
            plan_task_id=task.id, unit_id=unit.unit_id, role=unit.role, weight=unit.weight, score=unit.score,
            line_items=[line.as_json() for line in unit.line_items], policy_version_id=version.id, evaluated_by=actor))
    audit.record(actor, "plan_task", task.id, "evaluated",
                 after={"policy_version": version.version, "scores": {u.unit_name: str(u.score) for u in result.units}})
    db.session.flush()
    return result


def frozen_evaluation(task: PlanTask) -> TaskEvaluationResult | None:
    """The task's stored evaluation (with the appeals accepted since), or None while it is not closed."""
    rows = list(db.session.scalars(select(TaskEvaluation).where(TaskEvaluation.plan_task_id == task.id)
                                   .order_by(TaskEvaluation.id)))
    if not rows:
        return None
    return TaskEvaluationResult(task.id, True, rows[0].policy_version.version, frozen_scores(rows))


def frozen_scores(rows: list[TaskEvaluation], now: datetime | None = None) -> list[UnitTaskScore]:
    """Stored evaluation rows as scores as of ``now`` (default: this moment): each with the appeals 督审处
    accepted after the task was scored and by ``now`` (those accepted before are in the stored lines)."""
    found = accepted_appeals(sorted({row.plan_task_id for row in rows}), now or utcnow()) if rows else []
    return [from_row(row, [a for a in found if (a.task_id, a.unit_id) == (row.plan_task_id, row.unit_id)
                           and a.decided_at > row.evaluated_at]) for row in rows]


def from_row(row: TaskEvaluation, late_appeals: list[AppealDecision] | None = None) -> UnitTaskScore:
    """A stored evaluation row as a score, adjusted by the appeals accepted after it was stored (the category
    caps and the score's floor and ceiling applied again over the adjusted lines)."""
    stored = [LineItem.from_json(item) for item in row.line_items]
    if late_appeals:
        lines = rescored(stored, late_appeals, scoring_policy.parse_policy(row.policy_version.text))
        score = sum((line.points for line in lines), Decimal(0))
    else:
        lines, score = stored, row.score
    return UnitTaskScore(row.plan_task_id, row.unit_id, row.unit.name, row.role, row.weight, score,
                         lines, True, row.policy_version.version)


def rescored(stored: list[LineItem], appeals: list[AppealDecision], policy: ScoringPolicy) -> list[LineItem]:
    """Stored lines with later appeals' adjustments, capped and clamped anew as ``score_lines`` does.

    The stored cap and limit lines are dropped and recomputed over the adjusted lines; so is an earlier
    adjustment of a line a later appeal decides again (the latest decision wins, as in ``appealed``).
    """
    caps = _caps(policy)
    decided = {appeal.line for appeal in appeals}
    groups: dict[str, list[LineItem]] = {}
    superseded = False
    for line in stored:
        if line.event_kind == "appeal" and superseded:
            continue
        superseded = line.key in decided if line.event_kind != "appeal" else superseded
        if line.category == "bounds" or (line.category in caps and line.event_kind is None and line.points > 0):
            continue  # a cap or limit adjustment: recomputed below
        groups.setdefault(line.category, []).append(line)
    lines: list[LineItem] = []
    for category, found in groups.items():
        adjusted = appealed(found, appeals)
        lines += _capped(adjusted, caps[category]) if category in caps else adjusted
    return lines + _bounds(sum((line.points for line in lines), Decimal(0)), policy)


def evaluation_of(task: PlanTask) -> TaskEvaluationResult:
    """The frozen evaluation of a closed task, else the provisional one (暂评)."""
    return frozen_evaluation(task) or evaluate_live(task)


