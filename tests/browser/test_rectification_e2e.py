"""End to end in Chromium: 整改 from a returned report to 销号 (each step returned once), closure held until
then, 催办."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.services.timing.workdays import BEIJING
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_lifecycle_e2e import (
    TASK,
    decide,
    import_plan,
    open_step,
    person,
    submit_decomposition,
    submit_report,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

EVIDENCE = ROOT / "tests" / "fixtures" / "plans" / "gb18030-plan.txt"


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def submit_text(page, label: str, text: str, button: str, evidence: bool = False) -> None:
    page.get_by_label(label).fill(text)
    if evidence:
        page.get_by_label("附件(可多选)").set_input_files(str(EVIDENCE))
    page.get_by_role("button", name=button).click()


def test_rectification_from_a_returned_report_to_verification(browser, live_server):
    dushen, zhuce = person(browser, live_server, "dushen"), person(browser, live_server, "zhuce")
    import_plan(dushen, live_server)
    submit_decomposition(zhuce, live_server)
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "通过")
    submit_report(zhuce, live_server, "措施已报省政府审议", "60")
    open_step(dushen, live_server, "督审处审核")
    decide(dushen, "退回修改", "试点范围不清\n缺少进度安排")

    # 督审处 opens the rectification from the returned review in one step, the comments carried over.
    dushen.goto(f"{live_server}/work/done")
    dushen.locator("tr", has_text=TASK).first.get_by_role("link").first.click()
    dushen.get_by_test_id("milestones").get_by_role("link", name="发起整改").click()
    assert dushen.get_by_label("存在的问题(每行一个)").input_value() == "试点范围不清\n缺少进度安排"
    dushen.get_by_label("整改要求").fill("明确试点范围并制定进度安排")
    deadline = datetime.now(BEIJING).date() + timedelta(days=20)
    dushen.get_by_label("整改期限").fill(deadline.isoformat())
    dushen.get_by_role("button", name="发起整改").click()
    assert "已向注册处发起整改" in dushen.locator(".alert-success").inner_text()
    assert dushen.get_by_test_id("problems").locator("li").count() == 2

    # 催办 once, from the task page; the unit sees it on the item.
    dushen.locator("a", has_text=TASK).first.click()
    row = dushen.get_by_test_id("open-items").locator("tr", has_text="报送整改方案")
    row.get_by_label("催办内容").fill("请尽快报送整改方案")
    row.get_by_role("button", name="催办").click()
    assert "已催办" in dushen.locator(".alert-success").inner_text()
    assert "已催办 1 次" in dushen.get_by_test_id("open-items").locator("tr", has_text="报送整改方案").inner_text()

    open_step(zhuce, live_server, "报送整改方案")
    assert "请尽快报送整改方案" in zhuce.get_by_test_id("urges").inner_text()
    assert "缺少进度安排" in zhuce.get_by_test_id("rectification").inner_text()
    submit_text(zhuce, "整改方案(措施、责任人、完成时间)", "划定试点范围", "报送整改方案")
    open_step(dushen, live_server, "审核整改方案")
    decide(dushen, "退回修改", "请写明完成时间")
    open_step(zhuce, live_server, "报送整改方案")
    assert "请写明完成时间" in zhuce.get_by_test_id("rectification").inner_text()
    submit_text(zhuce, "整改方案(措施、责任人、完成时间)", "划定试点范围,6月底前完成", "报送整改方案")
    open_step(dushen, live_server, "审核整改方案")
    decide(dushen, "通过")

    # The milestone is approved meanwhile, but the task cannot close while the rectification is open.
    submit_report(zhuce, live_server, "措施已印发", "100")
    open_step(dushen, live_server, "督审处审核")
    decide(dushen, "通过")
    open_step(dushen, live_server, "办结任务")
    assert "全部销号后方可办结" in dushen.get_by_test_id("closure-blocker").inner_text()
    dushen.get_by_role("button", name="办结").click()
    assert "全部销号后方可办结" in dushen.get_by_test_id("step-form").inner_text()
    shoot(dushen, "closure_held_by_rectification")

    open_step(zhuce, live_server, "报送整改结果")
    submit_text(zhuce, "整改结果", "试点范围已明确", "报送整改结果", evidence=True)
    open_step(dushen, live_server, "核验销号")
    decide(dushen, "退回重新整改", "进度安排未见佐证")
    open_step(zhuce, live_server, "报送整改结果")
    submit_text(zhuce, "整改结果", "试点范围已明确,进度安排已印发", "报送整改结果", evidence=True)
    open_step(dushen, live_server, "核验销号")
    assert dushen.get_by_test_id("rectification").locator("a", has_text="gb18030-plan.txt").count() == 2
    decide(dushen, "核验通过,予以销号")
    dushen.goto(f"{live_server}/rectifications/1")
    shoot(dushen, "rectification_verified")

    dushen.goto(f"{live_server}/rectifications?status=verified")
    assert "已销号" in dushen.get_by_test_id("rectification-list").inner_text()
    open_step(dushen, live_server, "办结任务")
    dushen.get_by_label("办结说明").fill("整改已销号,按期完成")
    dushen.get_by_role("button", name="办结").click()
    assert "已办结" in dushen.locator(".alert-success").inner_text()
    dushen.goto(f"{live_server}/work/done")
    dushen.locator("tr", has_text=TASK).first.get_by_role("link").first.click()
    assert dushen.get_by_test_id("task-state").inner_text() == "已办结"
    assert dushen.get_by_test_id("rectification-row").count() == 1
    shoot(dushen, "task_closed_after_rectification")
