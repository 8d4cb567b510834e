"""督审处 registers a 领导批示 in Chromium; the leader sees it on 领导看板. Screenshots kept in test-artifacts/."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.services.timing.workdays import BEIJING
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_login_e2e import sign_in

pytestmark = pytest.mark.browser


def test_a_leader_instruction_registered_on_the_page_shows_on_the_leader_dashboard(page, browser, live_server):
    today = datetime.now(BEIJING).date()
    sign_in(page, live_server, "dushen")
    page.goto(f"{live_server}/plans/")
    page.get_by_role("link", name="督办事项立项").click()
    page.get_by_label("来源", exact=True).select_option(label="领导批示")
    page.get_by_label("文号").fill("鄂市监批〔2026〕7号")
    page.get_by_label("来源文件日期").fill(today.isoformat())
    page.get_by_label("督办内容").fill("请注册处牵头,会同科信处,一个月内完成个体工商户年报提醒服务上线。")
    page.get_by_label("牵头单位").fill("注册处")
    page.get_by_label("配合单位").fill("科信处")
    page.get_by_label("办结时限").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("紧急程度").select_option(label="急办")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "item-register-form.png"), full_page=True)
    page.get_by_role("button", name="立项").click()
    page.wait_for_load_state("load")
    assert f"已立项:督〔{today.year}〕1号" in page.content()

    leader = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}).new_page()
    sign_in(leader, live_server, "leader")
    leader.goto(f"{live_server}/dashboards/leader")
    selector = leader.get_by_test_id("scope-selector")
    assert "全部领导批示" in selector.inner_text()
    assert leader.get_by_test_id("total-tasks").inner_text() == "1"
    assert "督办事项" in leader.get_by_test_id("section-lights-table").inner_text()
    selector.get_by_role("link", name="全部领导批示").click()
    leader.wait_for_load_state("load")
    assert "source=leader_instruction" in leader.url and "全部领导批示" in leader.locator("h1").inner_text()
    leader.screenshot(path=str(ARTIFACTS / "item-on-leader-dashboard.png"), full_page=True)
    leader.context.close()
