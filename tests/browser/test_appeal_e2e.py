"""申诉 in Chromium: 注册处's liaison contests the 退回 line of its score with a reason and a file; 督审处 finds it
waiting, accepts it; the unit's score page shows the decided appeal and the adjustment line linked to it."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_login_e2e import sign_in
from tests.browser.test_search_e2e import demo_server  # noqa: F401  (the demo with its activity, served)

pytestmark = pytest.mark.browser


def test_a_unit_files_an_appeal_and_the_supervisor_accepts_it(browser, demo_server, tmp_path):  # noqa: F811
    base, _ = demo_server
    zhuce = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
    sign_in(zhuce, base, "zhuce")
    zhuce.get_by_role("navigation").get_by_role("link", name="本单位看板").click()
    zhuce.get_by_role("link", name="得分明细").click()
    score_before = float(zhuce.get_by_test_id("unit-score").inner_text())
    returned = zhuce.get_by_test_id("line-items").locator("tr", has_text="进展报送被督审处审核退回一次")
    returned.get_by_role("link", name="申诉").click()
    assert "申诉期限至" in zhuce.get_by_test_id("appealed-line").inner_text()
    evidence = tmp_path / "情况说明.txt"
    evidence.write_text("报送材料完整,退回系格式问题。", "utf-8")
    zhuce.get_by_label("申诉理由").fill("退回系材料格式问题,内容无误,请核减该项扣分")
    zhuce.get_by_label("附件(可多选)").set_input_files(str(evidence))
    zhuce.get_by_role("button", name="提交申诉").click()
    appeals = zhuce.get_by_test_id("unit-appeals")
    assert "待处理" in appeals.inner_text() and "退回系材料格式问题" in appeals.inner_text()
    assert zhuce.get_by_role("link", name=re.compile(r"申诉中 #\d+")).count() == 1

    dushen = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
    sign_in(dushen, base, "dushen")
    dushen.get_by_role("navigation").get_by_role("button", name=re.compile("审批")).click()  # the 审批 menu
    nav_link = dushen.get_by_role("navigation").get_by_role("link", name=re.compile("评分申诉"))
    assert "1" in nav_link.inner_text()
    nav_link.click()
    dushen.get_by_test_id("waiting-appeals").get_by_role("link", name="处理").click()
    assert "情况说明.txt" in dushen.get_by_test_id("appeal-case").inner_text()
    dushen.get_by_label("采纳后该条明细的分值").fill("0")
    dushen.get_by_label("处理意见").fill("经核实,退回系系统原因,不扣分")
    dushen.get_by_role("button", name="采纳", exact=True).click()
    assert "暂无待处理的评分申诉" in dushen.get_by_test_id("waiting-appeals").inner_text()

    zhuce.reload()
    assert float(zhuce.get_by_test_id("unit-score").inner_text()) > score_before
    decided = zhuce.get_by_test_id("unit-appeals").inner_text()
    assert "已采纳" in decided and "按 0 分计(调整 +2 分)" in decided
    adjustment = zhuce.get_by_test_id("line-items").locator("tr", has_text="经督审处采纳")
    assert adjustment.get_by_role("link", name=re.compile(r"申诉决定 #\d+")).count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    zhuce.locator("#appeals").scroll_into_view_if_needed()
    zhuce.screenshot(path=str(ARTIFACTS / "appeal-decided.png"), full_page=True)
    adjustment.get_by_role("link", name=re.compile(r"申诉决定 #\d+")).click()
    assert zhuce.get_by_test_id("appeal-status").inner_text() == "已采纳"
    assert "经核实,退回系系统原因" in zhuce.get_by_test_id("appeal-decision").inner_text()
