"""Dates and numbers that make sense, through the real pages: milestone dates within the plan year and not in
the past without a reason, extensions past the plan year confirmed by 督审处, 办结说明 required, amounts shown plain."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Decomposition, DueDateChange, ExtensionRequest, ReviewDecision, User
from app.services.follow_up import extensions
from app.services.lifecycle import reporting
from app.services.timing.workdays import BEIJING
from tests.security.test_view_races import decomposed, policy, ready_to_close, who
from tests.services.test_deadlines import at, decomposition_item, imported_in_2023  # noqa: F401
from tests.services.test_lifecycle import item_for
from tests.web.test_work import as_user, ids, open_item, post

SPRING_2023 = date(2023, 3, 1)


def milestone_row(due: str, **more: str) -> dict[str, str]:
    row = {"title": "出台实施方案", "deliverable": "实施方案", "due_date": due,
           "owner": str(ids(User, username="zhuce")), **more}
    return {f"milestones-0-{name}": value for name, value in row.items()} | {"submit": "1"}


def rounds(task) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task.id))


@pytest.mark.parametrize(("due", "reason", "message"), [
    ("2023-02-01", "", "完成时限 2023-02-01 早于今天(2023-03-01)"),
    ("2024-01-15", "", "完成时限应在 2023 年内(2023-01-01 至 2023-12-31)"),
    ("2024-01-15", "跨年度推进", "完成时限应在 2023 年内"),
    ("2022-12-31", "补录", "完成时限应在 2023 年内"),
])
def test_an_impossible_milestone_date_is_refused_on_its_field_and_the_form_keeps_what_was_typed(
        app, task7, due, reason, message):
    with time_machine.travel(at(SPRING_2023), tick=False):
        zhuce = as_user(app, "zhuce")
        url = open_item(zhuce, "decomposition", task7)
        response = post(zhuce, url, milestone_row(due, past_date_reason=reason))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"第 1 个节点的{message}" in page
    field_error = page.index(message)
    assert page.rindex('name="milestones-0-due_date"', 0, field_error) > page.rindex("<fieldset", 0, field_error)
    assert f'value="{due}"' in page and 'value="出台实施方案"' in page
    assert rounds(task7) == 0


def test_a_date_from_today_to_the_year_end_is_taken_and_a_past_date_with_its_reason_too(app, task7):
    with time_machine.travel(at(SPRING_2023), tick=False):
        zhuce = as_user(app, "zhuce")
        url = open_item(zhuce, "decomposition", task7)
        assert post(zhuce, url, milestone_row("2023-12-31")).status_code == 302
        assert rounds(task7) == 1
        dushen = as_user(app, "dushen")
        returned = {"decision": "return", "comments": "补录前期节点", "submit": "1"}
        assert post(dushen, open_item(dushen, "decomposition_review", task7), returned).status_code == 302
        page = zhuce.get(open_item(zhuce, "decomposition", task7)).get_data(as_text=True)
        assert "早于今天的原因" in page
        response = post(zhuce, open_item(zhuce, "decomposition", task7),
                        milestone_row("2023-01-20", past_date_reason="1月已完成,补录"))
    assert response.status_code == 302 and rounds(task7) == 2
    snapshot = db.session.scalar(select(Decomposition).where(Decomposition.plan_task_id == task7.id)).rounds[-1]
    assert snapshot.milestones[0]["past_date_reason"] == "1月已完成,补录"


@pytest.fixture
def asked_into_2024(imported_in_2023):  # noqa: F811
    """注册处 asked to move its decomposition of task 7 (due 10 October 2023) to 31 January 2024."""
    item = decomposition_item(imported_in_2023, 7)
    request = extensions.request_extension(item, date(2024, 1, 31), "需跨年度协调", who("zhuce"))
    db.session.commit()
    return item, request.id


def test_an_extension_past_the_plan_year_needs_the_supervisors_confirmation(app, asked_into_2024):
    item, request_id = asked_into_2024
    dushen, decide = as_user(app, "dushen"), f"/extensions/{request_id}"
    assert "确认跨年度延期" in dushen.get(decide).get_data(as_text=True)
    refused = post(dushen, decide, {"granted_due": "2024-01-31", "note": "同意", "approve": "批准"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "已超出 2023 年度计划,请勾选“确认跨年度延期”" in page
    assert page.index("已超出 2023 年度计划") > page.index('name="beyond_plan_year"')
    assert 'value="2024-01-31"' in page and "同意" in page
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 10, 10)
    assert db.session.scalar(select(func.count(DueDateChange.id))) == 0

    within = post(dushen, decide, {"granted_due": "2023-12-29", "approve": "批准"})
    assert within.status_code == 302
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 12, 29)


def test_a_confirmed_extension_into_the_next_year_is_granted(app, asked_into_2024):
    item, request_id = asked_into_2024
    dushen = as_user(app, "dushen")
    response = post(dushen, f"/extensions/{request_id}",
                    {"granted_due": "2024-01-31", "beyond_plan_year": "y", "approve": "批准"})
    assert response.status_code == 302
    db.session.expire_all()
    assert item.due_at.astimezone(BEIJING).date() == date(2024, 1, 31)
    assert db.session.get(ExtensionRequest, request_id).status.value == "approved"


def test_closure_needs_a_closing_note_on_its_field(app, task7):
    ready_to_close(task7)
    db.session.commit()
    dushen = as_user(app, "dushen")
    url = open_item(dushen, "task_closure", task7)
    closed_before = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "closed"))
    page = post(dushen, url, {"summary": "  ", "submit": "1"}).get_data(as_text=True)
    assert "请填写办结说明。" in page and page.index("请填写办结说明。") > page.index('name="summary"')
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "closed")) == closed_before
    assert post(dushen, url, {"summary": "按期完成", "submit": "1"}).status_code == 302


def test_a_returned_report_is_prefilled_with_plain_amounts(app, task7):
    decomposed(task7)
    zhuce, dushen = who("zhuce"), who("dushen")
    milestone_target = task7.targets[0]
    milestone = reporting.milestone_of(item_for(zhuce, "milestone_report", task7))
    milestone.targets.append(milestone_target)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "已扩展到32万", 60,
                            {milestone_target.id: Decimal("320000")}, [], policy(), zhuce)
    reporting.review_report(item_for(dushen, "report_review", task7), ReviewDecision.RETURN, "请补充", None, dushen)
    db.session.commit()
    client = as_user(app, "zhuce")
    page = client.get(open_item(client, "milestone_report", task7)).get_data(as_text=True)
    assert 'value="320000"' in page and "320000.000000" not in page
