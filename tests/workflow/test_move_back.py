"""Moving a running instance back to an earlier step, on the real engine and database."""
from __future__ import annotations

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import AuditEvent, Notification, User, WorkItem, WorkItemState
from app.services.lifecycle import processes, step_notices
from app.workflow import complete_work_item, open_work_items, start_instance
from app.workflow.runtime import load_workflow
from tests.workflow.test_runtime import only_item


@pytest.fixture
def admin_user(demo) -> User:
    return db.session.scalar(select(User).where(User.username == "admin"))


def at_review(unit_ids, actor_id):
    """A milestone whose report was signed off and now waits for 督审处's review (pruned: no report task left)."""
    instance = start_instance("milestone", {"unit_id": unit_ids[0], "cooperating_unit_ids": [],
                                            "head_signoff_required": True})
    complete_work_item(only_item(instance).id, actor_id, {})
    complete_work_item(only_item(instance).id, actor_id, {"decision": "approve"})
    db.session.commit()
    assert only_item(instance).step_id == "review"
    return instance


def test_the_token_goes_back_to_a_pruned_step_and_the_flow_goes_on_from_there(deployed, unit_ids, actor_id,
                                                                               admin_user):
    instance = at_review(unit_ids, actor_id)
    review = only_item(instance)
    done = {t.task_spec.bpmn_id for t in load_workflow(instance).get_tasks(state=TaskState.COMPLETED)}
    assert done.isdisjoint({"report", "signoff"})
    assert processes.earlier_steps(instance) == [("report", "报送进展"), ("signoff", "单位负责人审签")]

    processes.move_back(instance.id, "report", "报送内容有误,需重新报送", admin_user)
    db.session.commit()
    db.session.refresh(review)
    assert review.state is WorkItemState.CANCELLED  # withdrawn, kept
    report = only_item(instance)
    assert report.step_id == "report" and report.unit_id == unit_ids[0] and report.id > review.id
    event = db.session.scalar(select(AuditEvent).filter_by(entity="workflow_instance", action="move_back"))
    assert event.before["current_steps"] == ["review"] and event.after["current_steps"] == ["report"]
    assert event.after["reason"] == "报送内容有误,需重新报送" and event.actor_id == admin_user.id
    # The data the instance had still steers it: the head must sign off again.
    complete_work_item(report.id, actor_id, {})
    db.session.commit()
    assert only_item(instance).step_id == "signoff"


def test_moving_back_is_refused_with_a_reason_and_changes_nothing(deployed, unit_ids, actor_id, admin_user):
    instance = at_review(unit_ids, actor_id)
    review, state = only_item(instance), instance.state
    with pytest.raises(ValidationFailed, match="必须填写原因"):
        processes.move_back(instance.id, "report", " ", admin_user)
    for step in ("review", "contribute", "nowhere"):  # current, never done, unknown
        with pytest.raises(InvalidTransition, match="已办理过的"):
            processes.move_back(instance.id, step, "重办", admin_user)
    db.session.rollback()
    processes.suspend(instance.id, admin_user)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="请先恢复"):
        processes.move_back(instance.id, "report", "重办", admin_user)
    db.session.rollback()
    assert instance.state == state and [i.id for i in open_work_items(instance.id)] == [review.id]
    assert db.session.scalar(select(AuditEvent).filter_by(action="move_back")) is None


def test_the_reopened_step_is_dated_and_its_unit_told(deployed, plan_2023, actor_id, admin_user):
    decompose = next(item for item in db.session.scalars(
        select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.step_id == "decompose")
        .order_by(WorkItem.id)) if step_notices.acting(item))
    instance = decompose.instance
    complete_work_item(decompose.id, actor_id, {})
    db.session.commit()
    assert [i.step_id for i in open_work_items(instance.id)] == ["review_decomposition"]

    processes.move_back(instance.id, "decompose", "分解方案需按新要求重做", admin_user)
    db.session.commit()
    reopened = only_item(instance)
    assert reopened.step_id == "decompose" and reopened.id != decompose.id
    assert reopened.due_at is not None
    told = db.session.scalars(select(Notification).filter_by(key=f"move_back:{reopened.id}")).all()
    assert told and all("分解方案需按新要求重做" in n.body for n in told)
    assert {n.user.unit_id for n in told} == {reopened.unit_id}


def test_admin_page_moves_back(signed_in, deployed, unit_ids, actor_id):
    from tests.conftest import csrf_token

    instance = at_review(unit_ids, actor_id)
    client = signed_in("admin")
    page = f"/admin/processes/instances/{instance.id}"
    html = client.get(page).get_data(as_text=True)
    assert "退回到之前的步骤" in html and "单位负责人审签" in html
    token = csrf_token(client, page)
    refused = client.post(f"{page}/move-back", data={"csrf_token": token, "step": "report", "reason": ""},
                          follow_redirects=True).get_data(as_text=True)
    assert "请填写退回原因" in refused and only_item(instance).step_id == "review"
    done = client.post(f"{page}/move-back", data={"csrf_token": token, "step": "signoff", "reason": "审签有误"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已退回到「单位负责人审签」" in done
    db.session.expire_all()
    assert only_item(instance).step_id == "signoff"


def test_a_process_with_parallel_branches_is_refused(deployed, actor_id, admin_user):
    from app.workflow import deploy_diagram
    from tests.conftest import ROOT

    deploy_diagram((ROOT / "tests" / "fixtures" / "processes" / "parallel_steps.bpmn").read_bytes(), "parallel.bpmn")
    instance = start_instance("parallel_steps", {})
    complete_work_item(only_item(instance).id, actor_id, {})
    db.session.commit()
    assert sorted(i.step_id for i in open_work_items(instance.id)) == ["left", "right"]
    assert processes.earlier_steps(instance) == []
    with pytest.raises(InvalidTransition, match="并行或包容网关"):
        processes.move_back(instance.id, "first", "重办", admin_user)


def test_no_going_back_before_an_event_the_application_delivered(deployed, plan_2023, actor_id, admin_user):
    decompose = db.session.scalar(select(WorkItem).where(WorkItem.state == WorkItemState.OPEN,
                                                         WorkItem.step_id == "decompose").order_by(WorkItem.id))
    instance = decompose.instance
    complete_work_item(decompose.id, actor_id, {})
    complete_work_item(only_item(instance).id, actor_id, {"decision": "approve"})
    db.session.commit()
    assert open_work_items(instance.id) == []  # waiting for every milestone to be approved
    assert processes.earlier_steps(instance) == []
    with pytest.raises(InvalidTransition, match="其后的「全部节点审核通过」已发生或正在等待"):
        processes.move_back(instance.id, "decompose", "重新分解", admin_user)
