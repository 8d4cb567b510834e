"""End to end in Chromium: 督审处 imports an .xlsx task table, maps its task column, unticks a target, confirms."""
from __future__ import annotations

import pytest

from tests.browser.test_login_e2e import sign_in
from tests.conftest import PLAN_2023, ROOT
from tests.task_tables import HEADER, xlsx_bytes

pytestmark = pytest.mark.browser


def test_an_xlsx_task_table_through_the_preview(page, live_server, tmp_path):
    table = tmp_path / "2023年重点工作任务分解表.xlsx"
    table.write_bytes(xlsx_bytes(header=["序号", "工作说明", *HEADER[2:]]))  # no header the system reads as 任务

    sign_in(page, live_server, "dushen")
    page.get_by_test_id("main-nav").get_by_role("link", name="导入计划").click()
    page.get_by_label("工作要点文件").set_input_files(str(table))
    page.get_by_role("button", name="解析并预览").click()

    assert "没有“任务”列" in page.get_by_test_id("table-errors").inner_text()
    page.get_by_test_id("column-mapping").get_by_label("任务").select_option(label="第2列:工作说明")
    page.get_by_role("button", name="按此列对应重新预览").click()

    assert page.get_by_test_id("table-errors").count() == 0
    assert page.get_by_test_id("preview-task").count() == 3
    first = page.get_by_test_id("preview-task").first
    assert "2023-06-30" in first.get_by_test_id("suggested-due").inner_text()
    first.get_by_label("新增经营主体不少于50万户").uncheck()
    page.get_by_test_id("preview-task").nth(2).get_by_label("指标值").fill("25")
    page.screenshot(path=str(ROOT / "test-artifacts" / "plan_table_import_review.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()

    assert "共 3 项任务" in page.locator(".alert-success").inner_text()
    tasks = page.get_by_test_id("plan-task")
    assert tasks.count() == 3
    assert "牵头:注册处" in tasks.first.inner_text() and "量化指标" not in tasks.first.inner_text()
    assert "量化指标: 25项" in tasks.nth(2).inner_text()
    assert "完成时限:2023年06月30日" in tasks.first.inner_text()
    page.screenshot(path=str(ROOT / "test-artifacts" / "plan_table_imported.png"), full_page=True)


def test_a_revised_plan_is_a_change_set_applied_to_the_plan(page, live_server, tmp_path):
    document = tmp_path / "2023年全省市场监管工作要点(修订).txt"
    document.write_bytes(PLAN_2023.read_text("utf-8").replace("23万批次", "25万批次").encode("utf-8"))

    sign_in(page, live_server, "dushen")
    for upload in (PLAN_2023, document):  # the plan as issued, then its revision
        page.get_by_test_id("main-nav").get_by_role("link", name="导入计划").click()
        page.get_by_label("工作要点文件").set_input_files(str(upload))
        page.get_by_role("button", name="解析并预览").click()
        if upload == PLAN_2023:
            page.get_by_role("button", name="确认导入").click()
            assert "共 39 项任务" in page.locator(".alert-success").inner_text()

    assert page.get_by_test_id("change-count").inner_text() == "1"
    change = page.get_by_test_id("change")
    assert "第 18 项" in change.inner_text() and "230000批次" in change.inner_text()
    assert "250000批次" in change.inner_text()
    change.get_by_label("第18项修改原因").fill("省政府调整了食品抽检任务量")
    page.screenshot(path=str(ROOT / "test-artifacts" / "plan_revision_change_set.png"), full_page=False)
    page.get_by_role("button", name="应用修订").click()

    assert "共 1 项修改" in page.locator(".alert-success").inner_text()
    page.get_by_test_id("main-nav").get_by_role("link", name="工作计划").click()
    assert page.get_by_role("link", name="2023年全省市场监管工作要点").count() == 1
