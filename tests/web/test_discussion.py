"""Comment thread, leader instructions acknowledged by each responsible unit, priority."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, InstructionAcknowledgement, PlanTask, Priority, TaskComment
from tests.conftest import csrf_token, login


@pytest.fixture
def plan(plan_2023):
    return {t.number: t.id for t in plan_2023.tasks}


def as_user(app, username):
    client = app.test_client()
    login(client, username)
    return client


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/work/inbox"), **data})


def test_a_leader_instruction_waits_in_each_responsible_unit_inbox_until_acknowledged(app, plan):
    leader, zhuce, kexin = as_user(app, "leader"), as_user(app, "zhuce"), as_user(app, "kexin")
    task7 = plan[7]
    assert post(leader, f"/tasks/{task7}/instructions", {"body": "请于三季度前完成行业扩围"}).status_code == 302
    inbox = zhuce.get("/work/inbox").get_data(as_text=True)
    assert 'data-testid="pending-instructions"' in inbox and "请于三季度前完成行业扩围" in inbox
    page = zhuce.get(f"/tasks/{task7}").get_data(as_text=True)
    instruction_url = page.split('action="/instructions/')[1].split('"')[0]
    assert post(zhuce, f"/instructions/{instruction_url}", {}).status_code == 302
    assert post(zhuce, f"/instructions/{instruction_url}", {}).status_code == 302   # twice changes nothing
    assert 'data-testid="pending-instructions"' not in zhuce.get("/work/inbox").get_data(as_text=True)
    assert 'data-testid="pending-instructions"' in kexin.get("/work/inbox").get_data(as_text=True)
    post(kexin, f"/instructions/{instruction_url}", {})
    units = sorted(a.unit.name for a in db.session.scalars(select(InstructionAcknowledgement)))
    assert units == ["注册处", "科信处"]


def test_comments_need_text_and_a_unit_outside_the_task_cannot_post(app, plan):
    zhuce = as_user(app, "zhuce")
    empty = post(zhuce, f"/tasks/{plan[7]}/comments", {"body": "  "})
    assert "请填写留言内容。" in empty.get_data(as_text=True)
    assert post(zhuce, f"/tasks/{plan[7]}/comments", {"body": "已与科信处对接"}).status_code == 302
    assert "已与科信处对接" in zhuce.get(f"/tasks/{plan[7]}").get_data(as_text=True)
    assert post(zhuce, f"/tasks/{plan[1]}/comments", {"body": "越权留言"}).status_code == 403
    assert db.session.scalar(select(func.count(TaskComment.id))) == 1


def test_supervisor_sets_the_priority_and_it_is_audited(app, plan):
    dushen = as_user(app, "dushen")
    post(dushen, f"/tasks/{plan[18]}/priority", {"priority": "critical"})
    db.session.expire_all()
    assert db.session.get(PlanTask, plan[18]).priority is Priority.CRITICAL
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "priority_changed"))
    assert event.before == {"priority": "normal"} and event.after == {"priority": "critical"}
    assert "特急" in dushen.get(f"/tasks/{plan[18]}").get_data(as_text=True)
