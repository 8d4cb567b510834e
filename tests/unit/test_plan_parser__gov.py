"""The four State Council documents in tests/fixtures/plans (published on gov.cn)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from app.plan_parser import ParsedPlan, parse_document

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def _parse(name: str) -> ParsedPlan:
    path = PLANS / name
    return parse_document(path.read_bytes(), path.name)


def _first_listed(task_text: str) -> str:
    """The first unit written in the task's closing "（A、B负责…）" annotation."""
    annotation = re.search(r"（([^（）]*)）$", task_text).group(1)
    return re.split(r"[、，等]|负责", annotation)[0]


@pytest.mark.parametrize(("name", "tasks", "sections"), [
    ("gov_zbq_2019.txt", 21, 5),
    ("gov_jili_2018.txt", 30, 0),
    ("gov_jiuye_2018.txt", 15, 5),
    ("gov_xiaofei_2018.txt", 17, 5),
])
def test_task_and_section_counts(name: str, tasks: int, sections: int) -> None:
    plan = _parse(name)
    assert [t.number for t in plan.tasks] == list(range(1, tasks + 1))
    assert len(plan.sections) == sections


def test_zbq_header_and_sections() -> None:
    plan = _parse("gov_zbq_2019.txt")
    assert plan.title == "国务院关于促进综合保税区高水平开放高质量发展的若干意见"
    assert plan.document_number == "国发〔2019〕3号"
    assert (plan.issuing_body, plan.issuing_date) == ("国务院", datetime.date(2019, 1, 12))
    # Tasks 1.-21. sit under （一）…（五） of "四、主要任务"; the （一）…（四） principles are no tasks.
    assert [(s.number, s.title) for s in plan.sections][:2] == [
        (1, "统筹两个市场，打造加工制造中心"), (2, "推动创新创业，打造研发设计中心")]
    assert [t.section for t in plan.tasks] == [1] * 5 + [2] * 4 + [3] * 4 + [4] * 3 + [5] * 5


def test_zbq_lead_rule_makes_the_first_listed_unit_lead() -> None:
    plan = _parse("gov_zbq_2019.txt")
    assert plan.lead_rule == "排在第一位的部门为牵头部门"
    for task in plan.tasks:
        resp = task.responsibility
        assert resp.lead_units == [_first_listed(task.text)], task.number
        assert resp.responsible_units[0] == resp.lead_units[0]
    first = plan.tasks[0].to_dict()
    assert first["lead_units"] == ["税务总局"]
    assert first["responsible_units"] == ["税务总局", "财政部", "海关总署"]
    assert first["cooperating_units"] == []
    assert first["title"] == "拓展两个市场"


def test_zbq_open_lists_keep_the_group() -> None:
    task = _parse("gov_zbq_2019.txt").tasks[5].to_dict()
    assert task["responsible_units"] == ["海关总署", "商务部"]
    assert task["unit_groups"] == ["有关部门"]


def test_jili_top_level_tasks_without_sections() -> None:
    plan = _parse("gov_jili_2018.txt")
    assert plan.title == "国务院办公厅关于对真抓实干成效明显地方进一步加大激励支持力度的通知"
    assert all(t.section is None for t in plan.tasks)
    assert plan.tasks[0].responsibility.lead_units == ["市场监管总局"]
    # No lead rule in this document: two units "负责" are co-responsible.
    assert plan.tasks[5].responsibility.lead_units == []
    assert plan.tasks[5].responsibility.responsible_units == ["交通运输部", "财政部"]
    # "会同有关部门": the group works with the named unit.
    assert plan.tasks[15].to_dict()["unit_groups"] == ["有关部门"]
    assert plan.tasks[15].responsibility.lead_units == ["国家发展改革委"]
    # The closing paragraphs after 三十、 do not belong to task 30.
    assert plan.tasks[-1].text.endswith("（国务院办公厅负责）")


def test_jiuye_lead_rule_and_group_only_tasks() -> None:
    plan = _parse("gov_jiuye_2018.txt")
    assert plan.lead_rule == "列第一位者为牵头单位"
    assert next(s.title for s in plan.sections) == "支持企业稳定发展"
    fourth = plan.tasks[3].to_dict()
    assert fourth["lead_units"] == ["人力资源社会保障部"]
    assert fourth["responsible_units"] == ["人力资源社会保障部", "科技部", "财政部", "住房城乡建设部", "市场监管总局"]
    assert fourth["unit_groups"] == ["各省级人民政府"]
    assert plan.tasks[4].to_dict()["unit_groups"] == ["有关部门和单位"]
    last = plan.tasks[14].to_dict()
    assert last["lead_units"] == [] and last["responsible_units"] == []
    assert last["unit_groups"] == ["各有关部门和单位", "各省级人民政府"]
    assert any(w.startswith("任务15：") and "单位组" in w for w in plan.warnings)
    assert not plan.tasks[14].text.endswith("国务院")


def test_xiaofei_long_lists_and_open_ended_warnings() -> None:
    plan = _parse("gov_xiaofei_2018.txt")
    assert [s.number for s in plan.sections] == [2, 3, 4, 5, 6]
    first = plan.tasks[0].to_dict()
    assert first["lead_units"] == []
    assert "中央和国家机关工委" in first["responsible_units"]
    assert first["responsible_units"][-1] == "全国总工会"
    assert first["unit_groups"] == ["各省级人民政府"]
    assert "文化和旅游部" in plan.tasks[4].responsibility.responsible_units
    # "A、B等和各有关省级人民政府": the 等 leaves units unnamed, which needs a person's look.
    assert sum("“等”结尾" in w for w in plan.warnings) == 17
