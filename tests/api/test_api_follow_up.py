"""催办, 延期 (request and decision), 留言 and 批示 through the API, by the pages' forms and services."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    ExtensionRequest,
    LeaderInstruction,
    Notification,
    Rectification,
    ReviewDecision,
    ReviewRecord,
    TaskComment,
    Urge,
    User,
    WorkItem,
)
from app.services.timing.workdays import BEIJING
from tests.api.conftest import complete, open_item_id


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


def test_supervisor_opens_a_rectification_from_a_returned_report(api_as, task7):
    zhuce, dushen = api_as("zhuce"), api_as("dushen")
    row = {"title": "节点", "deliverable": "成果", "due_date": "2023-06-30", "past_date_reason": "补录",
           "owner": db.session.scalar(select(User.id).where(User.username == "zhuce"))}
    complete(zhuce, open_item_id(zhuce, "decomposition", task7), {"milestones": [row]})
    complete(dushen, open_item_id(dushen, "decomposition_review", task7), {"decision": "approve"})
    complete(zhuce, open_item_id(zhuce, "milestone_report", task7), {"progress": "进展", "percent_done": 30})
    complete(dushen, open_item_id(dushen, "report_review", task7), {"decision": "return", "comments": "缺少清单"})
    review_id = db.session.scalar(select(ReviewRecord.id).where(ReviewRecord.decision == ReviewDecision.RETURN))
    due = (datetime.now(BEIJING).date() + timedelta(days=30)).isoformat()
    body = {"problems": "缺少清单\n进度滞后", "requirement": "补齐清单", "due_date": due}

    assert zhuce.post(f"/api/reviews/{review_id}/rectification", json=body).status_code == 403
    missing = dushen.post(f"/api/reviews/{review_id}/rectification", json={**body, "requirement": ""})
    assert missing.status_code == 400 and missing.get_json()["fields"]["requirement"] == ["请填写整改要求。"]
    opened = dushen.post(f"/api/reviews/{review_id}/rectification", json=body)
    assert opened.status_code == 201, opened.get_json()
    found = opened.get_json()
    assert found["problems"] == ["缺少清单", "进度滞后"] and found["unit"]["name"] == "注册处"
    assert found["status"] == "planning"
    again = dushen.post(f"/api/reviews/{review_id}/rectification", json=body)
    assert again.status_code in (400, 409) and again.get_json()["message"]
    assert count(Rectification) == 1
    assert zhuce.get(found["links"]["self"]).get_json()["id"] == found["id"]   # the unit concerned reads it
    listed = dushen.get("/api/rectifications?status=open").get_json()
    assert [r["id"] for r in listed["rectifications"]] == [found["id"]] and listed["total"] == 1
    assert open_item_id(zhuce, "rectification_plan", task7)   # the unit's plan is a work item like any step
