"""Instance administration on the real engine and database: suspend, resume, end, incidents and retry."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import AuditEvent, User, WorkflowStatus, WorkItem, WorkItemState
from app.models.base import utcnow
from app.services.lifecycle import processes
from app.services.timing import deadlines
from app.workflow import complete_work_item, open_work_items, start_instance
from app.workflow.runtime import load_workflow
from app.workflow.state import dump_state
from tests.conftest import csrf_token
from tests.workflow.test_runtime import only_item


@pytest.fixture
def admin_user(demo) -> User:
    return db.session.scalar(select(User).where(User.username == "admin"))


def milestone(unit_ids, **data):
    instance = start_instance("milestone", {"unit_id": unit_ids[0], "cooperating_unit_ids": [], **data})
    db.session.commit()
    return instance


def test_a_suspended_instance_takes_no_completion_until_resumed(deployed, unit_ids, actor_id, admin_user):
    instance = milestone(unit_ids, head_signoff_required=False)
    item = only_item(instance)
    processes.suspend(instance.id, admin_user)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="已被管理员暂停"):
        complete_work_item(item.id, actor_id, {})
    db.session.rollback()
    assert only_item(instance).id == item.id
    with pytest.raises(InvalidTransition, match="已处于暂停状态"):
        processes.suspend(instance.id, admin_user)
    db.session.rollback()
    processes.resume(instance.id, admin_user)
    db.session.commit()
    complete_work_item(item.id, actor_id, {})
    db.session.commit()
    assert only_item(instance).step_id == "review"
    actions = db.session.scalars(select(AuditEvent).filter_by(entity="workflow_instance", entity_id=str(instance.id))
                                 .order_by(AuditEvent.id))
    assert [(e.action, e.before["suspended"], e.after["suspended"]) for e in actions] == [
        ("suspend", False, True), ("resume", True, False)]


def test_a_suspended_instances_items_get_no_reminders(deployed, unit_ids, admin_user, plan_2023):
    item = db.session.scalar(select(WorkItem).where(WorkItem.state == WorkItemState.OPEN,
                                                    WorkItem.due_at.is_not(None)).order_by(WorkItem.id))
    item.due_at = utcnow() - timedelta(days=3)
    db.session.commit()
    processes.suspend(item.instance_id, admin_user)
    db.session.commit()
    far = utcnow() + timedelta(days=400)
    assert item.id not in {row.id for row in deadlines._items_to_chase(far)}
    processes.resume(item.instance_id, admin_user)
    db.session.commit()
    assert item.id in {row.id for row in deadlines._items_to_chase(far)}


def test_ending_withdraws_the_open_items_and_keeps_the_reason(deployed, unit_ids, admin_user):
    instance = milestone(unit_ids, head_signoff_required=False)
    item = only_item(instance)
    with pytest.raises(ValidationFailed, match="必须填写原因"):
        processes.end(instance.id, "  ", admin_user)
    processes.end(instance.id, "事项已撤销,不再督办", admin_user)
    db.session.commit()
    db.session.refresh(item)
    assert instance.status is WorkflowStatus.COMPLETED and instance.ended_reason == "事项已撤销,不再督办"
    assert item.state is WorkItemState.CANCELLED and open_work_items(instance.id) == []
    with pytest.raises(InvalidTransition, match="已结束"):
        processes.suspend(instance.id, admin_user)


def test_a_missing_variable_becomes_an_incident_and_a_retry_with_it_goes_on(deployed, unit_ids, actor_id, admin_user):
    # No head_signoff_required: the gateway after the report cannot decide.
    instance = milestone(unit_ids)
    report = only_item(instance)
    complete_work_item(report.id, actor_id, {})
    db.session.commit()
    db.session.refresh(report)
    assert report.state is WorkItemState.COMPLETED  # what the unit submitted stands
    assert instance.incident_step == "gw_signoff"
    assert "head_signoff_required" in instance.incident_message and "不存在" in instance.incident_message
    assert processes.incidents() == [instance]
    processes.retry(instance.id, "", admin_user)  # nothing fixed: fails again, stays an incident
    db.session.commit()
    assert instance.incident_step == "gw_signoff"
    with pytest.raises(ValidationFailed, match="第 1 行"):
        processes.retry(instance.id, "head_signoff_required", admin_user)
    processes.retry(instance.id, "head_signoff_required = false", admin_user)
    db.session.commit()
    assert instance.incident_at is None and processes.incidents() == []
    assert only_item(instance).step_id == "review"
    retries = db.session.scalars(select(AuditEvent).filter_by(entity="workflow_instance", action="retry")
                                 .order_by(AuditEvent.id)).all()
    assert retries[-1].before["incident_step"] == "gw_signoff" and retries[-1].after["incident_step"] is None


def test_an_incident_survives_saving_and_loading(deployed, unit_ids, actor_id):
    instance = milestone(unit_ids)
    complete_work_item(only_item(instance).id, actor_id, {})
    db.session.commit()
    workflow = load_workflow(instance)
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=128)] == ["gw_signoff"]
    assert load_workflow(instance) is not None and dump_state(workflow)


def test_admin_pages_suspend_resume_and_retry(signed_in, deployed, unit_ids, actor_id):
    instance = milestone(unit_ids)
    complete_work_item(only_item(instance).id, actor_id, {})
    db.session.commit()
    client = signed_in("admin")
    listing = client.get("/admin/processes/instances").get_data(as_text=True)
    assert f"流程实例 #{instance.id}" in listing and "gw_signoff" in listing
    page = f"/admin/processes/instances/{instance.id}"
    token = csrf_token(client, page)
    client.post(f"{page}/suspend", data={"csrf_token": token})
    assert "已暂停" in client.get(page).get_data(as_text=True)
    again = client.post(f"{page}/suspend", data={"csrf_token": token}, follow_redirects=True)
    assert "已处于暂停状态" in again.get_data(as_text=True)
    client.post(f"{page}/resume", data={"csrf_token": token})
    retried = client.post(f"{page}/retry", data={"csrf_token": token, "data": "head_signoff_required = false"},
                          follow_redirects=True).get_data(as_text=True)
    assert "已重试出错的步骤" in retried
    db.session.refresh(instance)
    assert instance.incident_at is None and only_item(instance).step_id == "review"
    ended = client.post(f"{page}/end", data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "请填写终止原因" in ended.get_data(as_text=True)
