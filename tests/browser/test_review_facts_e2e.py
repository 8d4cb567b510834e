"""End to end in Chromium on the demo story (task 7: 15 industries approved, the 18-industry report returned):
the liaison sees the return's reason above the form and revises the prefilled report; the cooperating unit's
last part is prefilled; 督审处 sees the report under review first, what changed since the returned round, a
warning that the text's number is not the actual reported, and the history collapsed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import demo_activity
from app.extensions import db
from app.models import Organisation
from tests.browser.test_lifecycle_e2e import person
from tests.browser.test_rectification_e2e import shoot
from tests.conftest import make_test_app

pytestmark = pytest.mark.browser

MILESTONE = "扩展到25个行业"


@pytest.fixture(scope="module")
def story(live_server, database_url) -> str:
    """The demo story played on the served database (as `duban demo` does)."""
    app = make_test_app(database_url)
    with app.app_context():
        demo_activity.load_activity(db.session.scalars(select(Organisation)).one())
        db.session.commit()
        db.session.remove()
    return live_server


def open_step(page, server: str, step: str) -> None:
    page.goto(f"{server}/work/inbox")
    page.locator("tr", has_text=MILESTONE).get_by_role("link", name=step).click()


def test_the_returned_report_its_reason_and_the_reviewers_facts(browser, story):
    zhuce, kexin, dushen = (person(browser, story, name) for name in ("zhuce", "kexin", "dushen"))

    open_step(zhuce, story, "报送进展")
    reason = zhuce.get_by_test_id("return-reason")
    assert "进度明显滞后,请补充新增行业清单和后续推进计划。" in reason.inner_text()
    progress = zhuce.get_by_label("工作进展")
    assert reason.bounding_box()["y"] < progress.bounding_box()["y"]  # above the form it asks to change
    assert progress.input_value() == "已扩展到18个行业"  # the returned report, prefilled
    shoot(zhuce, "review-facts-1-returned-report")
    progress.fill("已扩展到22个行业,新增行业清单见附件")
    zhuce.get_by_label("完成进度(%)").fill("80")
    zhuce.locator('[name="actuals-0-actual"]').fill("20")
    zhuce.get_by_label("存在问题(可选)").fill("部分行业审批系统尚未对接")
    zhuce.get_by_label("下步计划(可选)").fill("12月底前覆盖25个行业")
    zhuce.get_by_role("button", name="报送").click()
    assert "进展已报送" in zhuce.locator(".alert-success").inner_text()

    open_step(kexin, story, "配合单位协办")
    assert "进度明显滞后" in kexin.get_by_test_id("return-reason").inner_text()
    contribution = kexin.get_by_label("协办情况")
    assert contribution.input_value() == "系统改造进行中"  # its last part, not retyped
    contribution.fill("系统改造已完成,支持22个行业")
    kexin.get_by_role("button", name="提交协办意见").click()
    assert "协办意见已提交" in kexin.locator(".alert-success").inner_text()

    open_step(dushen, story, "督审处审核")
    under_review, changes = dushen.get_by_test_id("under-review"), dushen.get_by_test_id("round-changes")
    form, history = dushen.get_by_test_id("step-form"), dushen.get_by_test_id("history")
    tops = [box.bounding_box()["y"] for box in (under_review, changes, form, history)]
    assert tops == sorted(tops)  # the report first, then what changed, the decision, the history last
    assert "已扩展到22个行业" in under_review.inner_text() and "部分行业审批系统尚未对接" in under_review.inner_text()
    warnings = dushen.get_by_test_id("report-warnings").inner_text()
    assert "报送内容写的是 22个,与填报的指标" in warnings and "实际完成值 20个 不一致" in warnings
    assert "与第 1 次报送相比的变化" in changes.inner_text()
    assert changes.locator("del", has_text="18").count() >= 1 and changes.locator("ins", has_text="22").count() >= 1
    assert "60%" in changes.inner_text() and "80%" in changes.inner_text()
    assert history.get_attribute("open") is None and not dushen.get_by_test_id("decompositions").is_visible()
    shoot(dushen, "review-facts-2-review-page")
    history.locator("summary").click()
    assert dushen.get_by_test_id("decompositions").is_visible()
