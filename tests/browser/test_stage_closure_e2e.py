"""End to end in Chromium: 注册处 asks for 阶段性办结 on task 6, 督审处 approves, the task shows its new state."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_extension_e2e import shoot
from tests.browser.test_lifecycle_e2e import TASK, import_plan, person

pytestmark = pytest.mark.browser


def test_unit_requests_stage_closure_and_the_supervisor_approves(browser, live_server):
    dushen = person(browser, live_server, "dushen")
    import_plan(dushen, live_server)

    zhuce = person(browser, live_server, "zhuce")
    zhuce.goto(f"{live_server}/my-tasks")
    zhuce.locator("a.list-group-item", has_text=TASK).click()
    assert zhuce.get_by_test_id("task-state").inner_text() == "办理中"
    zhuce.get_by_role("link", name="申请中止或阶段性办结").click()
    zhuce.get_by_label("阶段性办结").check()
    zhuce.get_by_label("理由").fill("降成本措施已出台,转入常态化推进,本年度不再报送节点进展")
    zhuce.get_by_role("button", name="提交申请").click()
    assert "阶段性办结申请已提交" in zhuce.locator(".alert-success").inner_text()
    assert "待审批" in zhuce.get_by_test_id("hold-history").inner_text()

    dushen.goto(f"{live_server}/")
    nav = dushen.get_by_test_id("main-nav")
    assert nav.get_by_test_id("badge-deadlines.holds").inner_text() == "1"
    nav.get_by_role("button", name=re.compile("审批")).click()   # 中止/办结审批 sits in the 审批 menu
    nav.get_by_role("link", name="中止/办结审批").click()
    row = dushen.locator("tr", has_text="转入常态化推进")
    assert TASK in row.inner_text() and "阶段性办结" in row.inner_text()
    row.get_by_role("link", name="审批").click()
    dushen.get_by_label("审批意见").fill("同意阶段性办结,持续跟踪")
    dushen.get_by_role("button", name="批准", exact=True).click()
    assert "阶段性办结申请已批准" in dushen.locator(".alert-success").inner_text()
    assert "暂无待审批" in dushen.get_by_test_id("pending-holds").inner_text()

    zhuce.reload()
    assert zhuce.get_by_test_id("task-state").inner_text() == "阶段性办结"
    light = zhuce.get_by_test_id("light").first
    assert light.get_attribute("data-light") == "green" and "阶段性办结" in (light.get_attribute("title") or "")
    assert "同意阶段性办结" in zhuce.get_by_test_id("hold-history").inner_text()
    assert zhuce.get_by_role("link", name="申请中止或阶段性办结").count() == 0
    assert "批准中止或阶段性办结" in zhuce.locator("body").inner_text()  # the audit trail, in words
    shoot(zhuce, "stage-closure")
