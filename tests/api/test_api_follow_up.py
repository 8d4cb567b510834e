"""催办, 延期 (request and decision), 留言 and 批示 through the API, by the pages' forms and services."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import ExtensionRequest, LeaderInstruction, Notification, TaskComment, Urge, WorkItem
from tests.api.conftest import open_item_id


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_supervisor_urges_an_open_step_once_and_a_liaison_may_not(api_as, task7):
    dushen, zhuce = api_as("dushen"), api_as("zhuce")
    item = open_item_id(zhuce, "decomposition", task7)
    notices = count(Notification)
    sent = dushen.post(f"/api/work-items/{item}/urge", json={"message": "请尽快分解。"})
    assert sent.status_code == 201, sent.get_json()
    assert {"work_item_id": item, "message": "请尽快分解。"}.items() <= sent.get_json().items()
    assert count(Notification) > notices
    again = dushen.post(f"/api/work-items/{item}/urge", json={"message": "请尽快分解。"})
    assert again.status_code == 400 and "不再重复发送" in again.get_json()["message"]
    empty = dushen.post(f"/api/work-items/{item}/urge", json={"message": " "})
    assert empty.status_code == 400 and empty.get_json()["fields"]["message"] == ["请填写催办内容。"]
    assert zhuce.post(f"/api/work-items/{item}/urge", json={"message": "自己催自己"}).status_code == 403
    assert count(Urge) == 1


def test_a_unit_requests_an_extension_and_the_supervisor_decides(api_as, task7):
    dushen, zhuce = api_as("dushen"), api_as("zhuce")
    item_id = open_item_id(zhuce, "decomposition", task7)
    item = db.session.get(WorkItem, item_id)
    later = (item.due_at + timedelta(days=20)).date().isoformat()
    early = zhuce.post(f"/api/work-items/{item_id}/extension", json={"requested_due": "2000-01-01", "reason": "x"})
    assert early.status_code == 400 and "须晚于当前期限" in early.get_json()["message"]
    asked = zhuce.post(f"/api/work-items/{item_id}/extension", json={"requested_due": later, "reason": "等待联调"})
    assert asked.status_code == 201 and asked.get_json()["status"] == "pending"
    twice = zhuce.post(f"/api/work-items/{item_id}/extension", json={"requested_due": later, "reason": "再次"})
    assert twice.status_code == 409 and "待审批" in twice.get_json()["message"]
    request_id = asked.get_json()["id"]
    assert [e["id"] for e in dushen.get("/api/extensions").get_json()["extensions"]] == [request_id]
    assert zhuce.get("/api/extensions").status_code == 403

    no_reason = dushen.post(f"/api/extensions/{request_id}/decide", json={"decision": "refuse"})
    assert no_reason.status_code == 400 and "审批意见" in no_reason.get_json()["message"]
    unknown = dushen.post(f"/api/extensions/{request_id}/decide", json={"decision": "maybe"})
    assert unknown.status_code == 400 and "approve" in unknown.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, request_id).status.value == "pending"
    beyond = dushen.post(f"/api/extensions/{request_id}/decide", json={"decision": "approve", "note": "同意"})
    assert beyond.status_code == 400 and "跨年度" in beyond.get_json()["fields"]["beyond_plan_year"][0]  # a 2023 plan
    approved = dushen.post(f"/api/extensions/{request_id}/decide",
                           json={"decision": "approve", "note": "同意", "beyond_plan_year": True})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved" and approved.get_json()["approved_due_at"]
    stale = dushen.post(f"/api/extensions/{request_id}/decide", json={"decision": "refuse", "note": "不同意"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(WorkItem, item_id).due_at.date().isoformat() == later


def test_comments_by_those_who_see_the_task_and_instructions_by_leaders(api_as, task7):
    zhuce, leader, kexin = api_as("zhuce"), api_as("leader"), api_as("kexin")
    posted = zhuce.post(f"/api/tasks/{task7.id}/comments", json={"body": "已与科信处对接。"})
    assert posted.status_code == 201 and posted.get_json()["body"] == "已与科信处对接。"
    assert zhuce.post(f"/api/tasks/{task7.id}/comments", json={"body": ""}).status_code == 400
    instructed = leader.post(f"/api/tasks/{task7.id}/instructions", json={"body": "请加快进度。"})
    assert instructed.status_code == 201 and instructed.get_json()["author"]["display_name"]
    assert zhuce.post(f"/api/tasks/{task7.id}/instructions", json={"body": "越权"}).status_code == 403
    assert kexin.post(f"/api/tasks/{task7.id}/comments", json={"body": "系统已支持。"}).status_code == 201
    assert (count(TaskComment), count(LeaderInstruction)) == (2, 1)
