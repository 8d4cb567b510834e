"""Token scopes (read / act / admin) checked per view, and each token's own rate limit (429 in Chinese)."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.throttle import wait_text
from app.extensions import db
from app.models import User
from app.services.infrastructure import api_tokens
from tests.api.conftest import bearer_client, open_item_id
from tests.conftest import csrf_token, login


def scoped_client(app, username: str, *scopes: str):
    user = db.session.scalar(select(User).where(User.username == username))
    issued = api_tokens.issue_token(user, "范围测试", None, scopes)
    db.session.commit()
    return bearer_client(app, issued.secret)


def test_a_token_without_scopes_named_reads_and_acts_as_before(app, demo):
    user = db.session.scalar(select(User).where(User.username == "zhuce"))
    issued = api_tokens.issue_token(user, "旧客户端", None)
    db.session.commit()
    assert issued.token.scopes == "read act"
    listed = bearer_client(app, issued.secret).get("/api/tokens").get_json()["tokens"]
    assert listed[0]["scopes"] == ["read", "act"]


def test_a_read_token_reads_but_is_refused_every_write_with_nothing_changed(app, demo, task7):
    reader = scoped_client(app, "zhuce", "read")
    assert reader.get("/api/work-items").status_code == 200
    item_id = open_item_id(reader, "decomposition", task7)
    refused = reader.post(f"/api/work-items/{item_id}/complete", json={"form": "decomposition"})
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["error_code"] == "permission_denied" and "办理" in body["message"] and "只读" in body["message"]
    token_id = reader.get("/api/tokens").get_json()["tokens"][0]["id"]
    assert reader.delete(f"/api/tokens/{token_id}").status_code == 403
    assert reader.get("/api/tokens").get_json()["tokens"][0]["revoked_at"] is None
    assert reader.get(f"/api/work-items/{item_id}").get_json()["state"] == "open"


def test_an_act_token_without_read_cannot_list(app, demo):
    actor = scoped_client(app, "zhuce", "act")
    refused = actor.get("/api/work-items")
    assert refused.status_code == 403 and "只读" in refused.get_json()["message"]


def test_scopes_are_checked_when_issued(app, demo, client):
    login(client, "zhuce")
    headers = {"X-CSRFToken": csrf_token(client, "/work/inbox")}
    for scopes, fragment in ((["admin"], "系统管理员"), (["write"], "权限范围"), ([], "权限范围"), ("read", "列表")):
        refused = client.post("/api/tokens", json={"name": "x", "scopes": scopes}, headers=headers)
        assert refused.status_code == 400 and fragment in refused.get_json()["message"], scopes
    issued = client.post("/api/tokens", json={"name": "只读", "scopes": ["read"]}, headers=headers)
    assert issued.status_code == 201 and issued.get_json()["scopes"] == ["read"]
    assert len(client.get("/api/tokens").get_json()["tokens"]) == 1


def test_an_administrator_may_hold_the_admin_scope(app, demo):
    admin = scoped_client(app, "admin", "read", "admin")
    assert admin.get("/api/tokens").get_json()["tokens"][0]["scopes"] == ["read", "admin"]


def test_each_token_has_its_own_rate_limit_and_sessions_are_not_counted(app, demo, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    first, second = scoped_client(app, "zhuce", "read"), scoped_client(app, "zhuce", "read")
    assert [first.get("/api/work-items").status_code for _ in range(3)] == [200, 200, 200]
    throttled = first.get("/api/work-items")
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 61
    body = throttled.get_json()
    assert body["error_code"] == "too_many_requests" and "请求过于频繁" in body["message"]
    assert f"请在 {wait_text(int(throttled.headers['Retry-After']))}后再试" in body["message"]
    assert first.get("/api/tokens").status_code == 429  # one budget across the whole API
    assert second.get("/api/work-items").status_code == 200
    login(client, "zhuce")
    assert [client.get("/api/work-items").status_code for _ in range(5)] == [200] * 5


def test_users_and_units_need_an_administrator_and_the_admin_scope(app, demo):
    without = scoped_client(app, "admin", "read", "act")
    refused = without.get("/api/users")
    assert refused.status_code == 403 and "管理(用户与单位)" in refused.get_json()["message"]
    admin = scoped_client(app, "admin", "read", "admin")
    users = admin.get("/api/users").get_json()["users"]
    zhuce = next(u for u in users if u["username"] == "zhuce")
    assert zhuce["unit"]["name"] == "注册处" and zhuce["roles"] == ["liaison"] and "password_hash" not in zhuce
    assert "注册处" in [u["name"] for u in admin.get("/api/units").get_json()["units"]]
    assert scoped_client(app, "dushen", "read").get("/api/units").status_code == 403   # not an administrator
