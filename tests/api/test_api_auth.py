"""Who may call the API: session cookie with the CSRF header, or a live bearer token; JSON errors under /api."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, AuditEvent, Decomposition, User
from app.services.infrastructure import api_tokens
from tests.api.conftest import bearer_client, issue_secret, open_item_id
from tests.conftest import csrf_token, login


def test_anonymous_gets_401_json_not_the_login_page(client, demo):
    response = client.get("/api/work-items")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error_code"] == "unauthorized" and "令牌" in response.get_json()["message"]


def test_unknown_api_paths_answer_json_and_pages_keep_html(client, demo):
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json() == {"error_code": "not_found", "message": "请求的资源不存在。"}
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    with client.get("/work/inbox") as redirect:
        assert redirect.status_code == 302 and "/auth/login" in redirect.headers["Location"]


def test_a_wrong_or_malformed_token_is_401(app, demo):
    for header in ("Bearer duban_not-a-token", "Basic dXNlcjpwYXNz", "Bearer "):
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = header
        assert client.get("/api/work-items").status_code == 401


def test_only_the_sha256_is_stored_and_use_is_recorded(app, demo):
    secret = issue_secret("zhuce")
    assert bearer_client(app, secret).get("/api/work-items").status_code == 200
    token = db.session.scalar(select(ApiToken))
    db.session.refresh(token)
    assert token.token_sha256 == api_tokens.digest(secret) and secret not in token.token_sha256
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(app, demo):
    secret = issue_secret("zhuce")
    client = bearer_client(app, secret)
    token_id = client.get("/api/tokens").get_json()["tokens"][0]["id"]
    assert client.delete(f"/api/tokens/{token_id}").get_json()["revoked_at"] is not None
    refused = client.get("/api/work-items")
    assert refused.status_code == 401 and refused.get_json()["error_code"] == "unauthorized"


def test_a_token_of_a_disabled_user_is_refused(app, demo):
    client = bearer_client(app, issue_secret("zhuce"))
    db.session.scalar(select(User).where(User.username == "zhuce")).active = False
    db.session.commit()
    assert client.get("/api/work-items").status_code == 401


def test_someone_elses_token_cannot_be_revoked_but_an_administrator_can(app, demo):
    issue_secret("zhuce")
    token_id = db.session.scalar(select(ApiToken.id))
    kexin, admin = bearer_client(app, issue_secret("kexin")), bearer_client(app, issue_secret("admin"))
    assert kexin.delete(f"/api/tokens/{token_id}").status_code == 403
    assert admin.delete(f"/api/tokens/{token_id}").status_code == 200
    assert admin.delete(f"/api/tokens/{token_id}").get_json()["error_code"] == "invalid_transition"


def test_a_session_post_needs_the_csrf_header(app, task7):
    zhuce = app.test_client()
    login(zhuce, "zhuce")
    item = open_item_id(zhuce, "decomposition", task7)
    body = {"milestones": [{"title": "节点", "deliverable": "成果", "due_date": "2023-06-30",
                            "past_date_reason": "补录",
                            "owner": db.session.scalar(select(User.id).where(User.username == "zhuce"))}]}
    refused = zhuce.post(f"/api/work-items/{item}/complete", json=body)
    assert refused.status_code == 400 and refused.get_json()["error_code"] == "csrf_failed"
    assert zhuce.post("/api/tokens", json={"name": "x"}).get_json()["error_code"] == "csrf_failed"
    assert db.session.scalar(select(Decomposition.rounds_submitted)) == 0

    token = csrf_token(zhuce, "/work/inbox")
    done = zhuce.post(f"/api/work-items/{item}/complete", json=body, headers={"X-CSRFToken": token})
    assert done.status_code == 200 and done.get_json()["work_item"]["state"] == "completed"


def test_a_signed_in_session_issues_a_token_shown_once_and_a_token_cannot_issue_more(app, demo):
    zhuce = app.test_client()
    login(zhuce, "zhuce")
    headers = {"X-CSRFToken": csrf_token(zhuce, "/work/inbox")}
    refused = zhuce.post("/api/tokens", json={"name": " "}, headers=headers).get_json()
    assert refused["error_code"] == "validation_failed"
    issued = zhuce.post("/api/tokens", json={"name": "政务平台对接"}, headers=headers)
    assert issued.status_code == 201 and issued.get_json()["token"].startswith(api_tokens.TOKEN_PREFIX)
    token_client = bearer_client(app, issued.get_json()["token"])
    assert "token" not in token_client.get("/api/tokens").get_json()["tokens"][0]
    refused = token_client.post("/api/tokens", json={"name": "再签一个"})
    assert refused.status_code == 403 and db.session.scalar(select(db.func.count(ApiToken.id))) == 1
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "api_token")) == "issued"


def test_a_bearer_token_does_not_sign_in_the_pages(app, demo):
    client = bearer_client(app, issue_secret("zhuce"))
    with client.get("/work/inbox") as page:
        assert page.status_code == 302 and "/auth/login" in page.headers["Location"]


def test_the_command_line_issues_and_revokes_tokens(app, demo):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["token", "create", "--username", "kexin", "--name", "对接测试"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert bearer_client(app, secret).get("/api/work-items").status_code == 200
    token_id = db.session.scalar(select(ApiToken.id))
    assert runner.invoke(args=["token", "revoke", "--id", str(token_id)]).exit_code == 0
    assert bearer_client(app, secret).get("/api/work-items").status_code == 401
    unknown = runner.invoke(args=["token", "create", "--username", "nobody", "--name", "x"])
    assert unknown.exit_code != 0 and "没有用户名为" in unknown.output


def test_a_wrong_method_is_405_with_allow_on_the_api_and_the_pages(client, demo):
    api = client.put("/api/work-items")
    assert api.status_code == 405 and api.get_json()["error_code"] == "method_not_allowed"
    assert {m.strip() for m in api.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    completion = client.get("/api/work-items/1/complete")
    assert completion.status_code == 405 and "POST" in completion.headers["Allow"]
    page = client.delete("/auth/login")
    assert page.status_code == 405 and "请求方式不允许" in page.get_data(as_text=True)
    assert {"GET", "POST"} <= {m.strip() for m in page.headers["Allow"].split(",")}
