"""End to end in Chromium: a liaison whose report was returned is told so, by a notice naming the milestone."""
from __future__ import annotations

import pytest

from app.extensions import db
from tests.browser.test_extension_e2e import shoot
from tests.browser.test_lifecycle_e2e import (
    TASK,
    decide,
    import_plan,
    open_step,
    person,
    submit_decomposition,
    submit_report,
)
from tests.conftest import fan_out, make_test_app

pytestmark = pytest.mark.browser

MILESTONE = "出台降成本优化营商环境若干措施"


def scheduler_tick(database_url: str) -> None:
    """What the scheduler's next tick does first: tell of the steps just completed (``step_notices.fan_out``)."""
    app = make_test_app(database_url)
    with app.app_context():
        fan_out(commit=True)
        db.session.remove()


def test_liaison_is_told_of_the_returned_report_with_its_milestone(browser, live_server, database_url):
    dushen = person(browser, live_server, "dushen")
    import_plan(dushen, live_server)
    zhuce = person(browser, live_server, "zhuce")
    submit_decomposition(zhuce, live_server)
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "通过")

    submit_report(zhuce, live_server, "措施已报省政府审议", "60")
    open_step(dushen, live_server, "督审处审核")
    decide(dushen, "退回修改", "请说明试点进展")
    scheduler_tick(database_url)

    zhuce.goto(f"{live_server}/work/inbox")
    row = zhuce.locator("tr", has_text=TASK)
    assert f"节点1「{MILESTONE}」" in row.get_by_test_id("item-subject").inner_text()
    zhuce.get_by_test_id("bell").click()
    notices = zhuce.get_by_test_id("notification")
    returned = notices.filter(has_text="进展报告被退回")
    assert returned.count() == 1
    text = returned.inner_text()
    assert TASK in text and f"节点1「{MILESTONE}」" in text and "「报送进展」" in text and "请说明试点进展" in text
    assert notices.filter(has_text="分解方案审核通过").count() == 1
    shoot(zhuce, "notice_report_returned")
    returned.get_by_role("link").first.click()
    assert f"节点1「{MILESTONE}」" in zhuce.get_by_test_id("item-subject").inner_text()
