"""Home pages in Chromium on the demo story: each role lands on what it must do today (a screenshot each,
test-artifacts/home-<role>.png); the navbar holds one line at 1366 px; 待办 reads as a list on a phone."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_login_e2e import sign_in
from tests.browser.test_search_e2e import demo_server  # noqa: F401

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def new_page(browser, viewport, **options):
    return browser.new_context(locale="zh-CN", viewport=viewport, **options).new_page()


def count(page, key: str) -> int:
    return int(page.get_by_test_id(f"home-{key}-count").inner_text())


def card(page, key: str) -> str:
    return page.get_by_test_id(f"home-{key}").inner_text()


def check_dushen(page, year):
    waiting = card(page, "waiting")
    assert "待审核(共 3 项)" in waiting and "审核整改方案" in waiting and "督审处审核 2" in waiting
    assert f"督〔{year}〕19号" in waiting and "节点1「建成特种设备企业主体责任信息化平台」" in waiting
    assert "科信处" in card(page, "late-units") and "逾期节点 1" in card(page, "late-units")
    assert count(page, "extensions") == 0 and "暂无待审批的延期申请" in card(page, "extensions")
    assert page.get_by_test_id("home-overdue").count() == 0   # its own steps are reviews: listed once, above


def check_zhuce(page, year):
    assert page.get_by_test_id("home-total").inner_text() == "2"
    assert count(page, "returned") == 1 and count(page, "overdue") == 0 and count(page, "due_soon") == 1
    returned = card(page, "returned")
    assert f"督〔{year}〕7号" in returned and "「“一业一证”改革扩展到25个行业」" in returned
    assert "报送已被退回修改" in returned
    assert f"督〔{year}〕6号" in card(page, "due_soon")


def check_zhuce_head(page, year):
    assert page.get_by_test_id("home-total").inner_text() == "0"
    assert [count(page, key) for key in ("overdue", "returned", "due_soon")] == [0, 0, 0]
    # Nothing at the head's own step, but the unit's milestones are watched: the returned report, with its reason.
    assert count(page, "unit-returned") == 1 and count(page, "unit-due-soon") == 1
    assert f"督〔{year}〕7号" in card(page, "unit-returned") and "退回意见" in card(page, "unit-returned")


def check_kexin(page, year):
    assert page.get_by_test_id("home-total").inner_text() == "4"
    assert count(page, "overdue") == 1 and count(page, "returned") == 1
    assert f"督〔{year}〕23号" in card(page, "overdue") and "已逾期 5 个工作日" in card(page, "overdue")
    assert f"督〔{year}〕24号" in card(page, "returned") and "分解任务" in card(page, "returned")


def check_leader(page, year):
    assert page.locator("h1").first.inner_text().startswith("领导看板")
    assert "逾期最久的1项" in page.content() and "23. 加快推进“三网一中心”建设" in page.content()


def check_admin(page, year):
    assert "用户 6 个" in card(page, "accounts") and "单位 52 个" in card(page, "accounts")
    assert card(page, "audit").count("·") >= 10


CHECKS = {"dushen": check_dushen, "zhuce": check_zhuce, "zhuce_head": check_zhuce_head, "kexin": check_kexin,
          "leader": check_leader, "admin": check_admin}


@pytest.mark.parametrize("username", list(CHECKS))
def test_each_role_lands_on_what_it_must_do_and_the_navbar_holds_one_line(browser, demo_server, username):  # noqa: F811
    base, year = demo_server
    page = new_page(browser, DESKTOP)
    sign_in(page, base, username)
    page.goto(f"{base}/")
    CHECKS[username](page, year)
    for link in page.get_by_test_id("home-item").all():   # every listed step opens its form
        assert re.fullmatch(r"/work/items/\d+", link.get_attribute("href"))
    # One line at 1366 px: every entry of the bar at the same height, no label broken, the bar one row high.
    tops = page.eval_on_selector_all(".duban-navbar .navbar-nav > li, .duban-navbar form, .duban-navbar .btn",
                                     "els => els.map(e => Math.round(e.getBoundingClientRect().top / 10))")
    assert len(set(tops)) <= 2, tops   # buttons sit a few pixels lower than links, never a row lower
    assert page.locator(".duban-navbar").bounding_box()["height"] < 64
    heights = page.eval_on_selector_all(".duban-navbar .nav-link", "els => els.map(e => e.offsetHeight)")
    assert max(heights) < 48, heights
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{username}.png"), full_page=True)
    # Narrower, down to where the bar collapses (1200 px): still one line, nothing pushed off screen.
    page.set_viewport_size({"width": 1200, "height": 768})
    assert page.locator(".duban-navbar").bounding_box()["height"] < 64
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    page.context.close()


def test_the_inbox_reads_as_a_list_on_a_phone(browser, demo_server):  # noqa: F811
    base, _year = demo_server
    page = new_page(browser, PHONE, is_mobile=True)
    sign_in(page, base, "kexin")
    page.goto(f"{base}/work/inbox")
    rows = page.get_by_test_id("work-items").locator("tbody tr")
    assert rows.count() == 4
    assert not page.get_by_test_id("work-items").locator("thead").is_visible()
    for n in range(rows.count()):
        row = rows.nth(n)
        assert row.bounding_box()["width"] > 330            # the row takes the phone's width
        title = row.locator("td[data-label=任务] a")
        assert title.bounding_box()["width"] > 200          # a title reads as words, not two characters
        due = row.get_by_test_id("item-due")
        assert due.is_visible() and re.search(r"\d{4}-\d{2}-\d{2}", due.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]   # nothing off screen
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-phone.png"), full_page=True)
    page.context.close()


def test_a_file_over_the_limit_is_refused_before_sending_and_the_typed_text_stays(browser, demo_server):  # noqa: F811
    base, _year = demo_server
    page = new_page(browser, DESKTOP)
    sign_in(page, base, "zhuce")
    page.goto(f"{base}/")
    page.get_by_test_id("home-returned").get_by_test_id("home-item").first.click()
    page.wait_for_load_state("load")
    form_url = page.url
    assert "每次最多 20 个文件,合计不超过 10 MB" in page.get_by_test_id("upload-limits").inner_text()
    page.locator("textarea[name=progress]").fill("已扩展到25个行业,清单见附件")
    page.locator("input[name=attachments]").set_input_files(
        files=[{"name": "行业清单.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * (10 * 1024 * 1024)}])
    page.locator("[data-testid=step-form] [name=submit]").click()
    refused = page.get_by_test_id("upload-too-large")
    refused.wait_for()
    assert "超过了 10 MB 的上限,尚未提交" in refused.inner_text()
    assert page.url == form_url
    assert page.locator("textarea[name=progress]").input_value() == "已扩展到25个行业,清单见附件"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-too-large.png"), full_page=True)
    page.context.close()
