"""Drive both diagrams through WorkflowRuntime-style functions on the real database."""
import json

import pytest
from sqlalchemy import select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import WorkflowInstance, WorkflowStatus, WorkItem, WorkItemState
from app.models.user import Role
from app.workflow import complete_work_item, diagram_state, open_work_items, send_signal, start_instance
from app.workflow.runtime import load_workflow
from app.workflow.state import dump_state


def only_item(instance: WorkflowInstance) -> WorkItem:
    """The single open work item of ``instance``."""
    items = open_work_items(instance.id)
    assert len(items) == 1, [i.step_id for i in items]
    return items[0]


def act(instance, actor_id, **data) -> WorkItem:
    """Complete the only open item with ``data`` and commit."""
    item = complete_work_item(only_item(instance).id, actor_id, data)
    db.session.commit()
    return item


def test_lifecycle_with_a_returned_decomposition(deployed, unit_ids, actor_id):
    lead = unit_ids[0]
    instance = start_instance("task_lifecycle", {"unit_id": lead})
    db.session.commit()
    first = only_item(instance)
    assert (first.step_id, first.form_key, first.role, first.lane, first.unit_id) == (
        "decompose", "decomposition", Role.LIAISON, "牵头单位", lead)
    act(instance, actor_id)
    assert only_item(instance).form_key == "decomposition_review"
    act(instance, actor_id, decision="return")
    assert only_item(instance).step_id == "decompose"
    act(instance, actor_id)
    act(instance, actor_id, decision="approve")
    assert instance.status is WorkflowStatus.WAITING and open_work_items(instance.id) == []
    send_signal(instance.id, "milestones_approved")
    db.session.commit()
    assert only_item(instance).form_key == "task_closure"
    act(instance, actor_id)
    assert instance.status is WorkflowStatus.COMPLETED
    assert diagram_state(instance).completed_step_ids == sorted(
        ["start", "decompose", "review_decomposition", "gw_decomposition", "wait_milestones", "task_closure", "end"])


def test_signal_not_awaited_is_refused(deployed, unit_ids):
    instance = start_instance("task_lifecycle", {"unit_id": unit_ids[0]})
    with pytest.raises(InvalidTransition, match="没有在等待"):
        send_signal(instance.id, "milestones_approved")


def test_milestone_with_contributions_signoff_and_a_return(deployed, unit_ids, actor_id):
    lead, helpers = unit_ids[0], unit_ids[1:3]
    data = {"unit_id": lead, "milestone_id": 3, "cooperating_unit_ids": helpers, "head_signoff_required": True}
    instance = start_instance("milestone", data)
    db.session.commit()
    report = act(instance, actor_id)
    assert report.context == {"milestone_id": 3, "unit_id": lead} and report.completed_by_id == actor_id
    contributions = open_work_items(instance.id)
    assert sorted(i.unit_id for i in contributions) == sorted(helpers)
    assert {i.form_key for i in contributions} == {"cooperating_contribution"}
    for item in contributions:
        complete_work_item(item.id, actor_id, {})
        db.session.commit()
    signoff = only_item(instance)
    assert (signoff.form_key, signoff.role, signoff.unit_id) == ("head_signoff", Role.UNIT_HEAD, lead)
    act(instance, actor_id, decision="approve")
    assert only_item(instance).form_key == "report_review"
    act(instance, actor_id, decision="return")
    assert only_item(instance).form_key == "milestone_report"
    act(instance, actor_id)
    for item in open_work_items(instance.id):
        complete_work_item(item.id, actor_id, {})
    act(instance, actor_id)  # head signs off without a decision: the preScript cleared the old one
    assert only_item(instance).form_key == "milestone_report"


def test_milestone_without_contributions_or_signoff(deployed, unit_ids, actor_id):
    data = {"unit_id": unit_ids[0], "cooperating_unit_ids": [], "head_signoff_required": False,
            "due_at": "2025-03-01T18:00:00+08:00"}
    instance = start_instance("milestone", data)
    db.session.commit()
    assert only_item(instance).due_at.isoformat() == "2025-03-01T10:00:00+00:00"
    act(instance, actor_id)
    assert only_item(instance).form_key == "report_review"
    act(instance, actor_id, decision="approve")
    assert instance.status is WorkflowStatus.COMPLETED


@pytest.fixture
def milestone(deployed, unit_ids):
    """A committed milestone instance at its first report."""
    instance = start_instance("milestone", {"unit_id": unit_ids[0], "cooperating_unit_ids": [],
                                            "head_signoff_required": False})
    db.session.commit()
    return instance


def test_a_completed_item_cannot_be_completed_again(milestone, actor_id):
    item = only_item(milestone)
    complete_work_item(item.id, actor_id, {})
    db.session.commit()
    with pytest.raises(InvalidTransition, match="已办理完毕"):
        complete_work_item(item.id, actor_id, {})


def test_a_moved_row_version_is_refused(milestone, actor_id):
    seen = milestone.row_version
    act(milestone, actor_id)
    with pytest.raises(InvalidTransition, match="已被他人更新"):
        complete_work_item(only_item(milestone).id, actor_id, {"decision": "approve"}, expected_row_version=seen)


def test_a_cancelled_item_is_refused(milestone, actor_id):
    item = only_item(milestone)
    item.state = WorkItemState.CANCELLED
    db.session.commit()
    with pytest.raises(InvalidTransition, match="已被撤销"):
        complete_work_item(item.id, actor_id, {})


@pytest.mark.parametrize("data", [{"comments": "x" * 500}, {"_x": 1}, {"nested": {"a": 1}}, {"due_at": "2025-03-01"}])
def test_engine_data_stays_small(milestone, actor_id, data):
    with pytest.raises(ValidationFailed):
        complete_work_item(only_item(milestone).id, actor_id, data)


def test_state_round_trip_and_no_spec_inside(milestone):
    workflow = load_workflow(milestone)
    again = dump_state(workflow)
    assert json.loads(again) == json.loads(milestone.state)
    assert "spec" not in json.loads(again) and "subprocess_specs" not in json.loads(again)
    assert dump_state(load_workflow(milestone)) == again


def test_state_does_not_grow_with_return_rounds(milestone, actor_id):
    sizes = []
    for _ in range(6):
        act(milestone, actor_id)
        act(milestone, actor_id, decision="return")
        sizes.append(len(milestone.state))
    assert max(sizes) - min(sizes) < 200, sizes
    history = db.session.scalars(select(WorkItem).filter_by(instance_id=milestone.id)).all()
    assert len(history) == 13


def test_diagram_state_highlights(milestone, actor_id):
    act(milestone, actor_id)
    state = diagram_state(milestone)
    assert state.current_step_ids == ["review"]
    assert {"start", "report", "gw_contribution", "gw_signoff"} <= set(state.completed_step_ids)


def test_after_a_return_the_step_returned_to_is_current_not_done(deployed, unit_ids, actor_id):
    instance = start_instance("task_lifecycle", {"unit_id": unit_ids[0]})
    db.session.commit()
    act(instance, actor_id)
    act(instance, actor_id, decision="return")
    state = diagram_state(instance)
    assert state.current_step_ids == ["decompose"]
    assert "decompose" not in state.completed_step_ids and "review_decomposition" in state.completed_step_ids
