"""An external system with scoped tokens: registers a 领导批示, works it to closure, downloads the 台账.

Each step is completed with the token of the user the step belongs to, as another government system would
hold one token per account; a read-only token is refused every write in Chinese, with nothing changed.
"""
from __future__ import annotations

import io
import time
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.exports import XLSX, jobs
from app.extensions import db
from app.models import Plan, User
from app.services.infrastructure import api_tokens
from app.services.timing.workdays import BEIJING
from tests.api.conftest import bearer_client, complete, open_item_id
from tests.conftest import PLAN_2023


def token_client(app, username: str, *scopes: str):
    user = db.session.scalar(select(User).where(User.username == username))
    issued = api_tokens.issue_token(user, "省政务服务平台对接", None, scopes)
    db.session.commit()
    return bearer_client(app, issued.secret)


def register_instruction(dushen) -> dict:
    deadline = (datetime.now(BEIJING).date() + timedelta(days=60)).isoformat()
    body = {"source": "leader_instruction", "document_number": "鄂市监批〔2026〕9号",
            "text": "请注册处于两个月内完成经营主体登记档案电子化。", "lead_units": "注册处",
            "final_deadline": deadline}
    created = dushen.post("/api/items", json=body)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_an_external_client_registers_works_and_exports_a_leader_instruction(app, demo):
    dushen = token_client(app, "dushen", "read", "act")
    zhuce = token_client(app, "zhuce", "read", "act")
    reader = token_client(app, "zhuce", "read")
    task = register_instruction(dushen)
    assert task["plan"]["kind"] == "leader_instruction" and task["supervision_number"]
    plan_task = type("Ref", (), {"id": task["id"]})   # open_item_id only reads the id
    today = datetime.now(BEIJING).date()
    due = min(today + timedelta(days=10), date(today.year, 12, 31)).isoformat()  # a plan's year holds its nodes
    row = {"title": "档案扫描入库", "deliverable": "电子档案库", "due_date": due,
           "owner": db.session.scalar(select(User.id).where(User.username == "zhuce"))}

    decomposition = open_item_id(zhuce, "decomposition", plan_task)
    refused = reader.post(f"/api/work-items/{decomposition}/complete", json={"milestones": [row]})
    assert refused.status_code == 403 and refused.get_json()["error_code"] == "permission_denied"
    assert "只读" in refused.get_json()["message"]
    assert reader.get(f"/api/work-items/{decomposition}").get_json()["state"] == "open"

    complete(zhuce, decomposition, {"form": "decomposition", "milestones": [row]})
    complete(dushen, open_item_id(dushen, "decomposition_review", plan_task), {"decision": "approve"})
    complete(zhuce, open_item_id(zhuce, "milestone_report", plan_task),
             {"progress": "已完成全部档案扫描", "percent_done": 100})
    complete(dushen, open_item_id(dushen, "report_review", plan_task), {"decision": "approve", "quality": "good"})
    closed = complete(dushen, open_item_id(dushen, "task_closure", plan_task), {"summary": "按期办结"})
    assert closed["message"] == "已办结。"
    assert reader.get(f"/api/tasks/{task['id']}").get_json()["closed"] is True

    ledger = dushen.get(f"/api/exports/ledger?plan={task['plan']['id']}")
    assert ledger.status_code == 200 and ledger.mimetype == XLSX and "attachment" in ledger.headers[
        "Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(ledger.data)).active.iter_rows(values_only=True))
    assert "鄂市监批〔2026〕9号 督查台账" in rows[0][0]
    assert (task["supervision_number"], "请注册处于两个月内完成经营主体登记档案电子化") in [(r[0], r[3]) for r in rows]
    assert zhuce.get(f"/api/exports/ledger?plan={task['plan']['id']}").status_code == 403  # a liaison: no 台账


def test_a_large_plans_export_is_a_job_then_a_file(app, demo, monkeypatch):
    monkeypatch.setattr(jobs, "DIRECT_TASKS", 0)  # the item's one-task plan counts as large
    dushen = token_client(app, "dushen", "read", "act")
    plan_id = register_instruction(dushen)["plan"]["id"]
    started = dushen.get(f"/api/exports/bulletin?plan={plan_id}")
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["status"] in ("queued", "running", "ready") and job["links"]["self"].endswith(str(job["id"]))
    for _ in range(600):
        job = dushen.get(job["links"]["self"]).get_json()
        if job["status"] in ("ready", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "ready" and job["progress"] == 100, job
    document = dushen.get(job["links"]["file"])
    assert document.status_code == 200 and document.data[:2] == b"PK"
    other = token_client(app, "admin", "read")
    assert other.get(job["links"]["self"]).status_code == 403
    assert db.session.get(Plan, plan_id) is not None


def test_unknown_kinds_and_bad_days_are_refused_in_chinese(app, demo):
    dushen = token_client(app, "dushen", "read")
    register_instruction(token_client(app, "dushen", "act"))
    unknown = dushen.get("/api/exports/minutes")
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "没有这种导出文件。"
    bad_day = dushen.get("/api/exports/ledger?as_of=2026-02-30")
    assert bad_day.status_code == 400 and bad_day.get_json()["message"].startswith("统计")


def test_dashboard_figures_say_the_day_they_are_as_of(app, demo):
    dushen = token_client(app, "dushen", "read", "act")
    plan_id = register_instruction(dushen)["plan"]["id"]
    today = datetime.now(BEIJING).date().isoformat()
    figures = dushen.get(f"/api/dashboard?plan={plan_id}&as_of={today}").get_json()
    assert figures["as_of"] == today and figures["plan_ids"] == [plan_id]
    assert figures["totals"]["tasks"] == 1 and figures["totals"]["percent_done"] is None
    assert {s["state"]: s["count"] for s in figures["states"]}["decomposing"] == 1
    assert dushen.get("/api/dashboard").get_json()["as_of"] == today   # omitted: today, Beijing time
    assert dushen.get("/api/dashboard?as_of=2026-01-05").get_json()["as_of"] == "2026-01-05"
    assert token_client(app, "zhuce", "read").get("/api/dashboard").status_code == 403


def test_plans_list_and_one_plan_with_its_tasks(app, demo):
    dushen = token_client(app, "dushen", "read", "act")
    task = register_instruction(dushen)
    plans = dushen.get("/api/plans").get_json()["plans"]
    assert [(p["kind"], p["document_number"]) for p in plans] == [("leader_instruction", "鄂市监批〔2026〕9号")]
    detail = dushen.get(plans[0]["links"]["self"]).get_json()
    assert [(t["id"], t["supervision_number"]) for t in detail["tasks"]] == [(task["id"], task["supervision_number"])]
    assert dushen.get("/api/plans/999999").status_code == 404
    assert token_client(app, "zhuce", "read").get("/api/plans").status_code == 403


def test_a_plan_is_imported_with_a_preview_then_confirmed_once(app, demo):
    dushen = token_client(app, "dushen", "read", "act")
    text = PLAN_2023.read_text("utf-8")
    empty = dushen.post("/api/plans/import", json={"pasted": " "})
    assert empty.status_code == 400 and "pasted" in empty.get_json()["message"]
    started = dushen.post("/api/plans/import", json={"pasted": text})
    assert started.status_code == 201, started.get_json()
    preview = started.get_json()
    assert len(preview["tasks"]) == 39 and preview["year"] == 2023 and preview["unresolved"] == []
    assert preview["resolved"]["注册处"] == "注册处"
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0   # a preview stores no plan
    confirmed = dushen.post(preview["links"]["confirm"])
    assert confirmed.status_code == 201 and confirmed.get_json()["year"] == 2023
    again = dushen.post(preview["links"]["confirm"])
    assert again.status_code == 409 and again.get_json()["message"]
    assert dushen.post("/api/plans/import", json={"pasted": text}).status_code == 409   # the same document
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
