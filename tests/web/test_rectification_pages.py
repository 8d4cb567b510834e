"""整改 and 催办 through the real pages: open (from a task or a returned report), steps, list, panel, closure."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Rectification, ReviewDecision, Unit, Urge, WorkItem
from app.services.follow_up import rectification
from app.services.lifecycle import reporting
from app.services.lifecycle.reporting import UploadPolicy
from app.services.timing.workdays import BEIJING
from tests.services.test_lifecycle import item_for
from tests.services.test_rectification import order, return_a_report
from tests.web.test_work import as_user, post


@pytest.fixture
def policy(tmp_path):
    return UploadPolicy(tmp_path, 1024 * 1024)


@pytest.fixture
def returned(task7, people, policy):
    """Task 7's first report, returned by 督审处 with two comments."""
    return return_a_report(task7, people, policy)


def later(days: int = 30) -> str:
    return (datetime.now(BEIJING).date() + timedelta(days=days)).isoformat()


def open_step(client, form_key: str) -> str:
    """The URL of the signed-in user's one open item of ``form_key`` (from the inbox)."""
    wanted = {i.id for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key,
                                                                       WorkItem.state == "open"))}
    inbox = client.get("/work/inbox").get_data(as_text=True)
    (found,) = {int(i) for i in re.findall(r'href="/work/items/(\d+)"', inbox) if int(i) in wanted}
    return f"/work/items/{found}"


def rectification_count() -> int:
    return db.session.scalar(select(func.count(Rectification.id)))


def test_open_from_a_returned_report_and_work_it_through_the_step_pages(app, returned):
    dushen, zhuce = as_user(app, "dushen"), as_user(app, "zhuce")
    task_page = dushen.get(f"/tasks/{returned.plan_task_id}").get_data(as_text=True)
    assert f"/reviews/{returned.id}/rectification" in task_page and "发起整改" in task_page
    url = f"/reviews/{returned.id}/rectification"
    form = dushen.get(url).get_data(as_text=True)
    assert "行业清单不完整\n缺少实施方案" in form

    page = post(dushen, url, {"problems": "行业清单不完整", "requirement": "补齐", "due_date": "2020-01-01"})
    assert page.status_code == 200 and "今天以后" in page.get_data(as_text=True) and rectification_count() == 0
    done = post(dushen, url, {"problems": "行业清单不完整\n缺少实施方案", "requirement": "补齐清单",
                              "due_date": later()})
    assert done.status_code == 302 and rectification_count() == 1
    again = post(dushen, url, {"problems": "重复", "requirement": "重复", "due_date": later()})
    assert again.status_code == 409 and rectification_count() == 1
    task_page = dushen.get(f"/tasks/{returned.plan_task_id}").get_data(as_text=True)
    assert f"/reviews/{returned.id}/rectification" not in task_page and "已发起整改 #" in task_page
    assert "发起整改" in task_page.split('data-testid="task-audit"')[1]   # the audit trail has the opening
    detail = dushen.get(done.headers["Location"]).get_data(as_text=True)
    assert "缺少实施方案" in detail and "待报整改方案" in detail and "注册处" in detail

    plan_url = open_step(zhuce, "rectification_plan")
    assert "缺少实施方案" in zhuce.get(plan_url).get_data(as_text=True)
    assert post(zhuce, plan_url, {"text": "一周内补齐清单"}).status_code == 302
    review_url = open_step(dushen, "rectification_plan_review")
    assert post(dushen, review_url, {"decision": "approve"}).status_code == 302
    result_url = open_step(zhuce, "rectification_result")
    page = post(zhuce, result_url, {"text": "已补齐"})
    assert page.status_code == 200 and "佐证材料" in page.get_data(as_text=True)
    files = {"attachments": (io.BytesIO(b"%PDF-1.4 evidence"), "佐证.pdf")}
    assert post(zhuce, result_url, {"text": "已补齐"}, files).status_code == 302
    verify_url = open_step(dushen, "rectification_verify")
    assert "佐证.pdf" in dushen.get(verify_url).get_data(as_text=True)
    assert post(dushen, verify_url, {"decision": "approve"}).status_code == 302
    assert db.session.scalar(select(Rectification.status)).value == "verified"
    listing = dushen.get("/rectifications?status=verified").get_data(as_text=True)
    assert "已销号" in listing and "整改 #" in listing
    assert "整改 #" not in dushen.get("/rectifications?status=open").get_data(as_text=True)


def test_open_on_a_task_and_who_may_see_it(app, task7):
    dushen, kexin, zhuce = as_user(app, "dushen"), as_user(app, "kexin"), as_user(app, "zhuce")
    url = f"/tasks/{task7.id}/rectifications/new"
    zhuce_unit = db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))
    kexin_unit = db.session.scalar(select(Unit.id).where(Unit.name == "科信处"))
    data = {"unit": zhuce_unit, "milestone": 0, "source": "inspection", "problems": "台账不全",
            "requirement": "补齐台账", "due_date": later()}
    refused = post(dushen, url, {**data, "unit": kexin_unit})
    assert refused.status_code == 200 and rectification_count() == 0
    done = post(dushen, url, data)
    assert done.status_code == 302
    assert zhuce.get(done.headers["Location"]).status_code == 200
    response = kexin.get(done.headers["Location"])
    assert response.status_code == 403
    response.close()
    panel = dushen.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert 'data-testid="rectification-row"' in panel and "巡察" in panel


def test_urge_from_the_task_page_shows_on_the_item(app, task7):
    dushen, zhuce = as_user(app, "dushen"), as_user(app, "zhuce")
    task_page = dushen.get(f"/tasks/{task7.id}").get_data(as_text=True)
    (item_id,) = {int(i) for i in re.findall(r'action="/work/items/(\d+)/urge"', task_page)}
    response = post(dushen, f"/work/items/{item_id}/urge", {"message": "请尽快分解", "next": f"/tasks/{task7.id}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task7.id}")
    assert "已催办 1 次" in dushen.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert "已催办 1 次" in dushen.get("/urging").get_data(as_text=True)
    item_page = zhuce.get(f"/work/items/{item_id}").get_data(as_text=True)
    assert "已催办 1 次" in item_page and "请尽快分解" in item_page
    blank = post(dushen, f"/work/items/{item_id}/urge", {"message": ""})
    assert blank.status_code == 302 and db.session.scalar(select(func.count(Urge.id))) == 1
    assert "查看各单位在办事项并催办" in dushen.get("/work/inbox").get_data(as_text=True)


def test_the_closure_step_page_says_why_the_task_cannot_close(app, returned, people, policy):
    zhuce_user, dushen_user = people["zhuce"], people["dushen"]
    rect = rectification.open_from_review(returned, order(0), dushen_user)
    task7 = rect.task
    reporting.submit_report(item_for(zhuce_user, "milestone_report", task7), "完成", 100, {}, [], policy, zhuce_user)
    reporting.review_report(item_for(dushen_user, "report_review", task7), ReviewDecision.APPROVE, None, None,
                            dushen_user)
    db.session.commit()
    dushen = as_user(app, "dushen")
    url = open_step(dushen, "task_closure")
    page = dushen.get(url).get_data(as_text=True)
    assert 'data-testid="closure-blocker"' in page and f"整改 #{rect.id}" in page
    refused = post(dushen, url, {"summary": "办结"})
    assert refused.status_code == 200 and "全部销号后方可办结" in refused.get_data(as_text=True)
    assert db.session.scalar(select(WorkItem.state).where(WorkItem.id == int(url.rsplit("/", 1)[1]))).value == "open"


def test_the_rectification_list_downloads_as_a_workbook_filtered_as_shown(app, task7, people, tmp_path):
    """整改台账 (.xlsx) from the list's 导出 button with the list's status filter, and the same from the CLI."""
    from openpyxl import load_workbook

    zhuce_unit = db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))
    rectification.open_rectification(task7, order(zhuce_unit, problems=["台账不全", "=1+1"]), people["dushen"])
    db.session.commit()
    dushen = as_user(app, "dushen")
    assert 'href="/rectifications/export?status=open"' in dushen.get("/rectifications?status=open").get_data(
        as_text=True)
    response = dushen.get("/rectifications/export?status=open")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert 'filename="open-rectifications-' in disposition and "filename*=UTF-8''" in disposition
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value.startswith("整改台账（未销号）（导出日期") and sheet["B2"].value == "重点任务"
    row = [c.value for c in sheet[3]]
    assert row[0] == 1 and row[3] == "注册处" and row[5] == "1. 台账不全\n2. =1+1" and row[8] == "待报整改方案"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0
    verified = load_workbook(io.BytesIO(dushen.get("/rectifications/export?status=verified").data)).active
    assert verified.max_row == 2   # title and header, no rows
    assert as_user(app, "zhuce").get("/rectifications/export").status_code == 403

    out = tmp_path / "整改台账.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "rectifications", "--status", "open", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [c.value for c in load_workbook(out).active[3]][3:6] == row[3:6]
