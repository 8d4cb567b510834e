"""Signing in: Chinese errors, lockout, CSRF, cookie flags, forced password change."""
from __future__ import annotations

from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import User
from tests.conftest import csrf_token, login, make_test_app


def test_demo_user_signs_in_and_sees_the_home_page(client, demo):
    response = login(client, "dushen")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "督审处 王审核" in page and "单位目录" in page


def test_wrong_password_shows_chinese_error_and_stays_signed_out(client, demo):
    response = login(client, "dushen", "wrong-password1")
    assert response.status_code == 200
    assert "用户名或密码错误。" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client, demo):
    response = login(client, "nobody", "whatever123")
    assert "用户名或密码错误。" in response.get_data(as_text=True)


def test_repeated_failures_slow_down_that_client_but_lock_nobody_out(client, demo, app):
    # Replaces the 15-minute account lock that let anyone lock anyone out (issue 11).
    for _ in range(5):
        assert "用户名或密码错误。" in login(client, "zhuce", "wrong-password1").get_data(as_text=True)
    # Even the right password is refused from this client for a while, in Chinese, with when to retry.
    throttled = login(client, "zhuce")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in throttled.get_data(as_text=True) and "再试" in throttled.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "zhuce"))
    assert user.locked_until is None
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert login(elsewhere, "zhuce").status_code == 302


def test_success_resets_the_failure_count(client, demo):
    login(client, "zhuce", "wrong-password1")
    assert login(client, "zhuce").status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhuce"))
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_post_without_csrf_token_is_refused_in_chinese(client, demo):
    response = client.post("/auth/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True) and "请刷新页面" in response.get_data(as_text=True)


def test_logout_needs_post_with_token(client, demo):
    login(client, "leader")
    token = csrf_token(client, "/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(client, demo):
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login?next=//evil.example/x",
        data={"csrf_token": token, "username": "leader", "password": DEMO_PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, demo):
    response = login(client, "leader")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_production_mode_secures_cookies_and_forces_password_change(migrated_app, database_url, demo):
    prod = make_test_app(
        database_url, DUBAN_ENV="production", SESSION_COOKIE_SECURE=True, FORCE_PASSWORD_CHANGE=True
    )
    client = prod.test_client()
    response = login(client, "leader")
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))
    forced = client.get("/directory/units")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/auth/password")

    api = client.get("/api/work-items")
    assert api.status_code == 403 and "须先在网页上修改密码" in api.get_json()["message"]

    token = csrf_token(client, "/auth/password")
    changed = client.post(
        "/auth/password",
        data={"csrf_token": token, "current": DEMO_PASSWORD, "new": "NewPassw0rd", "confirm": "NewPassw0rd"},
    )
    assert changed.status_code == 302
    assert client.get("/directory/units").status_code == 200


def test_weak_new_password_is_refused_next_to_the_field(client, demo):
    login(client, "leader")
    token = csrf_token(client, "/auth/password")
    response = client.post(
        "/auth/password",
        data={"csrf_token": token, "current": DEMO_PASSWORD, "new": "12345678", "confirm": "12345678"},
    )
    assert "须同时包含字母和数字" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_secret_key(database_url):
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_test_app(database_url, DUBAN_ENV="production", SECRET_KEY=None)


def test_error_pages_are_chinese(client, demo):
    login(client, "zhuce")
    assert "页面不存在" in client.get("/no-such-page").get_data(as_text=True)
    assert "无权访问" in client.get("/admin/users").get_data(as_text=True)


def test_a_password_hashed_at_another_cost_is_rehashed_at_sign_in(client, demo, app):
    from argon2 import PasswordHasher

    user = db.session.scalar(select(User).where(User.username == "leader"))
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=2048).hash(DEMO_PASSWORD)
    db.session.commit()
    assert login(client, "leader").status_code == 302
    db.session.refresh(user)
    assert f"m={app.config['ARGON2_MEMORY_KIB']},t={app.config['ARGON2_TIME_COST']}" in user.password_hash
