"""Task tables through the real pages: upload, map columns, untick or correct targets, confirm, decompose."""
from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from sqlalchemy import func, select

from app.extensions import db
from app.models import Plan, PlanTask
from tests.conftest import PLAN_2023, csrf_token
from tests.task_tables import csv_text, xlsx_bytes
from tests.web.test_plans import upload
from tests.web.test_work import as_user, open_item


def review_fields(html: str) -> dict[str, str]:
    """Every target input of the review page with its value, as a browser would send it."""
    fields = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1).startswith("target_") and (" checked " in tag or "checkbox" not in tag):
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    fields.update((name, unescape(value)) for name, value in re.findall(
        r'<select[^>]*name="(target_\d+_\d+_comparator)".*?<option selected value="([^"]*)"', html, re.S))
    return fields


def test_an_xlsx_table_is_previewed_and_imported_with_a_target_unticked_and_one_corrected(signed_in):
    client = signed_in("dushen")
    review_url = upload(client, xlsx_bytes(), "分解表.xlsx").headers["Location"]
    html = client.get(review_url).get_data(as_text=True)
    assert 'data-testid="column-mapping"' in html and "第2列:工作任务" in html
    assert html.count('data-testid="preview-task"') == 3 and "建议完成时限" in html and "2023-06-30" in html
    assert html.count('data-testid="preview-target"') == 2
    fields = review_fields(html)
    assert fields["target_1_0_value"] == "500000" and fields["target_3_0_unit"] == "项"
    del fields["target_1_0_keep"]  # unticked
    fields["target_3_0_value"] = "25"
    done = client.post(review_url, data={"csrf_token": csrf_token(client, review_url), "targets_shown": "1",
                                         **fields})
    assert done.status_code == 302
    tasks = {t.number: t for t in db.session.scalars(select(PlanTask))}
    assert tasks[1].targets == [] and [t.value for t in tasks[3].targets] == [Decimal("25")]
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "完成时限:2023年06月30日(“6月底前”)" in detail


def test_a_target_value_that_is_no_number_is_refused_next_to_it(signed_in):
    client = signed_in("dushen")
    review_url = upload(client, xlsx_bytes(), "分解表.xlsx").headers["Location"]
    fields = review_fields(client.get(review_url).get_data(as_text=True))
    fields["target_1_0_value"] = "五十万"
    page = client.post(review_url, data={"csrf_token": csrf_token(client, review_url), "targets_shown": "1",
                                         **fields}).get_data(as_text=True)
    assert "指标值应为数字,如 35 或 0.5。" in page and 'value="五十万"' in page
    assert db.session.scalar(select(func.count(Plan.id))) == 0


def test_the_clerk_maps_the_task_column_and_errors_block_until_then(signed_in):
    client = signed_in("dushen")
    data = csv_text(header=["序号", "说明", "牵头单位", "配合单位", "时限", "备注"]).encode("gb18030")
    review_url = upload(client, data, "分解表.csv").headers["Location"]
    html = client.get(review_url).get_data(as_text=True)
    assert 'data-testid="table-errors"' in html and "没有“任务”列" in html
    refused = client.post(review_url, data={"csrf_token": csrf_token(client, review_url)}).get_data(as_text=True)
    assert "表格中还有需要修改的问题" in refused and db.session.scalar(select(func.count(Plan.id))) == 0
    columns_url = review_url + "/columns"
    mapped = client.post(columns_url, data={
        "csrf_token": csrf_token(client, review_url), "column_number": "0", "column_task": "1", "column_lead": "2",
        "column_cooperating": "3", "column_deadline": "4", "column_target": ""}, follow_redirects=True)
    html = mapped.get_data(as_text=True)
    assert "已按新的列对应重新解析表格。" in html and 'data-testid="table-errors"' not in html
    assert html.count('data-testid="preview-task"') == 3
    bad = client.post(columns_url, data={"csrf_token": csrf_token(client, review_url), "column_task": "7"},
                      follow_redirects=True).get_data(as_text=True)
    assert "所选的列在表格中不存在,请重新选择。" in bad and bad.count('data-testid="preview-task"') == 3
    assert client.post(review_url, data={"csrf_token": csrf_token(client, review_url)}).status_code == 302


def test_decomposition_starts_from_the_suggested_due_date(app, signed_in):
    client = signed_in("dushen")
    review_url = upload(client, xlsx_bytes(), "分解表.xlsx").headers["Location"]
    assert client.post(review_url, data={"csrf_token": csrf_token(client, review_url)}).status_code == 302
    task = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    zhuce = as_user(app, "zhuce")
    page = zhuce.get(open_item(zhuce, "decomposition", task)).get_data(as_text=True)
    assert "计划要求的完成时限:2023年06月30日(文中写作“6月底前”)" in page
    assert re.search(r'name="milestones-0-due_date"[^>]*value="2023-06-30"', page)



def test_a_revised_plan_is_shown_as_a_change_set_and_applied_to_the_plan(signed_in, plan_2023):
    client = signed_in("dushen")
    text = PLAN_2023.read_text("utf-8").replace("23万批次", "25万批次")
    review_url = upload(client, text.encode("gb18030"), "2023年工作要点(修订).txt").headers["Location"]
    html = client.get(review_url).get_data(as_text=True)
    assert 'data-testid="change-count">1<' in html and html.count('data-testid="change"') == 1
    assert "230000批次" in html and "250000批次" in html and 'data-testid="preview-task"' not in html
    refused = client.post(review_url, data={"csrf_token": csrf_token(client, review_url)}).get_data(as_text=True)
    assert "请为每项修改填写原因(缺少第18项)。" in refused
    done = client.post(review_url, data={"csrf_token": csrf_token(client, review_url),
                                         "revision_note": "省政府调整了抽检任务量"})
    assert done.headers["Location"].endswith(f"/plans/{plan_2023.id}")
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已按修订版修改计划《2023年全省市场监管工作要点》,共 1 项修改。" in detail
    assert db.session.scalar(select(func.count(Plan.id))) == 1
    task18 = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == plan_2023.id, PlanTask.number == 18))
    assert task18.targets[0].value == Decimal("250000")
    history = client.get(f"/tasks/{task18.id}").get_data(as_text=True)
    assert "随计划修订修改(原因:省政府调整了抽检任务量)" in history


def test_a_hostile_table_upload_is_refused_on_the_page_and_leaves_no_draft(signed_in):
    from app.models import PlanImportDraft
    from tests.unit.test_plan_parser__tables import _bomb

    client = signed_in("dushen")
    hostile = ((_bomb(), "bomb.xlsx", "解压后过大"), (bytes(range(256)) * 8, "a.csv", "二进制"),
               (b"PK\x03\x04 broken", "a.xlsx", "压缩包已损坏"))
    for data, name, message in hostile:
        response = upload(client, data, name)
        assert response.status_code in (200, 400) and message in response.get_data(as_text=True), name
    assert db.session.scalar(select(func.count(PlanImportDraft.id))) == 0
