"""rectification.bpmn driven through the runtime: plan ⇄ review, result ⇄ verification, due dates from data."""
from __future__ import annotations

from app.extensions import db
from app.workflow import complete_work_item, open_work_items, start_instance

DUE = "2031-03-31T18:00:00+08:00"


def walk(instance_id: int, actor_id: int, data: dict) -> str:
    """Complete the one open step with ``data``; the name of the next open step (or "" at the end)."""
    (item,) = open_work_items(instance_id)
    complete_work_item(item.id, actor_id, data)
    db.session.commit()
    following = open_work_items(instance_id)
    return following[0].form_key if following else ""


def test_plan_and_result_each_loop_back_until_accepted(deployed, unit_ids, actor_id):
    instance = start_instance("rectification", {"rectification_id": 1, "unit_id": unit_ids[0], "due_at": DUE})
    db.session.commit()
    (first,) = open_work_items(instance.id)
    assert (first.form_key, first.role.value, first.unit_id, first.lane) == (
        "rectification_plan", "liaison", unit_ids[0], "责任单位")
    assert first.context["rectification_id"] == 1 and first.due_at.isoformat() == "2031-03-31T10:00:00+00:00"
    path = [walk(instance.id, actor_id, step) for step in (
        {}, {"decision": "return"}, {}, {"decision": "approve"},
        {}, {"decision": "return"}, {}, {"decision": "approve"},
    )]
    assert path == ["rectification_plan_review", "rectification_plan", "rectification_plan_review",
                    "rectification_result", "rectification_verify", "rectification_result",
                    "rectification_verify", ""]
    assert instance.status.value == "completed"


def test_a_previous_verdict_never_leaks_into_the_next_review(deployed, unit_ids, actor_id):
    instance = start_instance("rectification", {"unit_id": unit_ids[0]})
    db.session.commit()
    assert walk(instance.id, actor_id, {}) == "rectification_plan_review"
    assert walk(instance.id, actor_id, {"decision": "approve"}) == "rectification_result"
    # The verification starts with decision cleared: completing it without one returns the result.
    assert walk(instance.id, actor_id, {}) == "rectification_verify"
    assert walk(instance.id, actor_id, {}) == "rectification_result"
