"""The dashboards in Chromium: charts drawn (not blank), tables one click away; screenshots kept in test-artifacts/."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app.demo import load_demo
from app.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_login_e2e import sign_in
from tests.conftest import empty_all_tables, make_test_app
from tests.dashboard_scenario import AS_OF, build_scenario

pytestmark = pytest.mark.browser

#: Counts the painted pixels of every chart canvas; a blank canvas paints none.
PAINTED = """() => Array.from(document.querySelectorAll('[data-chart] canvas')).map(canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
})"""
SERIES = """() => Array.from(document.querySelectorAll('[data-chart]'))
  .map(el => echarts.getInstanceByDom(el).getOption().series.length)"""


@pytest.fixture(scope="module")
def dashboard_server(migrated_app, database_url, snapshots) -> Iterator[tuple[str, object]]:
    """Duban with the demo data and the dashboard scenario, served on a free port."""
    app = make_test_app(database_url)
    with app.app_context():
        snapshots.reset()
        scenario = build_scenario(load_demo())
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", scenario
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        empty_all_tables()


def _charts_drawn(page, expected: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('[data-chart][data-rendered=true]').length === {expected}")
    assert all(count > 500 for count in page.evaluate(PAINTED)), page.evaluate(PAINTED)
    assert all(series > 0 for series in page.evaluate(SERIES))


def _shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def test_supervision_dashboard(page, dashboard_server):
    base, scenario = dashboard_server
    sign_in(page, base, "dushen")
    page.goto(f"{base}/dashboards/?plan_id={scenario.plan_id}&as_of={AS_OF}")
    _charts_drawn(page, 5)
    assert page.get_by_test_id("total-on-time").inner_text() == "33.3%"
    _shoot(page, "supervision")
    page.get_by_test_id("card-states").get_by_role("button", name="表格").click()
    assert page.get_by_test_id("state-table").is_visible()
    assert "分解中\t2" in page.get_by_test_id("state-table").inner_text()
    page.get_by_test_id("card-states").get_by_role("button", name="图表").click()
    assert not page.get_by_test_id("state-table").is_visible()


def test_leader_dashboard_lands_without_clicking(page, dashboard_server):
    base, scenario = dashboard_server
    sign_in(page, base, "leader")
    assert page.get_by_role("heading", name="领导看板").is_visible()
    page.goto(f"{base}/dashboards/leader?plan_id={scenario.plan_id}&as_of={AS_OF}")
    _charts_drawn(page, 2)
    assert "注册处(1)" in page.get_by_test_id("behind").inner_text()
    assert "节点M1b" in page.get_by_test_id("leader-overdue").inner_text()
    _shoot(page, "leader")


def test_unit_page(page, dashboard_server):
    base, scenario = dashboard_server
    sign_in(page, base, "zhuce")
    page.goto(f"{base}/dashboards/units/{scenario.zhuce_id}?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert page.get_by_test_id("unit-overdue").inner_text() == "1"
    assert "节点M1b" in page.get_by_test_id("unit-milestone-table").inner_text()
    _shoot(page, "unit")
