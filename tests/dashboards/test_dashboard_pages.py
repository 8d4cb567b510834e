"""The dashboard pages show the scenario's numbers; access follows the roles; downloads are served."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from app.extensions import db
from tests.conftest import login
from tests.dashboard_scenario import AS_OF, build_scenario


@pytest.fixture
def scenario(demo):
    built = build_scenario(demo)
    db.session.commit()
    return built


def _get(client, url):
    response = client.get(url)
    try:
        return response.status_code, response.get_data(as_text=True), response.headers
    finally:
        response.close()


def _total(html: str, key: str) -> str:
    return re.search(rf'data-testid="total-{key}">([^<]*)<', html).group(1)


def test_supervision_dashboard_shows_the_scenario(signed_in, scenario):
    client = signed_in("dushen")
    status, html, _ = _get(client, f"/dashboards/?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert status == 200
    keys = ("tasks", "closed", "milestones", "approved", "overdue", "due-soon", "on-time")
    assert [_total(html, k) for k in keys] == [
        "4", "1", "5", "2", "1", "1", "33.3%"]
    assert 'data-state="decomposing">2<' in html
    assert "节点M1b" in html and "材料不全" in html and "抽检食品23万批次" in html and "150000 批次" in html
    assert "43.5%" in html and 'id="option-weekly"' in html
    assert '另有已退回报送 150000 批次' in html   # the returned report shows as such, never as the actual


def test_filters_and_bad_input(signed_in, scenario):
    client = signed_in("dushen")
    status, html, _ = _get(client, f"/dashboards/?plan_id={scenario.plan_id}&as_of={AS_OF}&unit={scenario.kexin_id}")
    assert status == 200 and _total(html, "tasks") == "3"
    status, html, _ = _get(client, f"/dashboards/?plan_id={scenario.plan_id}&state=closed&as_of={AS_OF}")
    assert _total(html, "milestones") == "1"
    status, html, _ = _get(client, f"/dashboards/?plan_id={scenario.plan_id}&as_of=2023-13-40")
    assert status == 400 and "统计日期格式" in html
    assert _get(client, f"/dashboards/?plan_id={scenario.plan_id}&state=nonsense")[0] == 400


def test_leader_dashboard_shows_who_is_behind(signed_in, scenario):
    client = signed_in("leader")
    status, html, _ = _get(client, f"/dashboards/leader?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert status == 200
    assert "有逾期节点的单位:</strong>注册处(1)" in html
    behind = re.search(r'data-testid="behind">(.*?)</div>', html, re.S).group(1)
    assert "优化营商环境" in behind and "强化质量安全" not in behind
    ranking = re.search(r'data-testid="unit-rank-table">(.*?)</table>', html, re.S).group(1)
    assert ranking.index("注册处") < ranking.index("科信处") and "50%" in ranking


def test_leader_home_lands_on_the_leader_dashboard(signed_in, scenario):
    client = signed_in("leader")
    status, html, _ = _get(client, f"/?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert status == 200 and "<title>领导看板 - 督办</title>" in html and "注册处(1)" in html
    other = client.application.test_client()
    login(other, "dushen")
    assert "<title>首页 - 督办</title>" in _get(other, "/")[1]


def test_unit_page_for_its_own_staff_only(signed_in, scenario):
    client = signed_in("zhuce")
    status, html, _ = _get(client, f"/dashboards/units/{scenario.zhuce_id}?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert status == 200
    lead = re.search(r'data-testid="lead-tasks">(.*?)</table>', html, re.S).group(1)
    assert "第1项重点任务" in lead and "第3项重点任务" in lead and "第2项" not in lead
    assert 'text-bg-danger">红</span>' in lead.split("第3项")[0]  # task 1: its milestone M1b is overdue
    milestones = re.search(r'data-testid="unit-milestone-table">(.*?)</table>', html, re.S).group(1)
    assert re.search(r"节点M1b.*?text-bg-danger\">红<", milestones, re.S)
    assert re.search(r"节点M1c.*?text-bg-primary\">蓝<", milestones, re.S)
    assert re.search(r'data-testid="unit-overdue">1<', html) and re.search(r'data-testid="unit-on-time">50%<', html)
    assert _get(client, f"/dashboards/units/{scenario.kexin_id}?plan_id={scenario.plan_id}")[0] == 403
    status, _, headers = _get(client, "/dashboards/my-unit")
    assert status == 302 and headers["Location"].endswith(f"/dashboards/units/{scenario.zhuce_id}")


def test_cooperating_unit_page(signed_in, scenario):
    client = signed_in("kexin")
    html = _get(client, f"/dashboards/units/{scenario.kexin_id}?plan_id={scenario.plan_id}&as_of={AS_OF}")[1]
    cooperating = re.search(r'data-testid="cooperating-tasks">(.*?)</table>', html, re.S).group(1)
    assert "第1项重点任务" in cooperating


def test_ledger_download(signed_in, scenario):
    client = signed_in("dushen")
    response = client.get(f"/dashboards/export/ledger?plan_id={scenario.plan_id}&as_of={AS_OF}")
    try:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert f'filename="plan{scenario.plan_id}-ledger-2023-10-09.xlsx"' in disposition
        assert "filename*=UTF-8''" + quote("2023年全省市场监管工作要点_督查台账_2023-10-09.xlsx") in disposition
        sheet = load_workbook(io.BytesIO(response.data)).active
    finally:
        response.close()
    assert sheet["A3"].value == "督〔2023〕1号" and sheet.max_row == 2 + 9


def test_the_ledger_download_keeps_the_dashboards_filters(signed_in, scenario):
    client = signed_in("dushen")
    page = client.get(f"/dashboards/?plan_id={scenario.plan_id}&as_of={AS_OF}&unit={scenario.kexin_id}")
    link = re.search(r'href="(/dashboards/export/ledger[^"]*)"', page.get_data(as_text=True)).group(1)
    assert f"unit={scenario.kexin_id}" in link
    response = client.get(link.replace("&amp;", "&"))
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    tasks = {row[1].value for row in sheet.iter_rows(min_row=3)}
    assert sheet["A1"].value.endswith("(按看板筛选)") and tasks == {1, 2, 4}  # 科信处 cooperates on 1, leads 2 and 4
    whole = client.get(f"/dashboards/export/ledger?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert {row[1].value for row in load_workbook(io.BytesIO(whole.data)).active.iter_rows(min_row=3)} == {1, 2, 3, 4}
    whole.close()


def test_each_download_has_its_own_names(signed_in, scenario):
    client = signed_in("dushen")
    names = set()
    for kind in ("ledger", "assessment", "bulletin"):
        response = client.get(f"/dashboards/export/{kind}?plan_id={scenario.plan_id}&as_of={AS_OF}")
        assert response.status_code == 200
        names.add(response.headers["Content-Disposition"].split(";")[1])
        response.close()
    assert len(names) == 3 and all(name.isascii() for name in names)


def test_unknown_export_and_plan(signed_in, scenario):
    client = signed_in("dushen")
    assert _get(client, f"/dashboards/export/poster?plan_id={scenario.plan_id}")[0] == 404
    assert _get(client, "/dashboards/?plan_id=999999")[0] == 404


def test_no_plan_yet(signed_in):
    status, html, _ = _get(signed_in("dushen"), "/dashboards/")
    assert status == 200 and "尚未导入工作计划" in html


def test_leader_sees_lights_per_section(signed_in, scenario):
    html = _get(signed_in("leader"), f"/dashboards/leader?plan_id={scenario.plan_id}&as_of={AS_OF}")[1]
    table = re.search(r'data-testid="section-lights-table">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr><td>(.*?)</td>\s*((?:<td class=\"text-end\">\d+</td>)+)</tr>", table)
    assert [(name, re.findall(r">(\d+)<", cells)) for name, cells in rows] == [
        ("一、优化营商环境", ["1", "0", "0", "1"]), ("二、强化质量安全", ["0", "0", "0", "2"])]


def test_unit_page_shows_the_score_and_links_readers_to_its_explanation(signed_in, scenario):
    from app.formatting import plain_number
    from app.services.scoring import assessment

    score = next(s for s in assessment.unit_scores(scenario.plan_id, AS_OF) if s.unit_id == scenario.zhuce_id)
    url = f"/dashboards/units/{scenario.zhuce_id}?plan_id={scenario.plan_id}&as_of={AS_OF}"
    html = _get(signed_in("dushen"), url)[1]
    assert re.search(rf'data-testid="unit-score">{plain_number(score.score)}<', html)   # 103.00 reads 103
    assert f"/plans/{scenario.plan_id}/assessment/units/{scenario.zhuce_id}" in html
