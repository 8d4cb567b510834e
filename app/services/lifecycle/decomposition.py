"""分解 and 审核分解: the unit's milestones, submitted in rounds and confirmed or returned by 督审处."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from app import workflow
from app.errors import FieldRefused, ValidationFailed
from app.extensions import db
from app.models import (
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    InstanceKind,
    Milestone,
    MilestoneStatus,
    PlanTarget,
    PlanTask,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    Unit,
    User,
    WorkItem,
)
from app.services.infrastructure import audit
from app.services.lifecycle import work_items
from app.services.lifecycle.supervision import MILESTONE_PROCESS
from app.services.timing.workdays import BEIJING, end_of_day

MAX_MILESTONES = 30


@dataclass(frozen=True)
class MilestonePlan:
    """One milestone as the decomposition form states it."""

    title: str
    deliverable: str
    due_date: date
    owner_id: int
    cooperating_unit_ids: tuple[int, ...] = ()
    target_ids: tuple[int, ...] = field(default_factory=tuple)
    #: Why the milestone is dated before today (补录 of work already done); without it a past date is refused.
    past_date_reason: str | None = None


#: The newest round's id, read along with a review step's lock.
_LATEST_ROUND = (select(func.max(DecompositionRound.id)).where(DecompositionRound.decomposition_id == Decomposition.id)
                 .correlate(Decomposition).scalar_subquery().label("latest_round_id"))


def _decomposition_and(*loads: Any, columns: tuple[Any, ...] = ()) -> Callable[[Select[Any]], Select[Any]]:
    """What a decomposition step reads with its lock: the decomposition (with ``loads``) and ``columns``."""
    def along(query: Select[Any]) -> Select[Any]:
        return (query.outerjoin(Decomposition, Decomposition.id == bindparam("decomposition_id"))
                .add_columns(Decomposition, *columns).options(*loads))

    return along


_SUBMIT_READS = _decomposition_and(joinedload(Decomposition.task).joinedload(PlanTask.plan),
                                   joinedload(Decomposition.task).joinedload(PlanTask.targets),
                                   joinedload(Decomposition.milestones))
_REVIEW_READS = _decomposition_and(columns=(_LATEST_ROUND,))


def _begin(item: WorkItem, actor: User, step: StepKey, reads: Callable[[Select[Any]], Select[Any]]
           ) -> tuple[Decomposition, work_items.Begun]:
    """Begin a decomposition step, reading its decomposition with the lock."""
    begun = work_items.begin_step(item, actor, step, reads, decomposition_id=item.context.get("decomposition_id"))
    if begun.row.Decomposition is None:
        raise ValidationFailed("该待办没有对应的分解方案。")
    return begun.row.Decomposition, begun


def decomposition_of(item: WorkItem) -> Decomposition:
    """The decomposition a lifecycle work item is about."""
    decomposition = db.session.get(Decomposition, item.context.get("decomposition_id"))
    if decomposition is None:
        raise ValidationFailed("该待办没有对应的分解方案。")
    return decomposition


def submit_decomposition(
    item: WorkItem, plans: Sequence[MilestonePlan], note: str | None, actor: User,
) -> DecompositionRound:
    """Submit the unit's milestones for review; the round is kept as submitted.

    :raises ValidationFailed: no milestone, a date outside the plan year, an owner of another unit…
    """
    decomposition, begun = _begin(item, actor, StepKey.DECOMPOSITION, _SUBMIT_READS)
    _check_plans(decomposition, plans)
    _replace_milestones(decomposition, plans)
    decomposition.rounds_submitted += 1
    round_ = DecompositionRound(
        decomposition_id=decomposition.id, number=decomposition.rounds_submitted, note=(note or "").strip() or None,
        milestones=[_snapshot(plan) for plan in plans], submitted_by=actor,
    )
    decomposition.status = DecompositionStatus.SUBMITTED
    db.session.add(round_)
    audit.record(actor, "decomposition", decomposition.id, "submitted",
                 after={"round": round_.number, "milestones": len(plans)})
    work_items.finish_step(item, actor, {}, begun)
    return round_


def _check_plans(decomposition: Decomposition, plans: Sequence[MilestonePlan]) -> None:
    if not plans:
        raise ValidationFailed("分解方案至少需要一个节点。")
    if len(plans) > MAX_MILESTONES:
        raise ValidationFailed(f"一个分解方案最多 {MAX_MILESTONES} 个节点。")
    year, today = decomposition.task.plan.year, datetime.now(BEIJING).date()
    final_deadline = decomposition.task.final_deadline
    target_ids = {target.id for target in decomposition.task.targets}
    for number, plan in enumerate(plans, start=1):
        refusal = milestone_date_refusal(plan.due_date, year, today, plan.past_date_reason)
        if refusal:
            raise FieldRefused(f"milestones-{number - 1}-due_date", f"第 {number} 个节点的{refusal}")
        if final_deadline is not None and plan.due_date > final_deadline:
            raise FieldRefused(f"milestones-{number - 1}-due_date",
                               f"第 {number} 个节点的完成时限不能晚于办结时限 {final_deadline.isoformat()}。")
        owner = db.session.get(User, plan.owner_id)
        if owner is None or owner.unit_id != decomposition.unit_id or not owner.active:
            raise ValidationFailed(f"第 {number} 个节点的责任人必须是本单位在岗人员。")
        if decomposition.unit_id in plan.cooperating_unit_ids:
            raise ValidationFailed(f"第 {number} 个节点的配合单位不能是本单位。")
        if not set(plan.target_ids) <= target_ids:
            raise ValidationFailed(f"第 {number} 个节点关联了不属于本任务的指标。")


def milestone_date_refusal(due: date, year: int, today: date, past_date_reason: str | None) -> str | None:
    """Why a milestone may not be due on ``due`` in a plan of ``year``, or None when it may.

    It must fall within the plan year, and not before today unless a reason for the past date is given
    (a milestone already done, entered afterwards). The plan has no other start or final deadline:
    a task's ``suggested_due`` is only a suggestion.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    if not first <= due <= last:
        return f"完成时限应在 {year} 年内({first.isoformat()} 至 {last.isoformat()}),不能是 {due.isoformat()}。"
    if due < today and not (past_date_reason or "").strip():
        return (f"完成时限 {due.isoformat()} 早于今天({today.isoformat()}):请改为今天或以后的日期;"
                "确需补录已过去的日期,请填写“早于今天的原因”。")
    return None


def _replace_milestones(decomposition: Decomposition, plans: Sequence[MilestonePlan]) -> None:
    """Before confirmation the live milestones simply follow the newest round."""
    for old in list(decomposition.milestones):
        decomposition.milestones.remove(old)
        db.session.delete(old)
    for position, plan in enumerate(plans, start=1):
        decomposition.milestones.append(Milestone(
            plan_task_id=decomposition.plan_task_id, unit_id=decomposition.unit_id, position=position,
            title=plan.title.strip(), deliverable=plan.deliverable.strip(), due_date=plan.due_date,
            owner_id=plan.owner_id,
            cooperating_units=[db.session.get(Unit, uid) for uid in plan.cooperating_unit_ids],
            targets=[db.session.get(PlanTarget, tid) for tid in plan.target_ids],
        ))


def _snapshot(plan: MilestonePlan) -> dict[str, object]:
    owner = db.session.get(User, plan.owner_id)
    past_date_reason = (plan.past_date_reason or "").strip()
    return {
        "title": plan.title, "deliverable": plan.deliverable, "due_date": plan.due_date.isoformat(),
        "owner_id": plan.owner_id, "owner_name": owner.display_name if owner else "",
        "cooperating_unit_ids": list(plan.cooperating_unit_ids),
        "target_ids": list(plan.target_ids),
        **({"past_date_reason": past_date_reason} if past_date_reason else {}),
    }


def review_decomposition(item: WorkItem, decision: ReviewDecision, comments: str | None, actor: User) -> ReviewRecord:
    """督审处 confirms the decomposition (the milestones start) or returns it with comments.

    :raises ValidationFailed: a return without comments.
    """
    decomposition, begun = _begin(item, actor, StepKey.DECOMPOSITION_REVIEW, _REVIEW_READS)
    if decision is ReviewDecision.RETURN and not (comments or "").strip():
        raise ValidationFailed("退回时必须填写意见。")
    if begun.row.latest_round_id is None:
        raise ValidationFailed("该分解方案尚未提交。")
    record = ReviewRecord(
        plan_task_id=decomposition.plan_task_id, decomposition_round_id=begun.row.latest_round_id,
        step=StepKey.DECOMPOSITION_REVIEW, decision=decision, comments=(comments or "").strip() or None, reviewer=actor,
    )
    db.session.add(record)
    if decision is ReviewDecision.RETURN:
        decomposition.status = DecompositionStatus.RETURNED
    audit.record(actor, "decomposition", decomposition.id, f"review_{decision.value}",
                 after={"comments": record.comments})
    work_items.finish_step(item, actor, {"decision": decision.value}, begun, note=record.comments)
    if decision is ReviewDecision.APPROVE:
        _confirm(decomposition)
    return record


def _confirm(decomposition: Decomposition) -> None:
    """The milestones go to work: one milestone instance each."""
    decomposition.status = DecompositionStatus.CONFIRMED
    for milestone in decomposition.milestones:
        milestone.status = MilestoneStatus.IN_PROGRESS
        workflow.start_instance(MILESTONE_PROCESS, milestone_start_data(milestone), plan_task_id=milestone.plan_task_id,
                                about=(InstanceKind.MILESTONE, milestone.id))


def milestone_start_data(milestone: Milestone) -> dict[str, object]:
    """What a milestone instance needs: ids, its deadline, and the two gateway facts."""
    return {
        "milestone_id": milestone.id, "plan_task_id": milestone.plan_task_id, "unit_id": milestone.unit_id,
        "decomposition_id": milestone.decomposition_id, "due_at": end_of_day(milestone.due_date).isoformat(),
        "cooperating_unit_ids": [unit.id for unit in milestone.cooperating_units],
        "head_signoff_required": milestone.unit.requires_head_signoff,
    }
