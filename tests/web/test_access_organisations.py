"""Route × role × organisation: the province and its 17 city bureaus (上下联动).

A city user never reaches the province's or another city's objects (403/404) and lists only their own
bureau's; the province's 督审处 and leaders see a city's tasks but act only on the province's own.
"""
from __future__ import annotations

from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select

from app.demo import load_cities
from app.extensions import db
from app.models import Organisation, Plan, PlanTask, Role, Unit, User, WorkItem
from app.services.infrastructure import accounts
from app.services.lifecycle import decomposition
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.plans import items
from tests.conftest import login
from tests.web.test_access_matrix import EXPECTED, _url_arguments, matrix_app  # noqa: F401 (the fixture)

#: City users: the two demo ones, and a leader, an administrator and a 督查 clerk of 武汉 made here.
CITY_USERS = ("wuhan", "yichang_ducha", "wuhan_leader", "wuhan_admin", "wuhan_ducha")
#: Path arguments that name no object of one bureau (an export kind, a sign-in provider).
NOT_AN_OBJECT = {"kind", "provider"}
JUNE_2023 = date(2023, 6, 1)


def _city(code: str) -> Organisation:
    return db.session.scalars(select(Organisation).where(Organisation.code == code)).one()


def _city_unit(code: str, name: str) -> Unit:
    return db.session.scalars(select(Unit).where(Unit.organisation_id == _city(code).id, Unit.name == name)).one()


def _city_item(code: str, text: str) -> Plan:
    request = items.ItemRequest(source="leader_instruction", document_number=f"{code}〔2023〕1号",
                                document_date=date(2023, 5, 30), text=text, lead_units="食品抽检科",
                                final_deadline=date(2023, 12, 31))
    return items.register_item(_city(code), request, None, JUNE_2023)


@pytest.fixture(scope="module")
def cities_app(matrix_app):  # noqa: F811 (the imported fixture)
    """The access matrix's province, plus the 17 bureaus, a 督办事项 in 武汉 and one in 宜昌."""
    with matrix_app.app_context():
        province = db.session.scalars(select(Organisation).where(Organisation.parent_id.is_(None))).one()
        load_cities(province)
        wuhan = _city("wuhan")
        for username, role, unit in (("wuhan_leader", Role.LEADER, None), ("wuhan_admin", Role.ADMIN, None),
                                     ("wuhan_ducha", Role.SUPERVISOR, _city_unit("wuhan", "办公室"))):
            accounts.create_user(username, username, "duban@2023", [role], unit=unit, organisation=wuhan,
                                 must_change_password=False)
        wuhan_plan = _city_item("wuhan", "请食品抽检科牵头开展武汉市夏季食品专项抽检。")
        _city_item("yichang", "请食品抽检科牵头开展宜昌市农贸市场快检。")
        _decompose(wuhan_plan.tasks[0])
        db.session.commit()
        yield matrix_app


def _decompose(task: PlanTask) -> None:
    """武汉's liaison submits the decomposition: a review step waits for 武汉's own 督查 staff."""
    liaison = db.session.scalars(select(User).where(User.username == "wuhan")).one()
    step = next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition",
                                                                     WorkItem.state == "open"))
                if i.context.get("plan_task_id") == task.id)
    decomposition.submit_decomposition(step, [MilestonePlan("抽检", "抽检报告", date(2023, 9, 30), liaison.id,
                                                            past_date_reason="补录")], None, liaison)


def _object_endpoints(app) -> list[str]:
    return sorted(rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.endpoint in EXPECTED and set(rule.arguments) - NOT_AN_OBJECT)


def _request(app, who: str, endpoint: str, arguments: dict[str, int]):
    client = app.test_client()
    assert login(client, who).status_code == 302
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        url = url_for(endpoint, **{k: v for k, v in arguments.items() if k in rule.arguments})
    response = client.get(url) if "GET" in rule.methods else client.post(url)
    response.close()
    return response


def _city_task(code: str) -> PlanTask:
    return db.session.scalars(select(PlanTask).join(Plan).where(Plan.organisation_id == _city(code).id)).one()


@pytest.mark.parametrize("who", CITY_USERS)
def test_city_users_never_reach_the_provinces_objects(cities_app, who):
    with cities_app.app_context():
        arguments = _url_arguments()
    reached = {}
    for endpoint in _object_endpoints(cities_app):
        status = _request(cities_app, who, endpoint, arguments).status_code
        if status not in (403, 404):
            reached[endpoint] = status
    assert reached == {}


@pytest.mark.parametrize("endpoint", ["tasks.detail", "tasks.diagram", "plans.detail", "dashboards.unit",
                                      "directory.unit", "assessment.overview", "tasks.priority",
                                      "rectification.new", "deadlines.policy"])
def test_one_city_never_reaches_another(cities_app, endpoint):
    """武汉's people and 宜昌's 督查 clerk on each other's task, plan and unit."""
    with cities_app.app_context():
        for who, other in (("wuhan", "yichang"), ("wuhan_leader", "yichang"), ("wuhan_ducha", "yichang"),
                           ("yichang_ducha", "wuhan")):
            task = _city_task(other)
            arguments = {"task_id": task.id, "plan_id": task.plan_id, "unit_id": _city_unit(other, "食品抽检科").id,
                         "instance_id": task.id}
            assert _request(cities_app, who, endpoint, arguments).status_code in (403, 404), (who, other)


def test_the_province_sees_a_city_but_acts_only_at_home(cities_app):
    with cities_app.app_context():
        task = _city_task("wuhan")
        unit = _city_unit("wuhan", "食品抽检科")
        review = next(i for i in db.session.scalars(select(WorkItem).where(
            WorkItem.form_key == "decomposition_review", WorkItem.state == "open"))
            if i.context.get("plan_task_id") == task.id)
        for who in ("dushen", "leader", "admin"):
            assert _request(cities_app, who, "tasks.detail", {"task_id": task.id}).status_code == 200, who
            assert _request(cities_app, who, "plans.detail", {"plan_id": task.plan_id}).status_code == 200, who
            assert _request(cities_app, who, "dashboards.unit", {"unit_id": unit.id}).status_code == 200, who
        for endpoint in ("tasks.priority", "rectification.new", "deadlines.policy", "plans.archive",
                         "assessment.policy"):
            status = _request(cities_app, "dushen", endpoint, {"task_id": task.id, "plan_id": task.plan_id})
            assert status.status_code == 403, endpoint
        assert _request(cities_app, "dushen", "work.item", {"item_id": review.id}).status_code == 403
        assert _request(cities_app, "yichang_ducha", "work.item", {"item_id": review.id}).status_code == 403
        assert _request(cities_app, "wuhan_ducha", "work.item", {"item_id": review.id}).status_code == 200


def _page(app, who: str, path: str) -> str:
    client = app.test_client()
    assert login(client, who).status_code == 302
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_lists_show_only_the_users_own_bureau(cities_app):
    mine = _page(cities_app, "wuhan", "/my-tasks")
    assert "武汉市夏季食品专项抽检" in mine and "宜昌市" not in mine
    inbox = _page(cities_app, "wuhan", "/work/inbox")
    assert "宜昌市" not in inbox and "注册处" not in inbox
    supervisor_inbox = _page(cities_app, "wuhan_ducha", "/work/inbox")
    assert "武汉市夏季食品专项抽检" in supervisor_inbox
    assert "武汉市夏季食品专项抽检" not in _page(cities_app, "dushen", "/work/inbox")
    plans = _page(cities_app, "yichang_ducha", "/plans/")
    assert "yichang〔2023〕1号" in plans and "全省市场监管工作要点" not in plans and "wuhan〔2023〕" not in plans
    units = _page(cities_app, "yichang_ducha", "/directory/units")
    assert "登记注册科" in units and "注册处" not in units
    users = _page(cities_app, "wuhan_admin", "/admin/users")
    assert "wuhan_ducha" in users and "zhuce" not in users and "yichang_ducha" not in users
    found = _page(cities_app, "yichang_ducha", "/search?q=抽检")
    assert "武汉市夏季食品专项抽检" not in found
    assert "武汉市夏季食品专项抽检" in _page(cities_app, "dushen", "/search?q=抽检")
    for who in ("wuhan_ducha", "yichang_ducha"):
        for path in ("/extensions", "/rectifications", "/urging", "/appeals", "/holds"):
            page = _page(cities_app, who, path)
            assert "注册处" not in page, (who, path)
    # The queues of decisions list only the decider's own bureau's: the province's waiting appeal, hold request
    # and task change are linked on the province's page and on no city's.
    for path, province_user, city_user in (("/appeals", "dushen", "wuhan_ducha"), ("/holds", "dushen", "wuhan_ducha"),
                                           ("/plans/changes", "leader", "wuhan_leader")):
        assert f'href="{path}/' in _page(cities_app, province_user, path), path
        assert f'href="{path}/' not in _page(cities_app, city_user, path), path
