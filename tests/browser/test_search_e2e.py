"""Search and lists in Chromium: 督审处 finds task 18 from the navbar box by a two-character word and by its
number in one step; a hostile query is shown as text; a liaison does not find what their unit may not see;
督审处 narrows the 催办 list by unit and urges the ticked items at once."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app import demo_activity
from app.demo import load_demo
from app.extensions import db
from tests.browser.conftest import ARTIFACTS, bodies_closed_early
from tests.browser.test_login_e2e import sign_in
from tests.conftest import empty_all_tables, make_test_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(migrated_app, database_url, snapshots) -> Iterator[tuple[str, int]]:
    """Duban with `duban demo`'s data (the plan of this year and its activity), served on a free port."""
    app = make_test_app(database_url)
    with app.app_context():
        snapshots.reset()
        plan = demo_activity.load_activity(load_demo())
        assert plan is not None
        year = plan.year
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, bodies_closed_early(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", year
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        empty_all_tables()


def search_from_navbar(page, query: str) -> None:
    box = page.get_by_test_id("search-box")
    box.get_by_role("searchbox").fill(query)
    box.get_by_role("button", name="检索").click()
    page.wait_for_load_state("load")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_supervisor_finds_task_18_by_word_and_by_number(page, demo_server):
    base, year = demo_server
    sign_in(page, base, "dushen")

    search_from_navbar(page, "抽检")
    hits = page.get_by_test_id("search-hit")
    task_18 = page.locator("[data-testid=search-hit][data-kind=task]", has_text=f"督〔{year}〕18号")
    assert task_18.count() == 1
    assert task_18.locator("mark", has_text="抽检").count() >= 1
    shoot(page, "search-results-抽检")

    search_from_navbar(page, f"督〔{year}〕18号")
    first = hits.first
    assert first.get_attribute("data-kind") == "task" and f"督〔{year}〕18号" in first.inner_text()
    shoot(page, "search-results-number")
    first.click()
    page.wait_for_load_state("load")
    assert "/tasks/" in page.url and "守查保" in page.content()


def test_a_hostile_query_is_text_and_a_liaison_sees_only_their_units_work(page, demo_server):
    base, year = demo_server
    sign_in(page, base, "zhuce")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    search_from_navbar(page, '"><img src=x onerror=alert(1)> NEAR * %_')
    assert dialogs == [] and page.locator("main img").count() == 0
    assert page.get_by_test_id("search-empty").is_visible()

    search_from_navbar(page, "抽检")
    assert page.locator("[data-testid=search-hit]", has_text=f"督〔{year}〕18号").count() == 0
    search_from_navbar(page, "注册处")
    assert page.get_by_test_id("search-hit").count() > 0


def test_supervisor_filters_the_urging_list_and_urges_ticked_items_at_once(page, demo_server):
    base, _ = demo_server
    sign_in(page, base, "dushen")
    page.goto(f"{base}/urging")
    page.get_by_label("单位").select_option(label="科信处")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("load")
    assert "unit=" in page.url
    rows = page.locator("[data-testid=urgeable-items] tbody tr")
    assert rows.count() >= 2 and all("科信处" in rows.nth(i).inner_text() for i in range(rows.count()))
    checks = page.get_by_test_id("urge-check")
    checks.nth(0).check()
    checks.nth(1).check()
    page.get_by_label("批量催办", exact=False).fill("请本周内报送,逾期将通报")
    page.get_by_role("button", name="催办勾选事项").click()
    page.wait_for_load_state("load")
    assert "已催办 2 项" in page.locator(".alert-success").inner_text()
    assert "unit=" in page.url
    shoot(page, "urging-bulk")
