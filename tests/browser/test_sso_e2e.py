"""End to end in Chromium: 统一身份认证 through the real OpenID Connect provider (npm oidc-provider) on 127.0.0.1."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app.demo import load_demo
from app.extensions import db
from tests.browser.conftest import ARTIFACTS, bodies_closed_early
from tests.browser.test_login_e2e import sign_in
from tests.conftest import empty_all_tables, make_test_app
from tests.sso.servers import oidc_provider

pytestmark = pytest.mark.browser

ACCOUNTS = {
    "zhuce": {"preferred_username": "zhuce", "name": "注册处 李联络"},
    "sun.qi": {"preferred_username": "sun.qi", "name": "孙七"},
}


@pytest.fixture(scope="module")
def sso_server(migrated_app, database_url, snapshots) -> Iterator[str]:
    """Duban with the demo data and OpenID Connect configured against a provider started for it."""
    app = make_test_app(database_url, OIDC_CREATE_USERS=True)
    with app.app_context():
        snapshots.reset()
        load_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, bodies_closed_early(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with oidc_provider([f"{base}/auth/sso/oidc/callback"], [f"{base}/auth/login"], ACCOUNTS,
                           claims_in_id_token=True) as provider:
            app.config.update(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=provider.client_id,
                              OIDC_CLIENT_SECRET=provider.client_secret)
            yield base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            empty_all_tables()


def sign_in_at_provider(page, base: str, login: str) -> None:
    """From Duban's sign-in page through the provider's sign-in and consent, back to Duban."""
    page.goto(f"{base}/auth/login")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sso-login-page.png"))
    page.get_by_role("link", name="统一身份认证登录").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any-password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/(auth/pending)?$"))


def test_a_liaison_signs_in_through_the_provider_and_lands_on_the_unit_home_page(page, sso_server):
    sign_in_at_provider(page, sso_server, "zhuce")
    expect(page.locator(".alert").first).to_contain_text("欢迎,注册处 李联络。")
    expect(page.get_by_test_id("current-roles")).to_contain_text("单位联络员")
    expect(page.get_by_test_id("main-nav").get_by_role("link", name="本单位任务")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sso-oidc-login.png"), full_page=True)

    # Signing out ends Duban's session and offers the provider's logout, which comes back to Duban.
    page.get_by_role("button", name="退出").click()
    expect(page.locator(".alert").first).to_contain_text("您已安全退出")
    page.get_by_role("link", name="退出统一身份认证").click()
    page.get_by_role("button", name=re.compile("Yes, sign me out", re.I)).click()
    page.wait_for_url(re.compile(re.escape(sso_server) + r"/auth/login(\?.*)?$"))
    # The provider's session is gone too: signing in asks for the login again.
    page.get_by_role("link", name="统一身份认证登录").click()
    expect(page.locator("input[name=login]")).to_be_visible()


def test_someone_new_is_created_awaiting_assignment(page, sso_server):
    sign_in_at_provider(page, sso_server, "sun.qi")
    expect(page.get_by_test_id("awaiting-assignment")).to_contain_text("系统管理员为您分配所属单位和角色后")
    expect(page.get_by_test_id("current-user")).to_contain_text("孙七")
    expect(page.get_by_test_id("current-roles")).to_contain_text("待分配")
    page.goto(f"{sso_server}/work/inbox")
    expect(page.get_by_test_id("awaiting-assignment")).to_be_visible()


def test_the_administrator_assigns_the_new_user_who_then_works(page, browser, sso_server):
    sign_in_at_provider(page, sso_server, "sun.qi")  # created 待分配 (or already, by the test before)
    admin_context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    admin = admin_context.new_page()
    sign_in(admin, sso_server, "admin")
    admin.get_by_test_id("main-nav").get_by_role("button", name="管理").click()   # 用户管理 sits in the 管理 menu
    admin.get_by_test_id("main-nav").get_by_role("link", name="用户管理").click()
    admin.get_by_test_id("user-filter").get_by_role("link", name="待分配").click()
    row = admin.get_by_role("row").filter(has_text="sun.qi")
    expect(row).to_contain_text("待分配")
    admin.screenshot(path=str(ARTIFACTS / "sso-pending-users.png"), full_page=True)
    row.get_by_role("link", name="分配").click()
    expect(admin.get_by_test_id("assign-hint")).to_be_visible()
    admin.get_by_label("所属单位").select_option(label="注册处")
    admin.get_by_label("单位联络员").check()
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator(".alert").first).to_contain_text("已保存")
    admin_context.close()
    # The new user's next page is the unit's home, without signing in again.
    page.goto(sso_server + "/")
    expect(page.get_by_test_id("main-nav").get_by_role("link", name="本单位任务")).to_be_visible()
