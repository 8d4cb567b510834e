"""Plan-page task edits: 督审处 rewords a task, changes its units or cancels it, each a governed change."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    AuditEvent,
    Decomposition,
    Notification,
    PlanTask,
    Unit,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.services.plans import task_edits
from app.services.plans.task_edits import TaskEdit


def items_of(task: PlanTask, state: WorkItemState) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).join(WorkflowInstance, WorkItem.instance_id == WorkflowInstance.id)
                                   .where(WorkflowInstance.plan_task_id == task.id, WorkItem.state == state)))


def unit_id(name: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.name == name))


def edited(task7, **changes) -> TaskEdit:
    shown = task_edits.form_of(task7)
    return TaskEdit(**{**shown.__dict__, **changes})


def test_the_form_starts_from_the_task_and_an_unchanged_form_is_refused(task7, people):
    shown = task_edits.form_of(task7)
    assert shown.lead_units == "注册处" and shown.cooperating_units.startswith("科信处、信息中心、")
    with pytest.raises(ValidationFailed, match="没有需要保存的修改"):
        task_edits.edit_task(task7, shown, "核对", task_edits.version_of(task7), people["dushen"])


def test_a_new_lead_unit_gets_its_decomposition_and_the_old_ones_steps_end(task7, people):
    version = task_edits.version_of(task7)
    open_before = items_of(task7, WorkItemState.OPEN)
    assert [i.unit_id for i in open_before] == [unit_id("注册处")]
    change = task_edits.edit_task(task7, edited(task7, lead_units="信用处"), "调整牵头单位", version,
                                  people["dushen"])
    assert change.aspects == ("责任单位",)
    assert [r.holder_name for r in task7.responsibilities][:3] == ["信用处", "科信处", "信息中心"]
    assert db.session.scalar(select(Decomposition).filter_by(plan_task_id=task7.id, unit_id=unit_id("信用处")))
    assert [i.unit_id for i in items_of(task7, WorkItemState.OPEN)] == [unit_id("信用处")]
    assert [i.id for i in items_of(task7, WorkItemState.CANCELLED)] == [open_before[0].id]  # ended, kept
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "edited"))
    assert event.before["units"][:3] == ["牵头:注册处", "配合:科信处", "配合:信息中心"]
    assert event.after["units"][0] == "牵头:信用处" and event.after["reason"] == "调整牵头单位"
    notice = db.session.scalar(select(Notification).where(Notification.user_id == people["zhuce"].id))
    assert "修改任务(责任单位)" in notice.body and "调整牵头单位" in notice.body
    # The same form sent again is stale: nothing applied twice.
    with pytest.raises(InvalidTransition, match="已被修改"):
        task_edits.edit_task(task7, edited(task7, lead_units="注册处"), "再改", version, people["dushen"])


def test_rewording_recognises_the_targets_again_keeping_their_ids(task7, people):
    target_id = task7.targets[0].id
    text = task7.text.replace("25个", "30个")
    assert text != task7.text
    change = task_edits.edit_task(task7, edited(task7, text=text), "目标调整为30个行业",
                                  task_edits.version_of(task7), people["dushen"])
    assert "量化指标" in change.aspects and task7.targets[0].id == target_id and task7.targets[0].value == 30


def test_bad_edits_are_refused_and_change_nothing(task7, people):
    version = task_edits.version_of(task7)
    with pytest.raises(PermissionDenied):
        task_edits.edit_task(task7, edited(task7, lead_units="信用处"), "x", version, people["zhuce"])
    with pytest.raises(ValidationFailed, match="找不到:不存在处"):
        task_edits.edit_task(task7, edited(task7, lead_units="不存在处"), "x", version, people["dushen"])
    with pytest.raises(ValidationFailed, match="请填写修改原因"):
        task_edits.edit_task(task7, edited(task7, lead_units="信用处"), " ", version, people["dushen"])
    with pytest.raises(ValidationFailed, match="请填写牵头单位"):
        task_edits.edit_task(task7, edited(task7, lead_units=""), "x", version, people["dushen"])
    db.session.rollback()
    assert task_edits.version_of(db.session.get(PlanTask, task7.id)) == version


def test_a_cancelled_task_keeps_its_history_and_takes_no_more_edits(task7, people):
    version = task_edits.version_of(task7)
    task_edits.cancel(task7, "并入第8项", version, people["dushen"])
    assert task7.cancelled_at is not None and task7.cancel_reason == "并入第8项"
    assert items_of(task7, WorkItemState.OPEN) == [] and items_of(task7, WorkItemState.CANCELLED)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "cancelled")) == "cancelled"
    with pytest.raises(InvalidTransition, match="已取消"):
        task_edits.cancel(task7, "再取消", version, people["dushen"])


def test_with_approval_required_a_change_waits_for_a_leader_and_is_applied_then(task7, people):
    dushen, leader = people["dushen"], people["leader"]
    with pytest.raises(PermissionDenied):
        task_edits.set_approval(task7.plan, True, people["zhuce"])
    task_edits.set_approval(task7.plan, True, dushen)
    version = task_edits.version_of(task7)
    task_edits.edit_task(task7, edited(task7, lead_units="信用处"), "调整牵头单位", version, dushen)
    assert task7.responsibilities[0].holder_name == "注册处"  # nothing applied yet
    (waiting,) = task_edits.pending_changes(task7.plan.organisation_id)
    assert waiting.summary == "第7项 修改任务(责任单位)" and waiting.before["units"][0] == "牵头:注册处"
    assert db.session.scalar(select(Notification.link).where(Notification.user_id == leader.id)) == \
        f"/plans/changes/{waiting.id}"
    with pytest.raises(InvalidTransition, match="已有待局领导审批的变更"):
        task_edits.edit_task(task7, edited(task7, lead_units="信用处"), "再次提交", version, dushen)
    with pytest.raises(PermissionDenied):
        task_edits.approve_change(waiting, None, dushen)
    task_edits.approve_change(waiting, "同意", leader)
    assert waiting.status == "approved" and task7.responsibilities[0].holder_name == "信用处"
    assert [i.unit_id for i in items_of(task7, WorkItemState.OPEN)] == [unit_id("信用处")]
    with pytest.raises(InvalidTransition, match="已审批"):
        task_edits.refuse_change(waiting, "晚了", leader)


def test_a_refused_change_changes_nothing_and_a_stale_one_cannot_be_approved(task7, people):
    dushen, leader = people["dushen"], people["leader"]
    task_edits.set_approval(task7.plan, True, dushen)
    task_edits.cancel(task7, "并入第8项", task_edits.version_of(task7), dushen)
    (waiting,) = task_edits.pending_changes(task7.plan.organisation_id)
    with pytest.raises(ValidationFailed, match="请填写审批意见"):
        task_edits.refuse_change(waiting, "", leader)
    task_edits.refuse_change(waiting, "保留该任务", leader)
    assert task7.cancelled_at is None and waiting.status == "refused"
    notice = db.session.scalar(select(Notification).where(Notification.user_id == dushen.id))
    assert "未获批准" in notice.title and "保留该任务" in notice.body

    task_edits.cancel(task7, "并入第8项", task_edits.version_of(task7), dushen)
    task_edits.set_approval(task7.plan, False, dushen)
    task_edits.edit_task(task7, edited(task7, lead_units="信用处"), "先调整单位", task_edits.version_of(task7), dushen)
    (stale,) = task_edits.pending_changes(task7.plan.organisation_id)
    with pytest.raises(InvalidTransition, match="申请后任务或计划已有变化"):
        task_edits.approve_change(stale, None, leader)
