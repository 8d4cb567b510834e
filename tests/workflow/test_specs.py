"""Diagram versions: stored once per content, new instances on the newest, running ones stay put."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import ProcessSpecVersion
from app.workflow import complete_work_item, deploy_diagram, deploy_processes, open_work_items, start_instance
from tests.workflow.conftest import bpmn_fixture

MILESTONE = Path(__file__).resolve().parents[2] / "processes" / "milestone.bpmn"
START = {"cooperating_unit_ids": [], "head_signoff_required": False}


def version_count() -> int:
    """Rows in process_spec_version."""
    return db.session.scalar(select(func.count()).select_from(ProcessSpecVersion))


def test_deploy_is_idempotent(deployed):
    assert set(deployed) == {"task_lifecycle", "milestone", "progress_report", "rectification"}
    assert [v.version for v in deployed.values()] == [1, 1, 1, 1]
    again = deploy_processes()
    db.session.commit()
    assert version_count() == 4 and {v.id for v in again} == {v.id for v in deployed.values()}


def test_running_instances_keep_their_version(deployed, actor_id):
    old = start_instance("milestone", START)
    db.session.commit()
    changed = MILESTONE.read_bytes().replace("督审处审核".encode(), "督审处复核".encode())
    (new_version,) = deploy_diagram(changed, "milestone.bpmn")
    db.session.commit()
    assert new_version.version == 2
    new = start_instance("milestone", START)
    db.session.commit()
    assert (old.spec_version.version, new.spec_version.version) == (1, 2)
    for instance in (old, new):
        complete_work_item(open_work_items(instance.id)[0].id, actor_id, {})
        db.session.commit()
    assert open_work_items(old.id)[0].step_name == "督审处审核"
    assert open_work_items(new.id)[0].step_name == "督审处复核"
    complete_work_item(open_work_items(old.id)[0].id, actor_id, {"decision": "approve"})
    db.session.commit()
    assert old.status.value == "completed"


def test_unknown_process(app):
    with pytest.raises(NotFound, match="尚未部署"):
        start_instance("nope")


def test_human_steps_need_a_form_key_and_role(app):
    with pytest.raises(ValidationFailed, match="必须设置 formKey"):
        deploy_diagram(bpmn_fixture("spiffwf_lanes.bpmn"), "spiffwf_lanes.bpmn")
