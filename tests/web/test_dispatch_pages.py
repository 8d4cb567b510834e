"""下发 by page: 督审处 sends the 2023 plan's tasks to the 17 bureaus; a city keeps its 处室—科室 mapping."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.demo import load_cities
from app.extensions import db
from app.models import Plan, PlanTask, Unit, UnitMapping
from tests.conftest import csrf_token, login
from tests.snapshots import seeded


@seeded
def cities_2023(plan_2023):
    """The 2023 plan and the 17 city bureaus with their demo mappings, committed (the first city returned)."""
    return load_cities(plan_2023.organisation)[0]


def _dispatched(plan: Plan) -> int:
    return db.session.scalar(select(func.count()).select_from(Plan).where(Plan.dispatched_from_id == plan.id))


def _task(plan: Plan, number: int) -> PlanTask:
    return next(task for task in plan.tasks if task.number == number)


def test_the_supervisor_dispatches_the_suggested_tasks_once(client, plan_2023, cities_2023):
    login(client, "dushen")
    url = f"/plans/{plan_2023.id}/dispatch"
    page = client.get(url).get_data(as_text=True)
    task18, task1 = _task(plan_2023, 18), _task(plan_2023, 1)
    ticked = {int(value) for value in re.findall(r'<input checked[^>]* value="(\d+)"', page)}
    assert task18.id in ticked and task1.id not in ticked  # 全省计划抽检… is suggested
    assert f'<a class="btn btn-outline-primary" href="{url}"' in client.get(f"/plans/{plan_2023.id}").get_data(
        as_text=True)

    response = client.post(url, data={"csrf_token": csrf_token(client, url), "tasks": [task18.id]})
    assert response.status_code == 302
    detail = client.get(f"/plans/{plan_2023.id}").get_data(as_text=True)
    assert "已下发至 17 个市州局" in detail and "下发各市州</a>" not in detail
    assert _dispatched(plan_2023) == 17
    db.session.expire_all()
    assert db.session.get(PlanTask, task18.id).for_cities and not db.session.get(PlanTask, task1.id).for_cities

    again = client.post(url, data={"csrf_token": csrf_token(client, url), "tasks": [task18.id]})
    assert again.status_code == 409 and "不能重复下发" in again.get_data(as_text=True)
    assert _dispatched(plan_2023) == 17

    wuhan = client.application.test_client()
    login(wuhan, "wuhan")
    mine = wuhan.get("/my-tasks").get_data(as_text=True)
    assert task18.title[:20] in mine


def test_nothing_chosen_is_refused(client, plan_2023, cities_2023):
    login(client, "dushen")
    url = f"/plans/{plan_2023.id}/dispatch"
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 200 and "请至少选择一项要下发的任务" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Plan).where(Plan.dispatched_from_id.is_not(None))) == 0


def test_a_city_keeps_its_mapping(client, plan_2023, cities_2023):
    login(client, "yichang_ducha")
    page = client.get("/directory/mapping").get_data(as_text=True)
    assert "食品抽检处" in page and "食品抽检科" in page
    upper = db.session.scalars(select(Unit).where(Unit.organisation_id == plan_2023.organisation_id,
                                                  Unit.name == "食品抽检处")).one()
    office = db.session.scalars(select(Unit).join(Unit.organisation).where(
        Unit.name == "办公室", Unit.organisation.has(code="yichang"))).one()
    response = client.post("/directory/mapping", data={"csrf_token": csrf_token(client, "/directory/mapping"),
                                                       f"upper_{upper.id}": office.id})
    assert response.status_code == 302
    row = db.session.scalars(select(UnitMapping).where(UnitMapping.organisation_id == office.organisation_id,
                                                       UnitMapping.upper_unit_id == upper.id)).one()
    assert row.unit_id == office.id
    # Another city's 科室 is no choice: refused by the form, nothing changed.
    wuhan_office = db.session.scalars(select(Unit).where(Unit.name == "办公室", Unit.organisation.has(code="wuhan"))
                                      ).one()
    refused = client.post("/directory/mapping", data={"csrf_token": csrf_token(client, "/directory/mapping"),
                                                      f"upper_{upper.id}": wuhan_office.id})
    assert refused.status_code == 200
    db.session.expire_all()
    assert db.session.get(UnitMapping, row.id).unit_id == office.id


def test_the_province_has_no_mapping_to_keep(client, plan_2023, cities_2023):
    login(client, "dushen")
    assert "本机构没有上级机构" in client.get("/directory/mapping").get_data(as_text=True)


def test_a_city_names_the_kesi_on_the_task_page(client, plan_2023, cities_2023):
    from sqlalchemy import delete

    from app.models import Decomposition, Organisation, User
    from app.services.plans import dispatch

    yichang = db.session.scalars(select(Organisation).where(Organisation.code == "yichang")).one()
    db.session.execute(delete(UnitMapping).where(UnitMapping.organisation_id == yichang.id))
    dushen = db.session.scalars(select(User).where(User.username == "dushen")).one()
    derived = next(p for p in dispatch.dispatch(plan_2023, [_task(plan_2023, 18).id], dushen)
                   if p.organisation_id == yichang.id)
    db.session.commit()
    copy = derived.tasks[0]
    login(client, "yichang_ducha")
    assert 'data-testid="assign-link"' in client.get(f"/tasks/{copy.id}").get_data(as_text=True)
    lead = db.session.scalars(select(Unit).where(Unit.organisation_id == yichang.id, Unit.name == "食品抽检科")).one()
    url = f"/tasks/{copy.id}/assign"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "lead": lead.id})
    assert response.status_code == 302
    assert db.session.scalars(select(Decomposition.unit_id).where(Decomposition.plan_task_id == copy.id)).all() == [
        lead.id]
    again = client.post(url, data={"csrf_token": csrf_token(client, url), "lead": lead.id})
    assert again.status_code == 409 and "已确定牵头科室" in again.get_data(as_text=True)


def test_a_citys_first_administrator_is_made_on_the_command_line(app, cities_2023):
    from app.models import User
    from app.services.infrastructure import visibility

    runner = app.test_cli_runner()
    made = runner.invoke(args=["user", "create", "--username", "xianning_admin", "--name", "咸宁市局管理员",
                               "--role", "admin", "--org", "xianning", "--password", "Xianning2026a"])
    assert made.exit_code == 0, made.output
    admin = db.session.scalars(select(User).where(User.username == "xianning_admin")).one()
    assert visibility.organisation_id_of(admin) == db.session.scalars(
        select(Unit.organisation_id).join(Unit.organisation).where(Unit.organisation.has(code="xianning"))).first()
    unknown = runner.invoke(args=["user", "create", "--username", "x2", "--name", "x", "--role", "admin",
                                  "--org", "nowhere", "--password", "Xianning2026a"])
    assert unknown.exit_code != 0 and "没有代码为“nowhere”的机构" in unknown.output
    client = app.test_client()
    login(client, "xianning_admin", "Xianning2026a")
    users = client.get("/admin/users").get_data(as_text=True)
    assert "xianning_admin" in users and "dushen" not in users
