"""End to end in Chromium: each demo role signs in and sees its own navigation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

UNIT_STAFF = ["首页", "待办", "已办", "本单位任务", "本单位", "本单位看板"]
NAVIGATION_BY_USER = {
    "admin": ["首页", "待办", "已办", "领导看板", "督查看板", "工作计划", "单位目录", "单位组", "用户管理",
              "流程管理", "节假日设置", "审计日志", "外部回调"],
    "dushen": ["首页", "待办", "已办", "延期审批", "评分申诉", "中止/办结审批", "领导看板", "督查看板", "工作计划",
               "导入计划", "整改", "单位目录", "单位组", "审计日志"],
    "zhuce": UNIT_STAFF,
    "zhuce_head": UNIT_STAFF,
    "kexin": UNIT_STAFF,
    "leader": ["首页", "待办", "已办", "任务变更审批", "领导看板", "督查看板", "工作计划", "单位目录"],
}


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("username", sorted(NAVIGATION_BY_USER))
def test_each_role_sees_its_navigation(page, live_server, username):
    sign_in(page, live_server, username)
    nav = page.get_by_test_id("main-nav")
    nav.wait_for()
    # Links grouped under a dropdown (看板, 管理) count too, in the same order.
    links = nav.get_by_role("link", include_hidden=True).all()
    labels = [re.sub(r"\s*\d+$", "", link.text_content().strip()) for link in links]
    assert labels == NAVIGATION_BY_USER[username]
    assert "欢迎" in page.locator(".alert").first.inner_text()
    page.get_by_role("button", name="退出").click()
    assert "您已安全退出" in page.locator(".alert").first.inner_text()


def test_wrong_password_shows_the_chinese_error(page, live_server):
    sign_in(page, live_server, "dushen", "not-the-password1")
    assert "用户名或密码错误。" in page.locator(".invalid-feedback").inner_text()
    assert page.url.endswith("/auth/login")


def test_unit_liaison_is_refused_an_admin_page_in_chinese(page, live_server):
    sign_in(page, live_server, "zhuce")
    page.goto(f"{live_server}/admin/users")
    assert "无权访问" in page.get_by_test_id("error-page").inner_text()


def test_phone_layout_collapses_the_navigation(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, "admin")
    nav = page.get_by_test_id("main-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="展开导航").click()
    nav.get_by_role("button", name="管理").click()
    expect(nav.get_by_role("link", name="用户管理")).to_be_visible()
    page.screenshot(path="test-artifacts/phone_navigation.png", full_page=True)
    context.close()
