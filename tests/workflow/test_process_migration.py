"""Binding versions to scopes and migrating running instances, on the real engine and database."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.errors import InvalidTransition
from app.extensions import db
from app.models import AuditEvent, Priority, ProcessSpecVersion, User, WorkItem, WorkItemState
from app.services.lifecycle import processes
from app.workflow import complete_work_item, open_work_items, start_instance
from tests.conftest import csrf_token
from tests.workflow.test_runtime import only_item

ROOT = Path(__file__).resolve().parents[2]
LEADER_REVIEW = ROOT / "tests" / "fixtures" / "processes" / "milestone_leader_review.bpmn"
MILESTONE = (ROOT / "processes" / "milestone.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def admin_user(demo) -> User:
    return db.session.scalar(select(User).where(User.username == "admin"))


@pytest.fixture
def tasks(plan_2023):
    """Two tasks of the 2023 plan: the first made 特急, the second left 一般."""
    urgent, normal = plan_2023.tasks[0], plan_2023.tasks[1]
    urgent.priority = Priority.CRITICAL
    db.session.commit()
    return urgent, normal


def leader_version(admin_user) -> ProcessSpecVersion:
    """The milestone diagram with 分管局领导审核 deployed as version 2, the current version kept at 1."""
    [(row, new)] = processes.deploy_upload(LEADER_REVIEW.read_bytes(), LEADER_REVIEW.name, admin_user,
                                           make_current=False)
    db.session.commit()
    assert new and row.version == 2
    return row


def milestone(task, **data):
    instance = start_instance("milestone", {"unit_id": 1, "cooperating_unit_ids": [], "head_signoff_required": False,
                                            **data}, plan_task_id=task.id)
    db.session.commit()
    return instance


def deploy_variant(text: str, name: str, admin_user) -> ProcessSpecVersion:
    [(row, _)] = processes.deploy_upload(text.encode("utf-8"), name, admin_user, make_current=False)
    db.session.commit()
    return row


def test_a_version_bound_to_a_priority_starts_only_its_items(tasks, admin_user):
    urgent, normal = tasks
    v2 = leader_version(admin_user)
    assert milestone(urgent).spec_version.version == 1  # not bound yet: the current version
    processes.bind("milestone", 2, "priority", "critical", admin_user)
    db.session.commit()
    assert milestone(urgent).spec_version_id == v2.id
    assert milestone(normal).spec_version.version == 1
    plan_binding = processes.bind("milestone", 1, "plan", str(urgent.plan_id), admin_user)
    db.session.commit()
    assert milestone(urgent).spec_version.version == 1  # the plan's binding wins over the priority's
    processes.unbind(plan_binding.id, admin_user)
    db.session.commit()
    assert milestone(urgent).spec_version_id == v2.id
    overview = {p.process_id: p for p in processes.process_overview()}["milestone"]
    assert overview.current.row.version == 1 and [v.row.version for v in overview.versions] == [2, 1]
    actions = db.session.scalars(select(AuditEvent.action).filter_by(entity="process_binding")).all()
    assert actions.count("bind") == 3 and "unbind" in actions


def test_dry_run_then_migrate_keeps_open_items_and_runs_the_new_step(tasks, admin_user, actor_id):
    urgent, _ = tasks
    at_report = milestone(urgent)
    at_review = milestone(urgent)
    complete_work_item(only_item(at_review).id, actor_id, {})
    # No head_signoff_required: the gateway after the report fails, an incident.
    incident = start_instance("milestone", {"unit_id": 1, "cooperating_unit_ids": []}, plan_task_id=urgent.id)
    db.session.commit()
    complete_work_item(only_item(incident).id, actor_id, {})
    held = milestone(urgent)
    db.session.commit()
    processes.suspend(held.id, admin_user)
    db.session.commit()
    leader_version(admin_user)
    review_item = only_item(at_review)
    due_before = review_item.due_at
    target, verdicts = processes.dry_run(processes.parse_from("milestone:1"), 2)
    by_id = {v.instance_id: v for v in verdicts}
    assert by_id[at_report.id].migratable and by_id[at_review.id].migratable
    assert not by_id[held.id].migratable and "暂停" in by_id[held.id].reason
    assert not by_id[incident.id].migratable and "异常" in by_id[incident.id].reason
    assert by_id[at_review.id].current_steps == ["review"]
    results = dict((i, moved) for i, moved, _ in processes.migrate_safe(processes.parse_from("milestone:1"), target,
                                                                         admin_user))
    db.session.commit()
    assert results[at_report.id] and results[at_review.id] and not results[held.id] and not results[incident.id]
    db.session.refresh(at_review)
    assert at_review.spec_version.version == 2 and held.spec_version.version == 1
    moved_item = only_item(at_review)
    assert (moved_item.id, moved_item.due_at) == (review_item.id, due_before)
    audit = db.session.scalar(select(AuditEvent).filter_by(entity="workflow_instance", entity_id=str(at_review.id),
                                                           action="migrate"))
    assert audit.before["version"] == 1 and audit.after["version"] == 2
    complete_work_item(moved_item.id, actor_id, {"decision": "approve"})
    db.session.commit()
    leader = only_item(at_review)
    assert (leader.step_id, leader.step_name) == ("leader_review", "分管局领导审核")
    complete_work_item(leader.id, actor_id, {"decision": "approve"})
    db.session.commit()
    assert at_review.status.value == "completed" and open_work_items(at_review.id) == []


def test_unsafe_changes_are_named_and_left_alone(tasks, admin_user, actor_id):
    urgent, _ = tasks
    at_report = milestone(urgent)
    missing = milestone(urgent)
    # A step it stands on changed its form; a step it stands on moved lane; a condition reads data it lacks.
    form = deploy_variant(MILESTONE.replace('value="milestone_report"', 'value="progress_report"'), "form.bpmn",
                          admin_user)
    lane = deploy_variant(MILESTONE.replace("<bpmn:flowNodeRef>report</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>contribute</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>contribute</bpmn:flowNodeRef><bpmn:flowNodeRef>report</bpmn:flowNodeRef>"),
        "lane.bpmn", admin_user)
    data = deploy_variant(MILESTONE.replace("head_signoff_required</bpmn:conditionExpression>",
                                            "head_signoff_required and urgent_signoff</bpmn:conditionExpression>"),
                          "data.bpmn", admin_user)
    source = processes.parse_from("milestone:1")
    for target, expected in ((form, "表单、角色或脚本"), (lane, "泳道"), (data, "urgent_signoff")):
        _, verdicts = processes.dry_run(source, target.version)
        reasons = {v.instance_id: v.reason for v in verdicts if not v.migratable}
        assert expected in reasons[at_report.id], reasons
        with pytest.raises(InvalidTransition, match=expected):
            processes.migrate_one(at_report.id, target, admin_user)
        db.session.rollback()
    assert missing.spec_version.version == 1
    # Forward to the leader version, to the new step, then back: the step it stands on was removed.
    v_leader = leader_version_after(admin_user)
    processes.migrate_one(at_report.id, v_leader, admin_user)
    db.session.commit()
    complete_work_item(only_item(at_report).id, actor_id, {})
    complete_work_item(only_item(at_report).id, actor_id, {"decision": "approve"})
    db.session.commit()
    assert only_item(at_report).step_id == "leader_review"
    _, verdicts = processes.dry_run(processes.parse_from(f"milestone:{v_leader.version}"), 1)
    [back] = [v for v in verdicts if v.instance_id == at_report.id]
    assert not back.migratable and "「分管局领导审核」在新版本中已删除" in back.reason


def leader_version_after(admin_user) -> ProcessSpecVersion:
    [(row, _)] = processes.deploy_upload(LEADER_REVIEW.read_bytes(), LEADER_REVIEW.name, admin_user,
                                         make_current=False)
    db.session.commit()
    return row


def test_cli_migrate_dry_run_and_move(tasks, admin_user):
    from app.process_commands import process_group

    urgent, _ = tasks
    instance = milestone(urgent)
    leader_version(admin_user)
    runner = CliRunner()
    dry = json.loads(runner.invoke(process_group, ["migrate", "--from", "milestone:1", "--to", "2",
                                                   "--dry-run"]).output)
    entry = next(e for e in dry["instances"] if e["instance_id"] == instance.id)
    assert dry["dry_run"] and entry["migratable"] and entry["current_steps"] == ["report"]
    db.session.expire_all()
    assert instance.spec_version.version == 1
    moved = json.loads(runner.invoke(process_group, ["migrate", "--from", "milestone:1", "--to", "2"]).output)
    assert next(e for e in moved["instances"] if e["instance_id"] == instance.id)["migrated"] is True
    db.session.expire_all()
    assert instance.spec_version.version == 2
    scoped = json.loads(runner.invoke(process_group, ["migrate", "--from", "milestone:2", "--to", "1", "--dry-run",
                                                      "--scope", "priority:normal"]).output)
    assert scoped["instances"] == []  # the one instance is 特急
    refused = runner.invoke(process_group, ["migrate", "--from", "milestone", "--to", "2"])
    assert refused.exit_code == 1 and "流程:版本号" in json.loads(refused.output)["problems"][0]


def test_pages_bind_dry_run_and_migrate(signed_in, tasks, admin_user):
    urgent, _ = tasks
    instance = milestone(urgent)
    leader_version(admin_user)
    client = signed_in("admin")
    token = csrf_token(client, "/admin/processes/bindings")
    client.post("/admin/processes/bindings", data={"csrf_token": token, "version": "milestone:2",
                                                   "scope": "priority:critical"})
    assert "紧急程度:特急" in client.get("/admin/processes/bindings").get_data(as_text=True)
    assert milestone(urgent).spec_version.version == 2
    overview = client.get("/admin/processes").get_data(as_text=True)
    assert "from=milestone:2&amp;to=1" in overview  # a version with instances that is not current
    page = client.get("/admin/processes/migrate?from=milestone:1&to=2").get_data(as_text=True)
    assert f"#{instance.id}" in page and "可迁移" in page
    moved = client.post("/admin/processes/migrate", data={"csrf_token": token, "source": "milestone:1",
                                                          "target": "2"}).get_data(as_text=True)
    assert "已迁移 " in moved
    db.session.expire_all()
    assert instance.spec_version.version == 2
    assert db.session.scalar(select(WorkItem).filter_by(instance_id=instance.id,
                                                        state=WorkItemState.OPEN)).step_id == "report"
    bad = client.get("/admin/processes/migrate?from=milestone:1&to=9", follow_redirects=True)
    assert "没有第 9 版" in bad.get_data(as_text=True)
