"""End to end in Chromium: a task closed through the pages is scored, and 督审处 traces the score to its events."""
from __future__ import annotations

import re

import pytest

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

pytestmark = pytest.mark.browser


def test_a_closed_task_is_scored_and_every_point_traced(browser, live_server):
    dushen, zhuce = person(browser, live_server, "dushen"), person(browser, live_server, "zhuce")
    import_plan(dushen, live_server)
    submit_decomposition(zhuce, live_server)
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "退回修改", "请补充试点范围")
    open_step(zhuce, live_server, "分解任务")
    zhuce.get_by_role("button", name="提交分解方案").click()
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "通过")
    submit_report(zhuce, live_server, "措施已印发", "100")
    open_step(dushen, live_server, "督审处审核")
    dushen.get_by_label("完成质量评价").select_option(label="良")
    decide(dushen, "通过")

    open_step(dushen, live_server, "办结任务")
    assert dushen.get_by_test_id("evaluation-state").inner_text() == "暂评"
    dushen.get_by_label("办结说明").fill("按期完成")
    dushen.get_by_role("button", name="办结").click()

    # 注册处 on task 6 (一般, no plan targets): 100, the report due 2023-06-30 is done today, far more than
    # 20 working days late → −20 (the cap), 良 +2, decomposition returned once −1: 100 − 20 + 2 − 1 = 81.
    dushen.goto(f"{live_server}/plans")
    dushen.get_by_role("link", name=re.compile("2023年全省市场监管工作要点")).first.click()
    dushen.get_by_role("link", name="考核评分").click()
    dushen.get_by_role("link", name="注册处").click()
    # Tasks 5 and 7, still open with nothing due yet, are listed as 未到考核节点 and do not count.
    formula = dushen.get_by_test_id("formula").inner_text()
    assert "(81 × 1)" in formula and "= 81 ÷ 1 = 81" in formula
    tasks = dushen.get_by_test_id("unit-tasks").inner_text()
    assert tasks.count("未到考核节点") == 2
    lines = dushen.get_by_test_id("task-lines").filter(has_text="6. ").inner_text()
    assert "逾期扣分合计" in lines and "按上限计" in lines and "质量评价为良" in lines
    dushen.screenshot(path=str(ARTIFACTS / "assessment_unit.png"), full_page=True)
    lines = dushen.get_by_test_id("task-lines")
    lines.filter(has_text="6. ").get_by_role("link", name=re.compile("审核记录")).first.click()
    assert re.search(r"/tasks/\d+#review-\d+$", dushen.url)
    assert dushen.get_by_test_id("evaluation-state").inner_text() == "已定分"
    assert TASK in dushen.content()
