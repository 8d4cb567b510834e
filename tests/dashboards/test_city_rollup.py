"""汇总: after two cities report on the dispatched task 18, the provincial task and /dashboards/cities show their
progress and the summed actual; the province's own figures do not change."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.demo import load_cities
from app.extensions import db
from app.models import Organisation, PlanTask, ReviewDecision, Role, Unit, User, WorkItem
from app.services.dashboards import cities as city_dashboard
from app.services.dashboards import overview
from app.services.infrastructure import accounts
from app.services.lifecycle import decomposition, reporting
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.plans import dispatch
from app.services.timing.workdays import BEIJING
from tests.conftest import login
from tests.snapshots import seeded


def _step(form_key: str, task_id: int) -> WorkItem:
    return next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key,
                                                                     WorkItem.state == "open"))
                if i.context.get("plan_task_id") == task_id)


def _city_people(city: Organisation) -> tuple[User, User]:
    """The city's 食品安全协调科 liaison and 督查 clerk (办公室)."""
    def unit(name: str) -> Unit:
        return db.session.scalars(select(Unit).where(Unit.organisation_id == city.id, Unit.name == name)).one()
    liaison = accounts.create_user(f"{city.code}_spxt", "联络员", "duban@2023", [Role.LIAISON],
                                   unit=unit("食品安全协调科"), must_change_password=False)
    clerk = accounts.find_user(f"{city.code}_ducha") or accounts.create_user(
        f"{city.code}_ducha", "督查", "duban@2023", [Role.SUPERVISOR], unit=unit("办公室"), must_change_password=False)
    return liaison, clerk


def _report(task: PlanTask, actual: Decimal, app) -> None:
    """The city carries its copy of task 18 through decomposition, one report and its approval."""
    liaison, clerk = _city_people(task.plan.organisation)
    decomposition.submit_decomposition(_step("decomposition", task.id), [
        MilestonePlan("全市抽检", "抽检报告", date(2023, 12, 31), liaison.id,
                      target_ids=tuple(t.id for t in task.targets), past_date_reason="补录")], None, liaison)
    decomposition.review_decomposition(_step("decomposition_review", task.id), ReviewDecision.APPROVE, None, clerk)
    first = task.targets[0]
    policy = UploadPolicy(Path(app.config["ATTACHMENT_DIR"]), 1024)
    reporting.submit_report(_step("milestone_report", task.id), "已完成抽检", 100, {first.id: actual}, [], policy,
                            liaison)
    reporting.review_report(_step("report_review", task.id), ReviewDecision.APPROVE, None, None, clerk)


def datetime_today() -> date:
    from datetime import datetime
    return datetime.now(BEIJING).date()


@seeded
def dispatched_2023(plan_2023):
    """The 2023 plan's task 18 (全省计划抽检食品23万批次) dispatched to the 17 bureaus, committed."""
    load_cities(plan_2023.organisation)
    dushen = accounts.find_user("dushen")
    task18 = next(task for task in plan_2023.tasks if task.number == 18)
    return dispatch.dispatch(plan_2023, [task18.id], dushen)[0]


@pytest.fixture
def reported(app, plan_2023, dispatched_2023):
    """武汉 and 宜昌 have reported on task 18 and their 督查 staff approved: 15000 and 9000 批次."""
    task18 = next(task for task in plan_2023.tasks if task.number == 18)
    copies = {task.plan.organisation.code: task for task in db.session.scalars(
        select(PlanTask).where(PlanTask.parent_task_id == task18.id))}
    _report(copies["wuhan"], Decimal(15000), app)
    _report(copies["yichang"], Decimal(9000), app)
    db.session.commit()
    return task18


def test_each_city_receives_an_even_share_of_a_count_and_a_rate_unchanged(plan_2023, dispatched_2023):
    task18 = next(task for task in plan_2023.tasks if task.number == 18)
    copy = next(task for task in db.session.scalars(select(PlanTask).where(PlanTask.parent_task_id == task18.id)))
    shares = {t.phrase: (t.value, t.unit) for t in copy.targets}
    provincial = {t.phrase: (t.value, t.unit) for t in task18.targets}
    count = next(phrase for phrase, (_, unit) in provincial.items() if unit == "批次")
    assert shares[count][0] == 13530 and shares[count][0] * 17 >= provincial[count][0]  # ⌈230000 / 17⌉
    rates = [phrase for phrase, (_, unit) in provincial.items() if "%" in unit or "/" in unit]
    assert rates and all(shares[phrase] == provincial[phrase] for phrase in rates)


def test_the_provincial_task_sums_the_cities_approved_actuals(reported):
    province_before = overview.totals(reported.plan_id, datetime_today())
    rollup = city_dashboard.task_rollup(reported, datetime_today(), _now())
    assert len(rollup.cities) == 17
    count = next(t for t in rollup.targets if t.unit == "批次")
    assert count.cities_sum == 24000 and count.reporting == 2 and count.total == 24000 and not count.rate
    assert count.attained == 1  # 武汉 reached its 13530; 宜昌 did not
    rows = {row.organisation.code: row for row in rollup.cities}
    assert rows["wuhan"].approved == 1 == rows["wuhan"].milestones and rows["huangshi"].milestones == 0
    # The province's own figures are the province's: the cities' milestones are not among them.
    assert overview.totals(reported.plan_id, datetime_today()) == province_before


def test_the_pages_show_the_cities(client, reported):
    login(client, "dushen")
    page = client.get(f"/tasks/{reported.id}").get_data(as_text=True)
    assert 'data-testid="city-rollup"' in page and "24000 批次" in page
    ranking = client.get("/dashboards/cities").get_data(as_text=True)
    assert ranking.count('data-testid="city-row"') == 17
    first_two = [ranking.index(f'data-city="{code}"') for code in ("wuhan", "yichang")]
    others = ranking.index('data-city="huangshi"')
    assert max(first_two) < others  # the two with a milestone due have a rate; the others have none yet
    city = client.application.test_client()
    login(city, "wuhan")
    assert city.get("/dashboards/cities").status_code == 403
    assert city.get(f"/tasks/{reported.id}").status_code == 403


def _now():
    from app.models.base import utcnow
    return utcnow()


def test_a_city_dashboard_opens_from_the_ranking(client, reported):
    wuhan = db.session.scalars(select(Organisation).where(Organisation.code == "wuhan")).one()
    login(client, "dushen")
    response = client.get(f"/dashboards/?org={wuhan.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "食品安全协调科" in page  # 武汉's 科室, not the province's 处室
    province = client.get("/dashboards/").get_data(as_text=True)
    assert "食品安全协调科" not in province and "食品协调处" in province
    city = client.application.test_client()
    login(city, "yichang_ducha")
    assert city.get(f"/dashboards/?org={wuhan.id}").status_code == 403
