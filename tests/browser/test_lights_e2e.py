"""The lights in a real browser: the legend and a light per task and per work item, the reason on hover."""
from __future__ import annotations

from tests.browser.test_lifecycle_e2e import import_plan, person
from tests.conftest import ROOT


def test_lights_on_the_plan_page_and_the_inbox(browser, live_server):
    dushen = person(browser, live_server, "dushen")
    import_plan(dushen, live_server)

    legend = dushen.get_by_test_id("lights-legend")
    assert [legend.locator(".badge").nth(n).inner_text() for n in range(4)] == ["红", "黄", "蓝", "绿"]
    lights = dushen.get_by_test_id("light")
    assert lights.count() == 39
    first = lights.first
    assert first.get_attribute("data-light") == "green"
    assert first.get_attribute("title").startswith("「分解任务」正常推进（应于 ")
    assert first.locator("[aria-hidden=true]").inner_text() == "绿"
    assert first.locator(".visually-hidden").inner_text() == "绿灯：" + first.get_attribute("title")
    first.hover()
    dushen.screenshot(path=str(ROOT / "test-artifacts" / "lights_plan_page.png"))

    zhuce = person(browser, live_server, "zhuce")
    zhuce.goto(f"{live_server}/work/inbox")
    row = zhuce.locator("tr", has_text="督〔2023〕5号")
    assert row.get_by_test_id("light").get_attribute("title").startswith("正常推进（应于 ")
    assert zhuce.get_by_test_id("light").count() == zhuce.locator("tbody tr").count() == 3
    zhuce.screenshot(path=str(ROOT / "test-artifacts" / "lights_inbox.png"), full_page=True)
