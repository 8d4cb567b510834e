"""Every registered api.* endpoint × anonymous and each demo user: allowed or refused, as this table says.

An API route missing from EXPECTED fails the suite, as tests/web/test_access_matrix.py does for pages.
"""
from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from app.demo import load_demo
from app.extensions import db
from app.models import ApiToken, PlanTask, User, WorkItem
from app.services.infrastructure import api_tokens
from app.services.plans import plan_import
from tests.conftest import PLAN_2023, empty_all_tables, login, make_test_app

ANONYMOUS = "anonymous"
USERS = ("admin", "dushen", "zhuce", "zhuce_head", "kexin", "leader")
EVERYONE = frozenset((ANONYMOUS, *USERS))
SIGNED_IN = frozenset(USERS)

EXPECTED: dict[str, frozenset[str]] = {
    "api.openapi": EVERYONE,
    "api.list_work_items": SIGNED_IN,
    # 注册处's decomposition of task 7: only its liaison may work it.
    "api.work_item": frozenset({"zhuce"}),
    "api.complete_work_item": frozenset({"zhuce"}),
    # Task 1 involves none of the unit-bound demo users' units.
    "api.task": frozenset({"admin", "dushen", "leader"}),
    # 督办事项立项: 督审处 only (an empty body is then refused as invalid, nothing stored).
    "api.create_item": frozenset({"dushen"}),
    "api.list_tokens": SIGNED_IN,
    "api.issue_token": SIGNED_IN,
    # zhuce's token: its owner, or an administrator.
    "api.revoke_token": frozenset({"zhuce", "admin"}),
}


@pytest.fixture(scope="module")
def matrix_app(migrated_app, database_url, snapshots):
    """An app on the demo data and the 2023 plan, CSRF off: this test is about access, not CSRF."""
    app = make_test_app(database_url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        snapshots.reset()
        org = load_demo()
        plan_import.confirm_import(
            plan_import.start_import(org, None, None, pasted=PLAN_2023.read_text("utf-8")), {}, None)
        api_tokens.issue_token(db.session.scalar(select(User).where(User.username == "zhuce")), "矩阵", None)
        db.session.commit()
        yield app
        db.session.remove()
        empty_all_tables()


def _url_arguments() -> dict[str, int]:
    task1 = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    task7 = db.session.scalar(select(PlanTask).where(PlanTask.number == 7))
    item = next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task7.id)
    return {"item_id": item.id, "task_id": task1.id, "token_id": db.session.scalar(select(ApiToken.id))}


def _api_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}


def test_every_api_route_has_an_expectation(migrated_app):
    assert _api_endpoints(migrated_app) == set(EXPECTED)


def _call(client, endpoint: str):
    rule = next(r for r in client.application.url_map.iter_rules() if r.endpoint == endpoint)
    with client.application.test_request_context():
        url = url_for(endpoint, **{k: v for k, v in _url_arguments().items() if k in rule.arguments})
    method = next(m for m in ("GET", "POST", "DELETE") if m in rule.methods)
    return client.open(url, method=method, json={} if method != "GET" else None)


@pytest.mark.parametrize("who", sorted(EVERYONE))
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_api_access(matrix_app, endpoint, who):
    client = matrix_app.test_client()
    if who != ANONYMOUS:
        assert login(client, who).status_code == 302
    response = _call(client, endpoint)
    body = response.get_json()

    if who in EXPECTED[endpoint]:
        # Past the access rules; an empty body may still be refused as invalid (400) or stale (409).
        assert response.status_code in (200, 201, 400, 409), (response.status_code, body)
    elif who == ANONYMOUS:
        assert response.status_code == 401 and body["error_code"] == "unauthorized"
    else:
        assert response.status_code == 403 and body["error_code"] == "permission_denied"


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_a_bearer_token_meets_the_same_rules(matrix_app, endpoint):
    kexin = db.session.scalar(select(User).where(User.username == "kexin"))
    secret = api_tokens.issue_token(kexin, "矩阵", None).secret
    db.session.commit()
    client = matrix_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    response = _call(client, endpoint)
    response.close()
    if "kexin" in EXPECTED[endpoint] and endpoint != "api.issue_token":
        assert response.status_code in (200, 201, 400, 409)
    else:
        assert response.status_code == 403   # issuing a token needs a signed-in session
