"""The deadlines pages: 申请延期 and its approval, 时限规则, 节假日设置 — through the real forms."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CalendarOverride, DeadlinePolicy, DueDateChange, ExtensionRequest, PlanTask
from app.services.timing.workdays import BEIJING
from tests.services.test_deadlines import at, decomposition_item, imported_in_2023  # noqa: F401
from tests.web.test_work import as_user, post


@pytest.fixture
def item(imported_in_2023):  # noqa: F811
    """注册处's decomposition of task 7, due 10 October 2023 18:00."""
    return decomposition_item(imported_in_2023, 7)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id))) or 0


def in_late_2026(app, username: str, url: str) -> str:
    """The page as seen on 24 November 2026, when chinese-calendar 1.11 does not know 2027 yet."""
    with time_machine.travel(at(date(2026, 11, 24)), tick=False):
        return as_user(app, username).get(url).get_data(as_text=True)


def test_the_unit_asks_and_the_supervisor_approves_another_date(app, item):
    zhuce, dushen = as_user(app, "zhuce"), as_user(app, "dushen")
    page = zhuce.get(f"/work/items/{item.id}").get_data(as_text=True)
    assert "申请延期" in page and f"/work/items/{item.id}/extension" in page

    url = f"/work/items/{item.id}/extension"
    page = post(zhuce, url, {"requested_due": "", "reason": ""}).get_data(as_text=True)
    assert "请填写申请延期至的日期" in page and "请填写申请延期的理由" in page and count(ExtensionRequest) == 0
    page = post(zhuce, url, {"requested_due": "2023-10-09", "reason": "协调中"}).get_data(as_text=True)
    assert "延期后的日期须晚于当前期限(2023年10月10日)" in page and count(ExtensionRequest) == 0
    response = post(zhuce, url, {"requested_due": "2023-10-31", "reason": "需征求多部门意见"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/work/items/{item.id}")
    assert "延期申请待督审处审批" in zhuce.get(f"/work/items/{item.id}").get_data(as_text=True)
    assert "已有待审批的延期申请" in zhuce.get(url).get_data(as_text=True)

    listing = dushen.get("/extensions").get_data(as_text=True)
    assert "需征求多部门意见" in listing and 'data-testid="badge-deadlines.pending">1<' in listing
    request_id = db.session.scalar(select(ExtensionRequest.id))
    decide = f"/extensions/{request_id}"
    assert 'value="2023-10-31"' in dushen.get(decide).get_data(as_text=True)
    response = post(dushen, decide, {"granted_due": "2023-10-20", "note": "同意延至20日", "approve": "批准"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/extensions")
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 10, 20)

    again = post(dushen, decide, {"granted_due": "2023-11-30", "approve": "批准"})
    assert again.status_code == 409 and "已审批（已批准）,不能重复审批" in again.get_data(as_text=True)
    task = db.session.get(PlanTask, item.context["plan_task_id"])
    history = dushen.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "2023-10-10 18:00" in history and "2023-10-20 18:00" in history and "同意延至20日" in history
    assert "批准延期" in history     # the audit trail's Chinese label


def test_refusing_needs_a_note(app, item):
    zhuce, dushen = as_user(app, "zhuce"), as_user(app, "dushen")
    post(zhuce, f"/work/items/{item.id}/extension", {"requested_due": "2023-10-31", "reason": "协调中"})
    decide = f"/extensions/{db.session.scalar(select(ExtensionRequest.id))}"
    page = post(dushen, decide, {"granted_due": "2023-10-31", "note": "", "refuse": "不予批准"})
    assert page.status_code == 200 and "不予批准时请填写审批意见" in page.get_data(as_text=True)
    response = post(dushen, decide, {"granted_due": "2023-10-31", "note": "请按期完成", "refuse": "不予批准"})
    assert response.status_code == 302
    page = zhuce.get(f"/work/items/{item.id}").get_data(as_text=True)
    assert "未批准" in page and "请按期完成" in page and count(DueDateChange) == 0


def test_another_unit_is_refused_with_403(app, item):
    kexin = as_user(app, "kexin")
    url = f"/work/items/{item.id}/extension"
    assert kexin.get(url).status_code == 403
    response = kexin.post(url, data={"requested_due": "2023-10-31", "reason": "越权"})
    assert response.status_code in (400, 403) and count(ExtensionRequest) == 0


def test_policy_page_saves_and_moves_due_dates(app, item, imported_in_2023):  # noqa: F811
    dushen = as_user(app, "dushen")
    plan_page = dushen.get(f"/plans/{imported_in_2023.id}").get_data(as_text=True)
    url = f"/plans/{imported_in_2023.id}/deadline-policy"
    assert url in plan_page
    page = in_late_2026(app, "dushen", url)
    assert "2027年的法定节假日和调休安排尚未收录" in page and "任务分解时限" in page
    fields = {"decompose_within": "12", "review_within": "5", "respond_within": "3", "remind_before": "3",
              "escalate_head_after": "3", "escalate_leaders_after": "10", "stagnation_after": "15",
              "progress_tolerance": "10", "report_cycle": "none", "report_day": "25"}
    version = db.session.scalar(select(DeadlinePolicy.updated_at)).isoformat()
    bad = post(dushen, url, {**fields, "version": version, "escalate_leaders_after": "2", "report_day": "31",
                             "remind_before": "三"}).get_data(as_text=True)
    assert "报送日须为 1 至 28 之间的整数" in bad and "请填写整数" in bad
    bad = post(dushen, url, {**fields, "version": version, "escalate_leaders_after": "2"}).get_data(as_text=True)
    assert "不能少于提请单位负责人" in bad and count(DueDateChange) == 0
    response = post(dushen, url, {**fields, "version": version})
    assert response.status_code == 302
    assert "个办理事项的期限随之调整" in dushen.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 10, 12) and count(DueDateChange) > 0
    stale = post(dushen, url, {**fields, "version": version, "decompose_within": "15"})
    assert stale.status_code == 409 and "已被他人修改" in stale.get_data(as_text=True)
    assert as_user(app, "admin").get(url).status_code == 200


def test_calendar_page_adds_and_deletes_days(app, item):
    admin = as_user(app, "admin")
    page = in_late_2026(app, "admin", "/admin/calendar")
    assert 'data-testid="calendar-warning"' in page and "节假日设置" in page
    response = post(admin, "/admin/calendar", {"day": "2023-10-09", "kind": "rest", "note": "临时停工"})
    assert response.status_code == 302
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert "2023-10-09" in page and "临时停工" in page and "个办理事项的期限随之调整" in page
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 10, 11)
    dup = post(admin, "/admin/calendar", {"day": "2023-10-09", "kind": "work", "note": ""}).get_data(as_text=True)
    assert "已有设置" in dup and count(CalendarOverride) == 1
    missing = post(admin, "/admin/calendar", {"day": "", "kind": ""}).get_data(as_text=True)
    assert "请填写日期" in missing and "请选择上班或休息" in missing
    override_id = db.session.scalar(select(CalendarOverride.id))
    assert post(admin, f"/admin/calendar/{override_id}/delete", {}).status_code == 302
    assert post(admin, f"/admin/calendar/{override_id}/delete", {}).status_code == 409
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 10, 10)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "calendar_override")) == 2
