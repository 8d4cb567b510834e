"""End to end in Chromium: one task of the 2023 plan from import to closure, with a return on each review."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_e2e import sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"
TASK = "督〔2023〕6号"


def person(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, username)
    return page


def open_step(page, live_server, step: str) -> None:
    page.goto(f"{live_server}/work/inbox")
    rows = page.locator("tr", has_text=TASK)
    rows.get_by_role("link", name=step).click()


def decide(page, decision: str, comments: str = "") -> None:
    page.get_by_label(decision).check()
    if comments:
        page.get_by_label("意见说明").fill(comments)
    page.get_by_role("button", name="提交").click()


def import_plan(page, live_server) -> None:
    """督审处 uploads the 2023 plan and confirms the import."""
    page.goto(f"{live_server}/plans/import")
    page.get_by_label("工作要点文件").set_input_files(str(PLAN_2023))
    page.get_by_role("button", name="解析并预览").click()
    page.get_by_role("button", name="确认导入").click()
    assert "共 39 项任务" in page.locator(".alert-success").inner_text()


def submit_decomposition(page, live_server, deliverable: str = "措施文件", due: str = "2023-06-30") -> None:
    """注册处 decomposes task 6 into one milestone owned by its liaison."""
    open_step(page, live_server, "分解任务")
    page.get_by_label("节点名称").fill("出台降成本优化营商环境若干措施")
    page.get_by_label("交付成果").fill(deliverable)
    page.get_by_label("完成时限").fill(due)
    page.get_by_text("补录已过去的完成时限").click()  # the 2023 plan's dates are past: entered afterwards
    page.get_by_label("早于今天的原因").fill("补录 2023 年度计划的节点")
    page.get_by_label("责任人").select_option(label="注册处 李联络")
    page.get_by_role("button", name="提交分解方案").click()


def submit_report(page, live_server, progress: str, percent: str) -> None:
    """注册处 reports on its open milestone."""
    open_step(page, live_server, "报送进展")
    page.get_by_label("工作进展").fill(progress)
    page.get_by_label("完成进度(%)").fill(percent)
    page.get_by_role("button", name="报送").click()


def test_task_6_from_import_to_closure(browser, live_server):
    dushen = person(browser, live_server, "dushen")
    import_plan(dushen, live_server)

    zhuce = person(browser, live_server, "zhuce")
    submit_decomposition(zhuce, live_server, "省政府办公厅印发的措施文件")
    assert "等待督审处审核" in zhuce.locator(".alert-success").inner_text()

    open_step(dushen, live_server, "审核分解")
    decide(dushen, "退回修改", "请补充试点范围")
    open_step(zhuce, live_server, "分解任务")
    assert "请补充试点范围" in zhuce.get_by_test_id("decompositions").inner_text()
    zhuce.get_by_label("节点名称").fill("出台措施并开展个体工商户分型分类培育试点")
    zhuce.get_by_role("button", name="提交分解方案").click()
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "通过")

    submit_report(zhuce, live_server, "措施已报省政府审议", "60")
    open_step(dushen, live_server, "督审处审核")
    decide(dushen, "退回修改", "请说明试点进展")
    submit_report(zhuce, live_server, "措施已印发,试点在武汉、宜昌启动", "100")
    open_step(dushen, live_server, "督审处审核")
    dushen.get_by_label("完成质量评价").select_option(label="良")
    decide(dushen, "通过")

    open_step(dushen, live_server, "办结任务")
    dushen.get_by_label("办结说明").fill("按期完成")
    dushen.get_by_role("button", name="办结").click()

    dushen.goto(f"{live_server}/work/done")
    dushen.locator("tr", has_text=TASK).first.get_by_role("link").first.click()
    assert dushen.get_by_test_id("task-state").inner_text() == "已办结"
    assert dushen.get_by_test_id("verdict").count() == 4
    audit = dushen.get_by_test_id("task-audit").inner_text()
    assert audit.count("审核退回") == 2 and "办结" in audit
    diagram = dushen.get_by_test_id("diagram").first
    # A locator assertion, not wait_for_function: the page's CSP forbids evaluating a string expression.
    expect(diagram).to_have_attribute("data-rendered", "true")
    assert diagram.locator(".duban-done[data-element-id='end']").count() == 1
    dushen.screenshot(path=str(ROOT / "test-artifacts" / "task_closed_with_diagram.png"), full_page=True)
