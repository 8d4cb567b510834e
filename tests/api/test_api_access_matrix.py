"""Every registered api.* endpoint × anonymous and each demo user: allowed or refused, as this table says.

An API route missing from EXPECTED fails the suite, as tests/web/test_access_matrix.py does for pages.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from app.demo import load_demo
from app.exports import XLSX
from app.extensions import db
from app.models import ApiToken, ExportJob, ExportStatus, ExtensionRequest, Plan, PlanTask, User, WorkItem
from app.services.follow_up import extensions
from app.services.infrastructure import api_tokens
from app.services.plans import plan_import
from tests.conftest import PLAN_2023, empty_all_tables, login, make_test_app

ANONYMOUS = "anonymous"
USERS = ("admin", "dushen", "zhuce", "zhuce_head", "kexin", "leader")
EVERYONE = frozenset((ANONYMOUS, *USERS))
SIGNED_IN = frozenset(USERS)

#: An id no row has (endpoints whose rows the matrix's data lacks, see NO_ROWS).
MISSING = 999_999
NO_ROWS = frozenset({"api.rectification", "api.open_from_review", "api.confirm_import"})

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
    # Documents: 督审处, the leaders and administrators, as on the dashboards.
    "api.export": frozenset({"admin", "dushen", "leader"}),
    "api.dashboard": frozenset({"admin", "dushen", "leader"}),
    # dushen's own ready job: only dushen (the other readers get 403, not theirs).
    "api.export_job": frozenset({"dushen"}),
    "api.export_job_file": frozenset({"dushen"}),
    # 催办 and 延期审批: 督审处 only; 申请延期: the liaison of the item's unit (注册处).
    "api.urge": frozenset({"dushen"}),
    "api.request_extension": frozenset({"zhuce"}),
    "api.pending_extensions": frozenset({"dushen"}),
    "api.decide_extension": frozenset({"dushen"}),
    # 留言: whoever may see task 1; 批示: the leaders.
    "api.comment": frozenset({"admin", "dushen", "leader"}),
    "api.instruct": frozenset({"leader"}),
    # 整改: the 台账 and opening one are 督审处's; a rectification is read by those it concerns. The matrix's
    # data holds no rectification and no returned report, so past the role rule these answer 404
    # (tests/api/test_api_follow_up.py works real ones).
    "api.rectifications": frozenset({"dushen"}),
    "api.rectification": SIGNED_IN,
    "api.open_from_review": frozenset({"dushen"}),
    "api.plans": frozenset({"admin", "dushen", "leader"}),
    "api.plan": frozenset({"admin", "dushen", "leader"}),
    # 导入: 督审处 (an empty body is refused; the matrix holds no draft, so confirming answers 404, see NO_ROWS).
    "api.start_import": frozenset({"dushen"}),
    "api.confirm_import": frozenset({"dushen"}),
    "api.users": frozenset({"admin"}),
    "api.units": frozenset({"admin"}),
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
        zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
        api_tokens.issue_token(zhuce, "矩阵", None)
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        db.session.add(ExportJob(kind="ledger", plan_id=db.session.scalar(select(Plan.id)), as_of=date(2023, 6, 30),
                                 requested_by_id=dushen.id, status=ExportStatus.READY, progress=100,
                                 filename="台账.xlsx", mimetype=XLSX, data=b"PK"))
        item = _decomposition_of_task7()
        extensions.request_extension(item, item.due_at.date() + timedelta(days=30), "等待接口联调", zhuce)
        db.session.commit()
        yield app
        db.session.remove()
        empty_all_tables()


def _decomposition_of_task7() -> WorkItem:
    task7 = db.session.scalar(select(PlanTask).where(PlanTask.number == 7))
    return next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task7.id)


def _url_arguments() -> dict[str, int | str]:
    task1 = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    return {"item_id": _decomposition_of_task7().id, "request_id": db.session.scalar(select(ExtensionRequest.id)),
            "task_id": task1.id, "rectification_id": MISSING, "review_id": MISSING, "draft_id": MISSING,
            "token_id": db.session.scalar(select(ApiToken.id)),
            "kind": "ledger", "job_id": db.session.scalar(select(ExportJob.id)), "plan_id": task1.plan_id}


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
        past = (404,) if endpoint in NO_ROWS else (200, 201, 400, 409)
        assert response.status_code in past, (response.status_code, body)
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
        assert response.status_code in ((404,) if endpoint in NO_ROWS else (200, 201, 400, 409))
    else:
        assert response.status_code == 403   # issuing a token needs a signed-in session
