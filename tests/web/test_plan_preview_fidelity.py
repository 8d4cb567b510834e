"""The import preview shows conditions apart and unticked, and the reason for every reading."""
from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, PlanTarget
from tests.conftest import ROOT, csrf_token
from tests.web.test_plan_tables import review_fields
from tests.web.test_plans import upload

PLANS = ROOT / "tests" / "fixtures" / "plans"


def _review(client, name: str) -> tuple[str, str]:
    review_url = upload(client, (PLANS / name).read_bytes(), name).headers["Location"]
    return review_url, unescape(client.get(review_url).get_data(as_text=True))


def _new_names(html: str) -> dict[str, str]:
    """Every unknown name made a new unit or group, as a clerk would pick in the selects."""
    fields = dict(re.findall(r'<label class="form-label" for="(resolve_[0-9a-f]+)">([^<]+)</label>', html))
    return {field: "new-group" if name.startswith(("有关", "各")) else "new-unit:department"
            for field, name in fields.items()}


def test_a_state_council_plan_lists_its_conditions_apart_unticked_with_reasons(signed_in):
    client = signed_in("dushen")
    review_url, html = _review(client, "gov_jiuye_2018.txt")
    assert html.count('data-testid="preview-condition"') == 7 and 'data-testid="preview-target"' not in html
    assert html.count('data-testid="preview-conditions"') == 2
    assert "作为政策条件的依据:“最高不超过”是额度上限，不是工作目标" in html
    assert "人力资源社会保障部(牵头):标注为“负责”；按文件“列第一位者为牵头单位”的规定，排在第一位，为牵头单位" in html
    fields = review_fields(html)
    assert not [name for name in fields if name.endswith("_keep")]  # nothing ticked
    fields["target_3_0_keep"] = "y"  # 督审处 takes one condition as a target
    done = client.post(review_url, data={"csrf_token": csrf_token(client, review_url), "targets_shown": "1",
                                         **fields, **_new_names(html)})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert [(t.value, t.unit) for t in db.session.scalars(select(PlanTarget))] == [(Decimal("15"), "万元")]
    imported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "imported"))
    assert imported.after["targets_dropped"] == 0  # conditions left unticked were never targets


def test_the_2023_plan_preview_ticks_every_target_and_explains_each_unit(signed_in):
    client = signed_in("dushen")
    review_url, html = _review(client, "hubei-amr-2023-work-points.txt")
    assert html.count('data-testid="preview-target"') == 10 and 'data-testid="preview-condition"' not in html
    assert len([name for name in review_fields(html) if name.endswith("_keep")]) == 10
    assert "作为指标的依据:“抽检”提出要完成的工作量；“计划”表示年度任务" in html
    assert "机关党委(牵头):标注为“牵头”" in html
    assert "各处室(配合):标注为“分工负责”；是单位组，有牵头单位时作为配合" in html
    assert "反垄断处(牵头):标注为“负责”；是唯一的负责单位，视为牵头单位" in html
    done = client.post(review_url, data={"csrf_token": csrf_token(client, review_url), "targets_shown": "1",
                                         **review_fields(html)})
    assert done.status_code == 302 and db.session.scalar(select(func.count(PlanTarget.id))) == 10


def test_a_quantity_without_telling_words_is_marked_for_checking(signed_in):
    client = signed_in("dushen")
    text = ("2024年工作要点\n1.推进窗口改造，各地80%的窗口。（督审处负责）\n"
            "2.落实贷款贴息，最高不超过10万元。（督审处负责）\n")
    review_url = upload(client, text.encode(), "small.txt").headers["Location"]
    html = unescape(client.get(review_url).get_data(as_text=True))
    tasks = html.split('data-testid="preview-task"')[1:]
    assert 'data-testid="uncertain"' in tasks[0] and 'data-testid="preview-target"' in tasks[0]
    assert "句中没有目标或条件的用语，暂作量化指标，请核对" in tasks[0]
    assert 'data-testid="uncertain"' not in tasks[1] and 'data-testid="preview-condition"' in tasks[1]
