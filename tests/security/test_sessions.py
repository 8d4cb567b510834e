"""Sessions end when their right ends; `next` stays on this site; signed-in pages are not cached (issue 11).

Every case runs against the real app through the test client, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import User
from app.security import is_same_site_path
from app.services.follow_up import urging
from app.services.infrastructure import api_tokens
from tests.conftest import csrf_token, login, make_test_app

REMEMBER = "remember_token"

#: `next` values that must never leave the site: raw (as typed in a query) and as Python strings.
EVIL_NEXT = [
    "//evil.example/",
    "///evil.example/",
    "/\t/evil.example/",
    "/\r\n/evil.example/",
    "/\n/evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "/%09/evil.example/",
    "/%0d%0a/evil.example/",
    "/%2F/evil.example/",
    "/%2f%2fevil.example/",
    "%2F%2Fevil.example/",
    "/%5Cevil.example/",
    "/%5C%5Cevil.example/",
    "/%252F%252Fevil.example/",
    "/%25252F%25252Fevil.example/",
    "/%00/evil.example/",
    "/\x00/evil.example/",
    "/\u3000/evil.example/",
    "/\u200b/evil.example/",
    " //evil.example/",
    "/ ",
    "https://evil.example/",
    "http:evil.example",
    "HTTPS:%2F%2Fevil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "",
]
#: Our own links, which must keep working.
GOOD_NEXT = ["/work/inbox", "/dashboards/?as_of=2023-10-09&unit=3", "/tasks/1#rectifications",
             "/dashboards/?q=%E6%B3%A8%E5%86%8C%E5%A4%84"]


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    db.session.refresh(found)
    return found


def signed_in_client(app: Flask, username: str, remember: bool = False) -> FlaskClient:
    client = app.test_client()
    data = {"csrf_token": csrf_token(client, "/auth/login"), "username": username, "password": DEMO_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/auth/login", data=data).status_code == 302
    return client


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/work/inbox")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def cookie(client: FlaskClient, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def client_with(app: Flask, **cookies: str) -> FlaskClient:
    """A fresh client (another browser) holding only the given copied cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def logout(client: FlaskClient) -> None:
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302


def test_a_session_cookie_copied_before_sign_out_is_dead_afterwards(app, demo):
    zhuce = signed_in_client(app, "zhuce")
    copied = cookie(zhuce, "session")
    assert is_signed_in(client_with(app, session=copied))  # the copy works while the session lives
    logout(zhuce)
    assert not is_signed_in(zhuce)
    assert not is_signed_in(client_with(app, session=copied))


def test_a_remember_me_cookie_copied_and_replayed_after_sign_out_is_refused(app, demo):
    zhuce = signed_in_client(app, "zhuce", remember=True)
    copied = cookie(zhuce, REMEMBER)
    assert is_signed_in(client_with(app, **{REMEMBER: copied}))  # alone it signs a browser in
    logout(zhuce)
    replay = client_with(app, **{REMEMBER: copied})
    assert not is_signed_in(replay)
    assert not is_signed_in(replay)  # still refused on the next request


def test_signing_out_ends_the_users_other_sessions_but_nobody_elses(app, demo):
    laptop, phone = signed_in_client(app, "zhuce"), signed_in_client(app, "zhuce", remember=True)
    colleague = signed_in_client(app, "kexin")
    logout(laptop)
    assert not is_signed_in(phone)
    assert is_signed_in(colleague)
    assert user("zhuce").session_version == 2


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app, demo):
    here = signed_in_client(app, "leader", remember=True)
    there = signed_in_client(app, "leader", remember=True)
    old_remember = cookie(there, REMEMBER)
    changed = here.post("/auth/password", data={
        "csrf_token": csrf_token(here, "/auth/password"),
        "current": DEMO_PASSWORD, "new": "Leader-2024-new", "confirm": "Leader-2024-new"})
    assert changed.status_code == 302
    assert is_signed_in(here)
    # The remember-me cookie was re-issued for the new version.
    assert is_signed_in(client_with(app, **{REMEMBER: cookie(here, REMEMBER)}))
    assert not is_signed_in(there)
    assert not is_signed_in(client_with(app, **{REMEMBER: old_remember}))


def test_an_administrators_password_reset_ends_the_users_sessions(app, demo):
    zhuce = signed_in_client(app, "zhuce", remember=True)
    copied = cookie(zhuce, REMEMBER)
    admin = signed_in_client(app, "admin")
    path = f"/admin/users/{user('zhuce').id}/password"
    reset = admin.post(path, data={"csrf_token": csrf_token(admin, path), "password": "Temp-2023-pw"})
    assert reset.status_code == 302
    assert not is_signed_in(zhuce)
    assert not is_signed_in(client_with(app, **{REMEMBER: copied}))
    assert is_signed_in(admin)


def test_disabling_a_user_ends_sessions_remember_cookies_and_api_tokens_at_once(app, demo):
    zhuce = signed_in_client(app, "zhuce", remember=True)
    copied = cookie(zhuce, REMEMBER)
    target = user("zhuce")
    secret = api_tokens.issue_token(target, "对接", None).secret
    db.session.commit()
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    assert api.get("/api/work-items").status_code == 200

    admin = signed_in_client(app, "admin")
    path = f"/admin/users/{target.id}/edit"
    disabled = admin.post(path, data={
        "csrf_token": csrf_token(admin, path), "display_name": target.display_name,
        "unit": str(target.unit_id), "roles": ["liaison"]})  # "active" unticked
    assert disabled.status_code == 302 and user("zhuce").active is False

    assert not is_signed_in(zhuce)
    assert not is_signed_in(client_with(app, **{REMEMBER: copied}))
    assert api.get("/api/work-items").status_code == 401
    refused = login(app.test_client(), "zhuce").get_data(as_text=True)
    assert "该账户已停用" in refused


def test_a_user_disabled_directly_in_the_database_is_refused_too(app, demo):
    zhuce = signed_in_client(app, "zhuce")
    user("zhuce").active = False  # no version raised: the active check alone must hold
    db.session.commit()
    assert not is_signed_in(zhuce)


def test_a_cookie_of_the_old_format_or_a_forged_id_names_nobody(app, demo):
    from flask_login.utils import encode_cookie

    zhuce_id = user("zhuce").id
    with app.test_request_context():
        forged = [encode_cookie(value) for value in (str(zhuce_id), f"{zhuce_id}:x", f"{2**70}:1", ":")]
    for value in forged:
        assert not is_signed_in(client_with(app, **{REMEMBER: value}))


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_no_evil_next_is_followed(target):
    assert not is_same_site_path(target)


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_our_own_paths_are_followed(target):
    assert is_same_site_path(target)


def test_sign_in_never_redirects_off_site(app, demo):
    client = app.test_client()
    raw = "/auth/login?next=/%09/evil.example/"  # the query of the report, as sent
    assert sign_in_redirect(client, raw) == "/"
    for target in EVIL_NEXT:
        client = app.test_client()
        assert sign_in_redirect(client, "/auth/login?next=" + quote(target, safe="")) == "/", repr(target)
        client = app.test_client()
        raw = "/auth/login?next=" + target.replace("\\", "%5C")
        assert sign_in_redirect(client, raw) == "/", repr(target)
    for target in GOOD_NEXT:
        client = app.test_client()
        assert sign_in_redirect(client, "/auth/login?next=" + quote(target, safe="")) == target


def sign_in_redirect(client: FlaskClient, path: str) -> str:
    """Where signing in sends the user; a NUL byte is refused (400) before sign-in even starts."""
    token = csrf_token(client, "/auth/login")
    response = client.post(path, data={"csrf_token": token, "username": "leader", "password": DEMO_PASSWORD})
    if "%00" in path or "\x00" in path:
        assert response.status_code == 400
        return "/"
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_urge_form_never_redirects_off_site(app, plan_2023):
    dushen = signed_in_client(app, "dushen")
    token = csrf_token(dushen, "/work/inbox")
    items = [item.id for item in urging.urgeable_items()]
    targets = EVIL_NEXT + GOOD_NEXT
    assert len(items) >= len(targets)
    for item_id, target in zip(items, targets, strict=False):  # one urge per item, so no flood limit interferes
        response = dushen.post(f"/work/items/{item_id}/urge",
                               data={"csrf_token": token, "message": f"请尽快办理({item_id})", "next": target})
        if "\x00" in target:  # refused before the view: a NUL byte never reaches it
            assert response.status_code == 400
            continue
        assert response.status_code == 302
        location = response.headers["Location"]
        if target in GOOD_NEXT:
            assert location == target
        else:
            assert location.startswith("/tasks/") and "evil" not in location, repr(target)


def test_signed_in_pages_are_not_stored_but_static_files_may_be(app, demo):
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/auth/login").headers.get("Cache-Control", "")
    client = signed_in_client(app, "dushen")
    for path in ("/", "/work/inbox", "/directory/units", "/api/work-items"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
    static = client.get("/static/css/duban.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_csp_limits_forms_and_base_everywhere_and_production_adds_hsts(app, demo, database_url):
    page = app.test_client().get("/auth/login")
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self'" in csp and "base-uri 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "Strict-Transport-Security" not in page.headers

    prod = make_test_app(database_url, DUBAN_ENV="production", SESSION_COOKIE_SECURE=True,
                         REMEMBER_COOKIE_SECURE=True)
    response = prod.test_client().get("/auth/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    prod_csp = response.headers["Content-Security-Policy"]
    assert "form-action 'self'" in prod_csp and "base-uri 'self'" in prod_csp


def test_the_demo_password_meets_the_policy_of_every_seeded_account(app, demo):
    from app.services.infrastructure.accounts import check_password_rules

    for seeded in db.session.scalars(select(User)):
        check_password_rules(DEMO_PASSWORD, seeded.username)
