"""统一身份认证 through the pages: CAS against a stub speaking the protocol, OpenID Connect against the npm
oidc-provider, both on 127.0.0.1. Matching, 待分配 users, disabled users, bad state and tickets, logout."""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Role, User
from tests.conftest import csrf_token
from tests.sso.servers import cas_server, oidc_provider

CAS_CALLBACK = "/auth/sso/cas/callback"
OIDC_CALLBACK = "/auth/sso/oidc/callback"
#: Where the test client says it is: Flask's test client serves http://localhost.
BASE = "http://localhost"


@pytest.fixture
def sso_settings(app, monkeypatch):
    """Set the app's SSO settings for one test; the Authlib client made from them goes with the test."""
    def configure(**settings: object) -> None:
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)
        app.extensions.pop("duban_oidc", None)

    yield configure
    app.extensions.pop("duban_oidc", None)


@pytest.fixture
def cas(sso_settings):
    with cas_server() as stub:
        stub.users = {"zhuce": {"uid": "zhuce", "name": "注册处 李联络"},
                      "wang.wu": {"uid": "wang.wu", "name": "王五", "mail": "wangwu@example.gov.cn"}}
        sso_settings(CAS_SERVER_URL=stub.url, CAS_VERSION=3, CAS_USERNAME_ATTRIBUTE="uid", CAS_CREATE_USERS=True)
        yield stub


def cas_sign_in(client, stub, login: str):
    """Click the CAS button, sign in at the stub, come back with the ticket; the callback's response."""
    start = client.get("/auth/sso/cas/start")
    assert start.status_code == 302 and start.headers["Location"].startswith(stub.url + "/login?")
    stub.signing_in = login
    at_server = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_server.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == BASE + CAS_CALLBACK
    return client.get(f"{back.path}?{back.query}")


def user_named(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_the_sign_in_page_offers_each_configured_provider_beside_the_password(client, demo, sso_settings):
    assert "统一身份认证登录" not in client.get("/auth/login").get_data(as_text=True)
    sso_settings(CAS_SERVER_URL="http://127.0.0.1:9/cas", OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="duban",
                 OIDC_LABEL="统一身份认证登录(OA)", CAS_LABEL="统一身份认证登录")
    page = client.get("/auth/login?next=/work/inbox").get_data(as_text=True)
    assert 'data-provider="oidc"' in page and "统一身份认证登录(OA)" in page and 'data-provider="cas"' in page
    assert "/auth/sso/cas/start?next=/work/inbox" in page and 'name="password"' in page


def test_cas_signs_in_the_user_of_the_same_name_then_by_subject(client, demo, cas):
    answer = cas_sign_in(client, cas, "zhuce")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "欢迎,注册处 李联络。" in home and "本单位任务" in home
    zhuce = user_named("zhuce")
    assert (zhuce.sso_provider, zhuce.sso_subject) == ("cas", "zhuce")
    assert cas.validations and cas.tickets == {}


def test_cas_returns_to_the_page_asked_for_and_never_elsewhere(client, demo, cas):
    cas.signing_in = "zhuce"
    for asked, landed in [("/work/inbox", "/work/inbox"), ("//evil.example/x", "/")]:
        start = client.get("/auth/sso/cas/start", query_string={"next": asked})
        back = urlsplit(requests.get(start.headers["Location"], allow_redirects=False, timeout=10).headers["Location"])
        assert client.get(f"{back.path}?{back.query}").headers["Location"] == landed
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})


def test_cas_creates_an_unknown_person_awaiting_assignment_and_the_administrator_assigns_them(app, client, demo, cas):
    assert cas_sign_in(client, cas, "wang.wu").status_code == 302
    waiting = client.get("/", follow_redirects=True)
    assert waiting.request.path == "/auth/pending"
    assert "您的账户待分配" in waiting.get_data(as_text=True)
    assert client.get("/work/inbox").headers["Location"] == "/auth/pending"
    created = user_named("wang.wu")
    assert created.awaiting_assignment and created.unit is None and created.display_name == "王五"
    assert created.email == "wangwu@example.gov.cn"

    admin = app.test_client()
    from tests.conftest import login
    login(admin, "admin")
    listing = admin.get("/admin/users?state=pending").get_data(as_text=True)
    assert "wang.wu" in listing and "zhuce" not in listing and 'data-testid="pending-count">1<' in listing
    unit_id = user_named("zhuce").unit_id
    saved = admin.post(f"/admin/users/{created.id}/edit", data={
        "csrf_token": csrf_token(admin, f"/admin/users/{created.id}/edit"), "display_name": "王五", "email": "",
        "unit": unit_id, "roles": [Role.LIAISON.value], "active": "y",
    })
    assert saved.status_code == 302
    assert "没有待分配的用户。" in admin.get("/admin/users?state=pending").get_data(as_text=True)
    # The same browser goes on, now with the unit's pages.
    assert client.get("/work/inbox").status_code == 200


def test_cas_refuses_a_user_disabled_in_duban(client, demo, cas):
    user_named("zhuce").active = False
    db.session.commit()
    answer = cas_sign_in(client, cas, "zhuce")
    assert answer.headers["Location"] == "/auth/login"
    assert "该账户已停用,请联系系统管理员。" in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert user_named("zhuce").sso_subject is None  # nothing written


def test_cas_refuses_an_unknown_person_where_creating_users_is_off(client, demo, cas, sso_settings):
    sso_settings(CAS_CREATE_USERS=False)
    cas_sign_in(client, cas, "wang.wu")
    assert "请联系系统管理员开通" in client.get("/auth/login").get_data(as_text=True)
    assert user_named("wang.wu") is None


def test_a_cas_ticket_is_validated_once_and_only_by_the_browser_that_started(app, client, demo, cas):
    start = client.get("/auth/sso/cas/start")
    cas.signing_in = "zhuce"
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
    path = urlsplit(back).path + "?" + urlsplit(back).query
    # Another browser (no sign-in started there) cannot use the ticket, nor burn it.
    stranger = app.test_client()
    assert stranger.get(path).headers["Location"] == "/auth/login"
    assert "登录请求已失效" in stranger.get("/auth/login").get_data(as_text=True)
    assert cas.validations == []
    assert client.get(path).headers["Location"] == "/"
    # Replayed after signing out (a new start in the same browser): the server says the ticket is spent.
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    client.get("/auth/sso/cas/start")
    assert client.get(path).headers["Location"] == "/auth/login"
    assert "登录票据无效或已使用" in client.get("/auth/login").get_data(as_text=True)
    assert len(cas.validations) == 2 and client.get("/").status_code == 302


@pytest.mark.parametrize("query", ["", "?ticket=", "?ticket=ST-forged", "?ticket=" + "x" * 300])
def test_a_missing_forged_or_overlong_ticket_is_refused_in_chinese(client, demo, cas, query):
    client.get("/auth/sso/cas/start")
    answer = client.get(CAS_CALLBACK + query)
    assert answer.status_code == 302 and answer.headers["Location"] == "/auth/login"
    assert re.search("登录票据|统一身份认证未返回", client.get("/auth/login").get_data(as_text=True))


def test_cas_2_validates_at_service_validate_and_uses_the_cas_user(client, demo, cas, sso_settings):
    sso_settings(CAS_VERSION=2)
    assert cas_sign_in(client, cas, "zhuce").headers["Location"] == "/"


def test_an_unreachable_cas_server_is_a_chinese_message(client, demo, sso_settings):
    sso_settings(CAS_SERVER_URL="http://127.0.0.1:9/cas")
    client.get("/auth/sso/cas/start")
    answer = client.get(CAS_CALLBACK + "?ticket=ST-1")
    assert answer.headers["Location"] == "/auth/login"
    assert "无法连接统一身份认证服务器" in client.get("/auth/login").get_data(as_text=True)


def test_an_entity_in_the_cas_answer_is_not_expanded(app, demo, tmp_path):
    from app.auth.cas import parse_validation
    from app.services.infrastructure.external_accounts import ExternalSignInRefused

    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret")
    hostile = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
               '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>'
               "<cas:user>&x;</cas:user></cas:authenticationSuccess></cas:serviceResponse>").encode()
    with pytest.raises(ExternalSignInRefused):
        parse_validation(hostile)
    with pytest.raises(ExternalSignInRefused, match="无法识别"):
        parse_validation(b"<not-xml")


def test_signing_out_after_cas_offers_the_cas_logout(client, demo, cas):
    cas_sign_in(client, cas, "zhuce")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    page = client.get("/auth/login").get_data(as_text=True)
    assert "您已安全退出" in page and "退出统一身份认证" in page
    assert f'href="{cas.url}/logout?service=http%3A%2F%2Flocalhost%2Fauth%2Flogin' in page
    assert "退出统一身份认证" not in client.get("/auth/login").get_data(as_text=True)  # offered once


# --- OpenID Connect, against the real oidc-provider ------------------------------------------------------------


@pytest.fixture(scope="module")
def provider():
    """The provider as oidc-provider comes: the ID token carries `sub`, the profile comes from userinfo
    (the browser test has the claims in the ID token)."""
    with oidc_provider([BASE + OIDC_CALLBACK], [BASE + "/auth/login"], {
        "zhuce": {"preferred_username": "zhuce", "name": "注册处 李联络"},
        "zhao.liu": {"preferred_username": "zhao.liu", "name": "赵六", "email": "zhaoliu@example.gov.cn"},
    }) as running:
        yield running


@pytest.fixture
def oidc(provider, sso_settings):
    sso_settings(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=provider.client_id,
                 OIDC_CLIENT_SECRET=provider.client_secret, OIDC_CREATE_USERS=True)
    return provider


def at_provider(authorize_url: str, login: str) -> str:
    """Sign in at oidc-provider's dev interaction as ``login`` and consent; the redirect back to Duban."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            if url.startswith(BASE):
                return url
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
        assert form, answer.text[:500]
        prompt = re.search(r'name="prompt" value="(\w+)"', answer.text).group(1)
        data = {"prompt": prompt, "login": login, "password": "any"} if prompt == "login" else {"prompt": prompt}
        posted = browser.post(urljoin(url, form.group(1)), data=data, allow_redirects=False, timeout=10)
        url = urljoin(url, posted.headers["Location"])
        if url.startswith(BASE):
            return url
    raise AssertionError("the provider never sent the browser back")


def oidc_sign_in(client, login: str):
    start = client.get("/auth/sso/oidc/start")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = urlsplit(at_provider(start.headers["Location"], login))
    assert back.path == OIDC_CALLBACK
    return client.get(f"{back.path}?{back.query}"), parse_qs(back.query)


def test_oidc_signs_in_the_user_of_the_same_name_and_lands_home(client, demo, oidc):
    answer, _ = oidc_sign_in(client, "zhuce")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert "欢迎,注册处 李联络。" in client.get("/").get_data(as_text=True)
    zhuce = user_named("zhuce")
    assert (zhuce.sso_provider, zhuce.sso_subject) == ("oidc", "zhuce")
    # The user name came from the userinfo endpoint: the ID token did not carry it.
    with client.session_transaction() as session:
        payload = session["sso_id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == "zhuce" and "preferred_username" not in claims


def test_oidc_creates_an_unknown_person_awaiting_assignment(client, demo, oidc):
    oidc_sign_in(client, "zhao.liu")
    assert client.get("/").headers["Location"] == "/auth/pending"
    created = user_named("zhao.liu")
    assert created.awaiting_assignment and created.email == "zhaoliu@example.gov.cn"


def test_oidc_refuses_a_disabled_user(client, demo, oidc):
    user_named("zhuce").active = False
    db.session.commit()
    answer, _ = oidc_sign_in(client, "zhuce")
    assert answer.headers["Location"] == "/auth/login"
    assert "该账户已停用" in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_oidc_refuses_a_wrong_or_replayed_state(app, client, demo, oidc):
    start = client.get("/auth/sso/oidc/start")
    back = urlsplit(at_provider(start.headers["Location"], "zhuce"))
    good = f"{back.path}?{back.query}"
    forged = re.sub(r"state=[^&]+", "state=forged", good)
    assert client.get(forged).headers["Location"] == "/auth/login"
    assert "登录请求已失效或被篡改" in client.get("/auth/login").get_data(as_text=True)
    # Another browser cannot use this browser's answer.
    assert app.test_client().get(good).headers["Location"] == "/auth/login"
    assert client.get(good).headers["Location"] == "/"
    # The state was used up: the same answer again is refused.
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(good).headers["Location"] == "/auth/login"
    assert client.get(OIDC_CALLBACK + "?error=access_denied&state=x").headers["Location"] == "/auth/login"


def test_disabling_a_user_ends_their_oidc_session(app, client, demo, oidc):
    oidc_sign_in(client, "zhuce")
    assert client.get("/").status_code == 200
    zhuce = user_named("zhuce")
    from app.services.infrastructure import accounts
    accounts.update_user(zhuce, zhuce.display_name, zhuce.email, zhuce.unit, zhuce.roles, False,
                         actor=user_named("admin"))
    db.session.commit()
    assert client.get("/").status_code == 302


def test_signing_out_after_oidc_offers_the_providers_end_session(client, demo, oidc):
    oidc_sign_in(client, "zhuce")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    page = client.get("/auth/login").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" class="alert-link">退出统一身份认证', page).group(1).replace("&amp;", "&")
    assert link.startswith(oidc.issuer + "/session/end?")
    query = parse_qs(urlsplit(link).query)
    assert query["post_logout_redirect_uri"] == [BASE + "/auth/login"] and query["id_token_hint"]
    # The provider accepts it: its confirmation page, not an error.
    ending = requests.get(link, timeout=10)
    assert ending.status_code == 200 and "logout" in ending.text.lower()


def test_an_unreachable_provider_is_a_chinese_message(client, demo, sso_settings):
    sso_settings(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="duban", OIDC_CLIENT_SECRET="x")
    answer = client.get("/auth/sso/oidc/start")
    assert answer.headers["Location"] == "/auth/login"
    assert "无法连接统一身份认证服务器" in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/auth/sso/oidc/start", "/auth/sso/cas/start", "/auth/sso/saml/start",
                                  OIDC_CALLBACK + "?code=x&state=y", CAS_CALLBACK + "?ticket=ST-1"])
def test_a_provider_not_configured_is_a_chinese_message(client, demo, path):
    assert client.get(path).headers["Location"] == "/auth/login"
    assert "本系统未启用这种统一身份认证方式" in client.get("/auth/login").get_data(as_text=True)
