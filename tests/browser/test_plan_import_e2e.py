"""End to end in Chromium: 督审处 uploads the 2023 plan, resolves a new name, confirms, sees 39 tasks."""
from __future__ import annotations

import pytest

from tests.browser.test_login_e2e import sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"


def test_import_with_a_new_unit_name(page, live_server, tmp_path):
    document = tmp_path / "2023年全省市场监管工作要点.txt"
    text = PLAN_2023.read_text("utf-8").replace("(反垄断处负责)", "(反垄断处牵头,公平竞争审查处分工负责)")
    document.write_bytes(text.encode("gb18030"))

    sign_in(page, live_server, "dushen")
    page.get_by_test_id("main-nav").get_by_role("link", name="导入计划").click()
    page.get_by_label("工作要点文件").set_input_files(str(document))
    page.get_by_role("button", name="解析并预览").click()

    assert page.get_by_test_id("task-count").inner_text() == "39"
    assert page.locator("mark.duban-target").count() >= 8
    page.get_by_role("button", name="确认导入").click()
    assert "请为“公平竞争审查处”选择处理方式。" in page.locator(".invalid-feedback").first.inner_text()

    page.get_by_label("公平竞争审查处").select_option(label="新建单位(处室)")
    page.screenshot(path=str(ROOT / "test-artifacts" / "plan_import_review.png"), full_page=False)
    page.get_by_role("button", name="确认导入").click()

    assert "共 39 项任务" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("plan-task").count() == 39
    task26 = page.get_by_test_id("plan-task").nth(25)
    assert "牵头:反垄断处" in task26.inner_text() and "配合:公平竞争审查处" in task26.inner_text()
