"""Editing a plan's deadline policy (时限规则), and re-scheduling the due dates it sets, on the record.

A due date never moves silently: every open step whose date the policy (or the calendar)
sets and that has no extension granted gets its new date through ``deadlines.extend``,
which keeps the old one as a DueDateChange.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Select, select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import (
    DeadlinePolicy,
    DueDateChange,
    Plan,
    PlanTask,
    ReportCycle,
    User,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models.base import as_dict
from app.services.infrastructure import audit
from app.services.timing import deadlines, stagnation

#: Reasons of the due-date changes made by re-scheduling; any other change (an extension) is kept as it is.
POLICY_REASON = "时限规则调整"
CALENDAR_REASON = "节假日安排调整"
_RESCHEDULE_REASONS = (POLICY_REASON, CALENDAR_REASON)


@dataclass(frozen=True)
class Bound:
    """The allowed range of one whole-number policy field, and its Chinese name for messages."""

    label: str
    low: int
    high: int


#: Working days are bounded by a year's worth (about 250); the form reads its ranges from here too.
BOUNDS: dict[str, Bound] = {
    "remind_before": Bound("临期提醒提前天数", 0, 30),
    "escalate_head_after": Bound("逾期提请单位负责人天数", 0, 60),
    "escalate_leaders_after": Bound("逾期提请局领导天数", 0, 120),
    "decompose_within": Bound("任务分解时限", 1, 250),
    "review_within": Bound("督审处审核时限", 1, 250),
    "respond_within": Bound("协办与审签时限", 1, 250),
    "progress_tolerance": Bound("序时进度容差", 0, 100),
    "stagnation_after": Bound("停滞提醒天数", 0, 250),
    "report_day": Bound("报送日", 1, 28),
}
FIELDS = (*BOUNDS, "daily_digest", "report_cycle")


def policy_of(plan: Plan) -> DeadlinePolicy:
    """The plan's policy (created with the defaults on first use)."""
    return deadlines.plan_policy(plan.id)


def version_of(policy: DeadlinePolicy) -> str:
    """A token of the policy as it was shown, so a stale form can be refused."""
    return policy.updated_at.astimezone(UTC).isoformat() if policy.updated_at else ""


def update_policy(policy: DeadlinePolicy, data: Mapping[str, Any], version: str,
                  actor: User) -> list[DueDateChange]:
    """Save the policy and move the open steps' due dates it sets; returns the moves.

    :raises ValidationFailed: a value out of range, or leaders escalated before the unit head.
    :raises InvalidTransition: someone saved the policy after this form was shown.
    """
    if version != version_of(policy):
        raise InvalidTransition("时限规则已被他人修改,请刷新页面后重新填写。")
    _check(data)
    before = as_dict(policy, *FIELDS)
    for name in FIELDS:
        setattr(policy, name, ReportCycle(data[name]) if name == "report_cycle" else data[name])
    db.session.flush()
    # The tick's markers were set by the old numbers.
    if policy.stagnation_after != before["stagnation_after"]:
        stagnation.recheck_plan(policy.plan_id)
    if any(getattr(policy, name) != before[name] for name in ("remind_before", "escalate_head_after",
                                                               "escalate_leaders_after")):
        deadlines.rechase_plan(policy.plan_id)
    moved = reschedule(_open_items().where(WorkflowInstance.plan_task_id.in_(
        select(PlanTask.id).where(PlanTask.plan_id == policy.plan_id))), POLICY_REASON, actor)
    audit.record(actor, "deadline_policy", policy.id, "updated", before=before,
                 after={**as_dict(policy, *FIELDS), "moved_due_dates": len(moved)})
    db.session.flush()
    return moved


def _check(data: Mapping[str, Any]) -> None:
    for name, bound in BOUNDS.items():
        value = data.get(name)
        if not isinstance(value, int) or not bound.low <= value <= bound.high:
            raise ValidationFailed(f"{bound.label}须为 {bound.low} 至 {bound.high} 之间的整数。")
    if data["escalate_leaders_after"] < data["escalate_head_after"]:
        raise ValidationFailed("提请局领导的天数不能少于提请单位负责人的天数。")
    if data.get("report_cycle") not in {cycle.value for cycle in ReportCycle}:
        raise ValidationFailed("请选择报送周期。")


def _open_items() -> Select[WorkItem]:
    """Open steps of plan tasks that have no extension granted (their date is the unit's, not the rule's)."""
    kept = select(DueDateChange.work_item_id).where(DueDateChange.reason.not_in(_RESCHEDULE_REASONS))
    return (select(WorkItem).join(WorkItem.instance)
            .where(WorkItem.state == WorkItemState.OPEN, WorkflowInstance.plan_task_id.is_not(None),
                   WorkItem.id.not_in(kept))
            .order_by(WorkItem.id))


def reschedule_all(reason: str, actor: User) -> list[DueDateChange]:
    """Re-schedule every open step of every plan (the calendar changed)."""
    return reschedule(_open_items(), reason, actor)


def reschedule(query: Select[WorkItem], reason: str, actor: User) -> list[DueDateChange]:
    """Give each item of ``query`` the due date its plan's policy sets; record each one that moves."""
    calendar, policies = deadlines.work_calendar(), dict[int, DeadlinePolicy]()
    moved = []
    for item in db.session.scalars(query).all():
        task_id = item.instance.plan_task_id
        if task_id is None:  # callers query plan tasks' steps only; this narrows the type
            continue
        if task_id not in policies:
            policies[task_id] = deadlines.policy_for(db.session.get_one(PlanTask, task_id))
        due = deadlines.due_by_policy(item, policies[task_id], calendar)
        if due is not None and due != item.due_at:
            moved.append(deadlines.extend(item, due, reason, actor))
    return moved


def changes_of(items: Iterable[int]) -> list[DueDateChange]:
    """The due-date history of the given work items, oldest first."""
    ids = list(items)
    if not ids:
        return []
    query = select(DueDateChange).where(DueDateChange.work_item_id.in_(ids)).order_by(DueDateChange.id)
    return list(db.session.scalars(query))
