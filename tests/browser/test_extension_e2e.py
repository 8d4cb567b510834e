"""End to end in Chromium: 注册处 asks for more time on a step, 督审处 grants another date, both dates stay shown."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_lifecycle_e2e import TASK, import_plan, open_step, person

#: The year of the plan the lifecycle test imports (its milestones are dated from today).
PLAN_YEAR = 2023

pytestmark = pytest.mark.browser


def test_unit_requests_an_extension_and_the_supervisor_approves(browser, live_server):
    dushen = person(browser, live_server, "dushen")
    import_plan(dushen, live_server)

    zhuce = person(browser, live_server, "zhuce")
    open_step(zhuce, live_server, "分解任务")
    zhuce.get_by_role("link", name="申请延期").click()
    old_due = zhuce.get_by_test_id("current-due").inner_text()          # e.g. "2026-12-08 18:00"
    old_day = date.fromisoformat(old_due.split()[0])
    zhuce.get_by_label("申请延期至").fill((old_day + timedelta(days=30)).isoformat())
    zhuce.get_by_label("延期理由").fill("需征求省直相关部门意见")
    zhuce.get_by_role("button", name="提交延期申请").click()
    assert "等待督审处审批" in zhuce.locator(".alert-success").inner_text()
    assert "延期申请待督审处审批" in zhuce.locator("#extension").inner_text()

    dushen.goto(f"{live_server}/")
    nav = dushen.get_by_test_id("main-nav")
    assert nav.get_by_test_id("badge-deadlines.pending").inner_text() == "1"
    nav.get_by_role("link", name="延期审批").click()
    row = dushen.locator("tr", has_text="需征求省直相关部门意见")
    assert TASK in row.inner_text()
    row.get_by_role("link", name="审批").click()
    granted = old_day + timedelta(days=20)
    dushen.get_by_label("批准延期至").fill(granted.isoformat())
    dushen.get_by_label("审批意见").fill("同意延期二十天")
    if granted.year > PLAN_YEAR:  # the 2023 plan's milestones are dated from today: carried over explicitly
        dushen.get_by_label("确认跨年度延期").check()
    shoot(dushen, "extension-decide")
    dushen.get_by_role("button", name="批准", exact=True).click()
    assert "延期申请已批准" in dushen.locator(".alert-success").inner_text()
    assert "暂无待审批的延期申请" in dushen.get_by_test_id("pending-extensions").inner_text()

    open_step(zhuce, live_server, "分解任务")
    history = zhuce.get_by_test_id("extension-history")
    changes = history.get_by_test_id("due-date-changes").inner_text()
    assert old_due in changes and f"{granted.isoformat()} 18:00" in changes
    assert "已批准" in history.inner_text() and "同意延期二十天" in history.inner_text()
    assert f"期限 {granted.isoformat()} 18:00" in zhuce.locator("h1 + div").inner_text()
    assert "1 条未读" in (zhuce.get_by_test_id("bell").get_attribute("aria-label") or "")
    shoot(zhuce, "extension-item-after-approval")


def shoot(page, name: str) -> None:
    """Keep a screenshot of the page as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
