"""In Chromium: the preview of a State Council plan lists its policy conditions apart, unticked, with reasons."""
from __future__ import annotations

import pytest

from tests.browser.test_login_e2e import sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PLAN = ROOT / "tests" / "fixtures" / "plans" / "gov_jiuye_2018.txt"


def test_conditions_are_listed_apart_with_their_reasons(page, live_server, tmp_path):
    document = tmp_path / "国务院关于做好当前和今后一个时期促进就业工作的若干意见.txt"
    document.write_bytes(PLAN.read_bytes())

    sign_in(page, live_server, "dushen")
    page.get_by_test_id("main-nav").get_by_role("link", name="导入计划").click()
    page.get_by_label("工作要点文件").set_input_files(str(document))
    page.get_by_role("button", name="解析并预览").click()

    assert page.get_by_test_id("task-count").inner_text() == "15"
    assert page.get_by_test_id("preview-target").count() == 0
    conditions = page.get_by_test_id("preview-condition")
    assert conditions.count() == 7
    for index in range(7):
        assert not conditions.nth(index).get_by_role("checkbox").is_checked()
    loan = conditions.filter(has_text="可申请最高不超过15万元的创业担保贷款")
    assert "“最高不超过”是额度上限" in loan.get_by_test_id("quantity-reasons").inner_text()
    task3 = page.get_by_test_id("preview-task").nth(2)
    reasons = task3.get_by_test_id("unit-reasons").inner_text()
    assert "排在第一位，为牵头单位" in reasons
    task3.get_by_test_id("preview-conditions").scroll_into_view_if_needed()
    page.set_viewport_size({"width": 1280, "height": 1100})
    task3.screenshot(path=str(ROOT / "test-artifacts" / "plan-preview-conditions.png"))
