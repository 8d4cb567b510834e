"""A too-large upload (over MAX_UPLOAD_MB) goes back to the form it came from with a Chinese message that
states the limit, and changes nothing; every upload field states the limit."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app import demo_activity
from app.extensions import db
from app.models import MilestoneReport, PlanTask, WorkItem, WorkItemState
from tests.conftest import csrf_token, login, make_test_app
from tests.snapshots import seeded

LIMIT = 64 * 1024


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


@pytest.fixture
def small(database_url, activity):
    """The app with a 64 KB upload limit, on the demo story."""
    return make_test_app(database_url, MAX_CONTENT_LENGTH=LIMIT, MAX_FORM_MEMORY_SIZE=LIMIT)


def returned_report(zhuce) -> str:
    """The URL of 注册处's returned report of task 7 (its resubmission)."""
    task = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == demo_plan_id(), PlanTask.number == 7))
    items = db.session.scalars(select(WorkItem).where(WorkItem.form_key == "milestone_report",
                                                      WorkItem.state == WorkItemState.OPEN)).all()
    item = next(i for i in items if i.context.get("plan_task_id") == task.id)
    return f"/work/items/{item.id}"


def demo_plan_id() -> int:
    return db.session.scalar(select(func.max(PlanTask.plan_id)))


def test_a_too_large_report_goes_back_to_its_form_with_the_limit_and_changes_nothing(small):
    zhuce = small.test_client()
    assert login(zhuce, "zhuce").status_code == 302
    with small.app_context():
        url = returned_report(zhuce)
        reports = db.session.scalar(select(func.count(MilestoneReport.id)))
    form = zhuce.get(url).get_data(as_text=True)
    assert "合计不超过 64 KB,单个文件不超过 64 KB" in form
    assert f'data-max-bytes="{LIMIT}"' in form   # the page refuses too-large files before sending them

    response = zhuce.post(url, data={"csrf_token": csrf_token(zhuce, url), "progress": "已扩展到25个行业",
                                     "submit": "1", "attachments": (io.BytesIO(b"%PDF" + b"0" * LIMIT), "大文件.pdf")},
                          content_type="multipart/form-data", headers={"Referer": f"http://localhost{url}"})
    assert response.status_code == 303 and response.headers["Location"] == url
    page = zhuce.get(url).get_data(as_text=True)
    assert "上传的文件超过了允许的大小(每次提交合计不超过 64 KB),本次提交未保存任何内容" in page
    assert 'data-testid="step-form"' in page    # back on the form, not an error page
    with small.app_context():
        assert db.session.scalar(select(func.count(MilestoneReport.id))) == reports
        assert db.session.get(WorkItem, int(url.rsplit("/", 1)[1])).state is WorkItemState.OPEN


def test_the_plan_import_form_too_and_elsewhere_the_page_or_json_states_the_limit(small):
    dushen = small.test_client()
    assert login(dushen, "dushen").status_code == 302
    def big():
        return {"document": (io.BytesIO(b"1." * LIMIT), "big.txt")}
    response = dushen.post("/plans/import", data=big(), content_type="multipart/form-data",
                           headers={"Referer": "http://localhost/plans/import"})
    assert response.status_code == 303 and response.headers["Location"] == "/plans/import"
    assert "每次提交合计不超过 64 KB" in dushen.get("/plans/import").get_data(as_text=True)

    # Another site's page, or none: the Chinese 413 page, stating the limit.
    for referer in ({"Referer": "http://evil.example/plans/import"}, {}):
        response = dushen.post("/plans/import", data=big(), content_type="multipart/form-data", headers=referer)
        assert response.status_code == 413 and "每次提交合计不超过 64 KB" in response.get_data(as_text=True)
    api = dushen.post("/api/items", data=b"x" * (LIMIT + 1), content_type="application/json")
    assert api.status_code == 413 and api.get_json()["error_code"] == "payload_too_large"
