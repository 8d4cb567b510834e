"""下发: the 2023 plan's tasks sent down to the 17 city bureaus, each linked to the provincial task."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from app.demo import load_cities
from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import Decomposition, Plan, PlanStatus, PlanTask, ResponsibilityRole, Unit, UnitMapping
from app.services.plans import dispatch


def _unit(organisation_id: int, name: str) -> Unit:
    return db.session.scalars(select(Unit).where(Unit.organisation_id == organisation_id, Unit.name == name)).one()


def _task(plan: Plan, number: int) -> PlanTask:
    return next(task for task in plan.tasks if task.number == number)


@pytest.fixture
def cities(plan_2023):
    return load_cities(plan_2023.organisation)


def test_the_parser_suggests_the_tasks_that_name_the_whole_province(plan_2023):
    assert dispatch.suggested_for_cities(_task(plan_2023, 18))  # 全省计划抽检食品23万批次
    assert not all(dispatch.suggested_for_cities(task) for task in plan_2023.tasks)


def test_dispatch_gives_every_city_a_linked_plan_held_by_its_mapped_kesi(plan_2023, cities, people):
    province = plan_2023.organisation_id
    wuhan = next(city for city in cities if city.code == "wuhan")
    dispatch.remember_mapping(wuhan, dispatch.parse_mapping([
        (_unit(province, "食品协调处").id, _unit(wuhan.id, "食品安全协调科").id),
        (_unit(province, "食品抽检处").id, _unit(wuhan.id, "食品抽检科").id)]), people["dushen"])
    yichang = next(city for city in cities if city.code == "yichang")
    db.session.execute(delete(UnitMapping).where(UnitMapping.organisation_id == yichang.id))
    task18 = _task(plan_2023, 18)
    derived = dispatch.dispatch(plan_2023, [task18.id], people["dushen"])

    assert len(derived) == 17 == len(cities)
    assert {plan.organisation_id for plan in derived} == {city.id for city in cities}
    wuhan_plan = next(plan for plan in derived if plan.organisation_id == wuhan.id)
    assert wuhan_plan.dispatched_from_id == plan_2023.id
    [copy] = wuhan_plan.tasks
    assert copy.parent_task_id == task18.id and copy.text == task18.text
    # 食品协调处 leads; of the eight units 分工负责, the demo maps 食品生产处, 流通处, 餐饮处 to the same 科室.
    assert [(r.role, r.unit.name) for r in copy.responsibilities] == [
        (ResponsibilityRole.LEAD, "食品安全协调科"), (ResponsibilityRole.COOPERATING, "食品抽检科"),
        (ResponsibilityRole.COOPERATING, "稽查支队")]
    assert copy.supervision_number == "督〔2023〕1号"  # the city's own sequence
    started = db.session.scalars(select(Decomposition).where(Decomposition.plan_task_id == copy.id)).all()
    assert [d.unit.name for d in started] == ["食品安全协调科"]
    # A city without a remembered mapping gets the task, unassigned, waiting for its 科室.
    yichang_plan = next(plan for plan in derived if plan.organisation.code == "yichang")
    assert yichang_plan.tasks[0].responsibilities == []
    # The province's own plan is unchanged.
    assert db.session.scalar(select(func.count()).select_from(PlanTask)
                             .where(PlanTask.plan_id == plan_2023.id)) == len(plan_2023.tasks)


def test_refusals_change_nothing(plan_2023, cities, people):
    province = plan_2023.organisation_id
    wuhan = next(city for city in cities if city.code == "wuhan")
    plans = db.session.scalar(select(func.count()).select_from(Plan))
    with pytest.raises(ValidationFailed, match="只能对应一个科室"):
        dispatch.parse_mapping([(_unit(province, "食品抽检处").id, _unit(wuhan.id, "食品抽检科").id),
                                (_unit(province, "食品抽检处").id, _unit(wuhan.id, "办公室").id)])
    with pytest.raises(ValidationFailed, match="不是本机构的科室"):
        dispatch.remember_mapping(wuhan, {_unit(province, "食品抽检处").id: _unit(province, "办公室").id}, None)
    with pytest.raises(ValidationFailed, match="请至少选择"):
        dispatch.dispatch(plan_2023, [], people["dushen"])
    with pytest.raises(PermissionDenied):
        dispatch.dispatch(plan_2023, None, people["zhuce"])
    plan_2023.status = PlanStatus.ARCHIVED
    with pytest.raises(InvalidTransition, match="已归档"):
        dispatch.dispatch(plan_2023, [_task(plan_2023, 18).id], people["dushen"])
    plan_2023.status = PlanStatus.ACTIVE
    dispatch.dispatch(plan_2023, [_task(plan_2023, 18).id], people["dushen"])
    with pytest.raises(InvalidTransition, match="不能重复下发"):
        dispatch.dispatch(plan_2023, [_task(plan_2023, 18).id], people["dushen"])
    assert db.session.scalar(select(func.count()).select_from(Plan)) == plans + 17


def test_a_city_supervisor_cannot_dispatch_the_provinces_plan(plan_2023, cities):
    from app.models import User
    yichang_ducha = db.session.scalars(select(User).where(User.username == "yichang_ducha")).one()
    with pytest.raises(PermissionDenied):
        dispatch.dispatch(plan_2023, [_task(plan_2023, 18).id], yichang_ducha)


def test_a_city_names_the_kesi_of_an_unmapped_task_and_remembers_it(plan_2023, cities, people):
    from app.models import User

    province = plan_2023.organisation_id
    yichang = next(city for city in cities if city.code == "yichang")
    db.session.execute(delete(UnitMapping).where(UnitMapping.organisation_id == yichang.id))
    task18 = _task(plan_2023, 18)
    derived = next(p for p in dispatch.dispatch(plan_2023, [task18.id], people["dushen"])
                   if p.organisation_id == yichang.id)
    copy = derived.tasks[0]
    clerk = db.session.scalars(select(User).where(User.username == "yichang_ducha")).one()
    lead, cooperating = _unit(yichang.id, "食品安全协调科"), _unit(yichang.id, "食品抽检科")
    assert dispatch.may_assign(copy, clerk) and not dispatch.may_assign(copy, people["dushen"])
    with pytest.raises(PermissionDenied):
        dispatch.assign_units(copy, lead.id, [], people["dushen"])
    with pytest.raises(ValidationFailed, match="不是本机构的科室"):
        dispatch.assign_units(copy, _unit(province, "食品协调处").id, [], clerk)
    with pytest.raises(ValidationFailed, match="不能同时作为配合科室"):
        dispatch.assign_units(copy, lead.id, [lead.id], clerk)
    assert copy.responsibilities == []

    dispatch.assign_units(copy, lead.id, [cooperating.id], clerk)
    assert [(r.role, r.unit.name) for r in copy.responsibilities] == [
        (ResponsibilityRole.LEAD, "食品安全协调科"), (ResponsibilityRole.COOPERATING, "食品抽检科")]
    started = db.session.scalars(select(Decomposition).where(Decomposition.plan_task_id == copy.id)).all()
    assert [d.unit.name for d in started] == ["食品安全协调科"]
    assert dispatch.mapping_of(yichang.id) == {_unit(province, "食品协调处").id: lead.id}
    with pytest.raises(InvalidTransition, match="已确定牵头科室"):
        dispatch.assign_units(copy, lead.id, [], clerk)
