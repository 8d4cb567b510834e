"""上下联动 in Chromium: 督审处 dispatches the 2023 plan to the 17 bureaus; after two cities report, the
provincial task and /dashboards/cities show their progress and summed actual; 武汉's liaison sees only 武汉's."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.demo import load_cities, load_demo
from app.extensions import db
from app.models import Plan, PlanTask, User
from app.services.plans import plan_import
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_login_e2e import sign_in
from tests.conftest import PLAN_2023, empty_all_tables, make_test_app
from tests.dashboards.test_city_rollup import _report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def province(migrated_app, database_url, snapshots) -> Iterator[tuple[str, object, int]]:
    """The demo province with its 2023 plan and the 17 bureaus, served on a free port."""
    app = make_test_app(database_url)
    with app.app_context():
        snapshots.reset()
        org = load_demo()
        dushen = db.session.scalars(select(User).where(User.username == "dushen")).one()
        draft = plan_import.start_import(org, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        plan_id = plan_import.confirm_import(draft, {}, dushen).id
        load_cities(org)
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, plan_id
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        empty_all_tables()


def _two_cities_report(app, plan_id: int) -> int:
    """武汉 and 宜昌 carry their copy of task 18 through one approved report; the provincial task's id."""
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        task18 = next(task for task in plan.tasks if task.number == 18)
        copies = {task.plan.organisation.code: task for task in db.session.scalars(
            select(PlanTask).where(PlanTask.parent_task_id == task18.id))}
        assert len(copies) == 17
        _report(copies["wuhan"], Decimal(15000), app)
        _report(copies["yichang"], Decimal(9000), app)
        db.session.commit()
        result = task18.id
        db.session.remove()
        return result


def test_dispatch_roll_up_and_a_city_liaison(page, browser, province):
    base, app, plan_id = province
    sign_in(page, base, "dushen")
    page.goto(f"{base}/plans/{plan_id}")
    page.get_by_test_id("dispatch-link").click()
    assert page.locator('[data-testid="dispatch-form"] input[type=checkbox]:checked').count() >= 1
    page.get_by_role("button", name="下发各市州").click()
    page.wait_for_load_state("load")
    assert "已下发至 17 个市州局" in page.get_by_test_id("dispatched-to").inner_text()

    task18 = _two_cities_report(app, plan_id)
    page.goto(f"{base}/tasks/{task18}")
    rollup = page.get_by_test_id("city-rollup")
    assert rollup.get_by_test_id("rollup-city").count() == 17
    assert "24000 批次" in rollup.get_by_test_id("rollup-targets").inner_text()

    page.get_by_role("link", name="市州排名").click()
    page.locator("[data-chart][data-rendered=true]").wait_for()
    rows = page.get_by_test_id("city-row")
    assert rows.count() == 17
    assert {rows.nth(0).get_attribute("data-city"), rows.nth(1).get_attribute("data-city")} == {"wuhan", "yichang"}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cities-dashboard.png"), full_page=True)
    rows.nth(0).get_by_role("link").click()
    page.wait_for_load_state("load")
    assert "org=" in page.url and "食品安全协调科" in page.content()

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    liaison = context.new_page()
    try:
        sign_in(liaison, base, "wuhan")
        liaison.goto(f"{base}/my-tasks")
        text = liaison.locator("main").inner_text()
        assert "全省计划抽检" in text or "守查保" in text
        assert liaison.goto(f"{base}/tasks/{task18}").status == 403
        assert liaison.goto(f"{base}/dashboards/cities").status == 403
    finally:
        context.close()
