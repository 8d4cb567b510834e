"""分解 and 审核分解: the unit's milestones, submitted in rounds and confirmed or returned by 督审处."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from app import workflow
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    InstanceKind,
    Milestone,
    MilestoneStatus,
    PlanTarget,
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
from app.services.timing.workdays import end_of_day

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
    work_items.begin_step(item, actor, StepKey.DECOMPOSITION)
    decomposition = decomposition_of(item)
    _check_plans(decomposition, plans)
    _replace_milestones(decomposition, plans)
    decomposition.rounds_submitted += 1
    round_ = DecompositionRound(
        decomposition=decomposition, number=decomposition.rounds_submitted, note=(note or "").strip() or None,
        milestones=[_snapshot(plan) for plan in plans], submitted_by=actor,
    )
    decomposition.status = DecompositionStatus.SUBMITTED
    db.session.add(round_)
    work_items.finish_step(item, actor, {})
    audit.record(actor, "decomposition", decomposition.id, "submitted",
                 after={"round": round_.number, "milestones": len(plans)})
    return round_


def _check_plans(decomposition: Decomposition, plans: Sequence[MilestonePlan]) -> None:
    if not plans:
        raise ValidationFailed("分解方案至少需要一个节点。")
    if len(plans) > MAX_MILESTONES:
        raise ValidationFailed(f"一个分解方案最多 {MAX_MILESTONES} 个节点。")
    year = decomposition.task.plan.year
    target_ids = {target.id for target in decomposition.task.targets}
    for number, plan in enumerate(plans, start=1):
        if plan.due_date.year not in (year, year + 1):
            raise ValidationFailed(f"第 {number} 个节点的完成时限应在 {year} 年内(最迟次年)。")
        owner = db.session.get(User, plan.owner_id)
        if owner is None or owner.unit_id != decomposition.unit_id or not owner.active:
            raise ValidationFailed(f"第 {number} 个节点的责任人必须是本单位在岗人员。")
        if decomposition.unit_id in plan.cooperating_unit_ids:
            raise ValidationFailed(f"第 {number} 个节点的配合单位不能是本单位。")
        if not set(plan.target_ids) <= target_ids:
            raise ValidationFailed(f"第 {number} 个节点关联了不属于本任务的指标。")


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
    db.session.flush()


def _snapshot(plan: MilestonePlan) -> dict[str, object]:
    owner = db.session.get(User, plan.owner_id)
    return {
        "title": plan.title, "deliverable": plan.deliverable, "due_date": plan.due_date.isoformat(),
        "owner_id": plan.owner_id, "owner_name": owner.display_name if owner else "",
        "cooperating_unit_ids": list(plan.cooperating_unit_ids),
        "target_ids": list(plan.target_ids),
    }


def review_decomposition(item: WorkItem, decision: ReviewDecision, comments: str | None, actor: User) -> ReviewRecord:
    """督审处 confirms the decomposition (the milestones start) or returns it with comments.

    :raises ValidationFailed: a return without comments.
    """
    work_items.begin_step(item, actor, StepKey.DECOMPOSITION_REVIEW)
    decomposition = decomposition_of(item)
    if decision is ReviewDecision.RETURN and not (comments or "").strip():
        raise ValidationFailed("退回时必须填写意见。")
    record = ReviewRecord(
        plan_task_id=decomposition.plan_task_id, decomposition_round_id=decomposition.rounds[-1].id,
        step=StepKey.DECOMPOSITION_REVIEW, decision=decision, comments=(comments or "").strip() or None, reviewer=actor,
    )
    db.session.add(record)
    work_items.finish_step(item, actor, {"decision": decision.value}, (comments or "").strip() or None)
    if decision is ReviewDecision.APPROVE:
        _confirm(decomposition)
    else:
        decomposition.status = DecompositionStatus.RETURNED
    audit.record(actor, "decomposition", decomposition.id, f"review_{decision.value}",
                 after={"comments": record.comments})
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
