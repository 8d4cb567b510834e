"""中止 / 阶段性办结 through the real forms: the unit asks on the task page, 督审处 decides under 中止/办结审批."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, ExtensionStatus, HoldKind, PlanTask, TaskHoldRequest
from tests.services.test_lights import decompose, plan, task  # noqa: F401
from tests.web.test_work import as_user, post


@pytest.fixture
def task7(plan, people):  # noqa: F811
    seven = task(plan, 7)
    decompose(seven, people, ("完成试点", date(2023, 10, 9)), ("扩大行业范围", date(2023, 12, 29)))
    return seven


def requests() -> list[TaskHoldRequest]:
    db.session.expire_all()
    return list(db.session.scalars(select(TaskHoldRequest)))


def test_the_unit_asks_for_stage_closure_and_the_supervisor_approves(app, task7):
    zhuce, dushen, kexin = as_user(app, "zhuce"), as_user(app, "dushen"), as_user(app, "kexin")
    page = zhuce.get(f"/tasks/{task7.id}").get_data(as_text=True)
    url = f"/tasks/{task7.id}/hold"
    assert url in page and url not in kexin.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert kexin.get(url).status_code == 403  # 科信处 only cooperates

    page = post(zhuce, url, {"reason": ""}).get_data(as_text=True)
    assert "请选择申请中止还是阶段性办结" in page and "请填写申请的理由" in page and requests() == []
    page = post(zhuce, url, {"kind": "pause", "reason": "x"}).get_data(as_text=True)
    assert "请选择申请中止还是阶段性办结" in page and "Not a valid choice" not in page and requests() == []
    response = post(zhuce, url, {"kind": "stage_close", "reason": "试点已完成,转入常态化推进"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task7.id}")
    # The same form sent again (a double click or a stale tab) is refused, nothing added.
    again = post(zhuce, url, {"kind": "suspend", "reason": "再次提交"})
    assert again.status_code == 302 and len(requests()) == 1
    assert "已有待审批的中止或阶段性办结申请" in zhuce.get(again.headers["Location"]).get_data(as_text=True)

    listing = dushen.get("/holds").get_data(as_text=True)
    assert "试点已完成" in listing and 'data-testid="badge-deadlines.holds">1<' in listing
    assert kexin.get("/holds").status_code == 403
    (hold,) = requests()
    decide = f"/holds/{hold.id}"
    page = post(dushen, decide, {"note": "", "refuse": "不予批准"}).get_data(as_text=True)
    assert "不予批准时请填写审批意见" in page and requests()[0].status is ExtensionStatus.PENDING
    response = post(dushen, decide, {"note": "同意", "approve": "批准"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/holds")
    twice = post(dushen, decide, {"note": "", "approve": "批准"})
    assert twice.status_code == 409 and "已审批（已批准）,不能重复审批" in twice.get_data(as_text=True)

    db.session.expire_all()
    seven = db.session.get(PlanTask, task7.id)
    assert seven.hold_kind is HoldKind.STAGE_CLOSE
    page = zhuce.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert 'data-testid="task-state">阶段性办结<' in page and f'href="{url}"' not in page
    assert 'data-light="green"' in page and "阶段性办结申请已批准" in zhuce.get("/notifications").get_data(as_text=True)
    assert "阶段性办结" in zhuce.get("/dashboards/my-unit", follow_redirects=True).get_data(as_text=True)
    refused = zhuce.get(url)  # a closed task takes no request: back to the task, saying why
    assert refused.status_code == 302
    assert "不能再申请中止或阶段性办结" in zhuce.get(refused.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(TaskHoldRequest.id))) == 1


def test_a_suspended_task_is_grey_on_the_plan_and_task_pages(app, task7, people):
    zhuce, dushen = as_user(app, "zhuce"), as_user(app, "dushen")
    post(zhuce, f"/tasks/{task7.id}/hold", {"kind": "suspend", "reason": "已由国家局统一部署"})
    (hold,) = requests()
    assert post(dushen, f"/holds/{hold.id}", {"note": "", "approve": "批准"}).status_code == 302
    page = dushen.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert 'data-testid="task-state">已中止<' in page and 'data-light="grey"' in page and "已中止" in page
    plan_page = dushen.get(f"/plans/{task7.plan_id}").get_data(as_text=True)
    assert 'data-light="grey"' in plan_page


def test_a_request_may_carry_supporting_files_through_the_attachment_checks(app, task7):
    zhuce, dushen = as_user(app, "zhuce"), as_user(app, "dushen")
    url = f"/tasks/{task7.id}/hold"
    assert 'enctype="multipart/form-data"' in zhuce.get(url).get_data(as_text=True)
    refused = post(zhuce, url, {"kind": "suspend", "reason": "已由国家局统一部署"},
                   {"attachments": (io.BytesIO(b"<html><script>x</script>"), "a.txt")})
    assert refused.status_code == 200 and "格式不受支持" in refused.get_data(as_text=True)
    assert requests() == [] and db.session.scalar(select(func.count(Attachment.id))) == 0  # nothing kept
    response = post(zhuce, url, {"kind": "suspend", "reason": "已由国家局统一部署"},
                    {"attachments": (io.BytesIO("国家局通知全文。".encode()), "国家局通知.txt")})
    assert response.status_code == 302
    (hold,) = requests()
    (file,) = db.session.scalars(select(Attachment)).all()
    assert (file.owner, file.plan_task_id, file.original_name) == (("task_hold_request", hold.id), task7.id,
                                                                   "国家局通知.txt")
    page = dushen.get(f"/holds/{hold.id}").get_data(as_text=True)
    assert f"/attachments/{file.id}" in page and "国家局通知.txt" in page
    with dushen.get(f"/attachments/{file.id}") as download:
        assert download.data == "国家局通知全文。".encode()


def test_a_request_without_files_is_as_before(app, task7):
    zhuce = as_user(app, "zhuce")
    assert post(zhuce, f"/tasks/{task7.id}/hold", {"kind": "stage_close", "reason": "试点已完成"}).status_code == 302
    assert len(requests()) == 1 and db.session.scalar(select(func.count(Attachment.id))) == 0
