"""The 2023 Hubei market-regulation work points: the plan Duban is built for."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from app.plan_parser import ParsedPlan, parse_document, parse_text

PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"

ALL = ["各处室", "直属事业单位"]
# number: (lead, responsible, cooperating, groups), read task by task against the document.
# With a named lead, the units "分工负责" cooperate and only the leads are responsible;
# without one, every named unit is responsible; a single unit "负责" alone is the lead.
EXPECTED: dict[int, tuple[list[str], list[str], list[str], list[str]]] = {
    1: (["机关党委"], ["机关党委"], [], ["省局党的建设领导小组各成员单位"]),
    2: (["机关党委"], ["机关党委"], [], ALL),
    3: (["机关纪委"], ["机关纪委"], [], ALL),
    4: ([], ["办公室", "人事处", "机关党委", "机关纪委", "督审处"], [], ["相关业务处室"]),
    5: (["注册处"], ["注册处"], [], ["省局“小个专”党建工作领导小组各成员单位"]),
    6: (["注册处"], ["注册处"], [], ["省局优化营商环境领导小组各成员单位"]),
    7: (["注册处"], ["注册处"], ["科信处", "信息中心"], ["有许可审批职能的处室"]),
    8: ([], ["质量发展处", "质量监督处"], [], ["相关业务处室"]),
    9: ([], ["标准化处", "认检处", "省纤检局", "省计量院", "省标质院"], [], ["相关处室"]),
    10: ([], ["质量发展处", "广告处"], [], []),
    11: (["消保处"], ["消保处"],
         ["质量发展处", "质量监督处", "科信处", "信息中心", "12315指挥中心", "省消保中心"], []),
    12: (["质量发展处"], ["质量发展处"], [], ["各相关业务处室", "直属事业单位"]),
    13: ([], ["标准化处", "省标质院"], [], []),
    14: (["计量处"], ["计量处"], [], []),
    15: (["认检处"], ["认检处"], [], ["各相关直属事业单位"]),
    16: (["质量发展处", "计量处", "认检处"], ["质量发展处", "计量处", "认检处"], [],
         ["质量基础设施服务“51020”现代产业发展工作专班成员等处室", "相关直属事业单位"]),
    17: (["食品协调处"], ["食品协调处"],
         ["食品生产处", "食品流通处", "餐饮处", "食品抽检处", "食品稽查局", "省食检院"], []),
    18: (["食品协调处"], ["食品协调处"],
         ["食品生产处", "食品流通处", "餐饮处", "食品抽检处", "科信处", "信息中心", "食品稽查局",
          "省食检院"], []),
    19: ([], ["特设处", "科信处", "信息中心", "湖北特检院"], [], []),
    20: ([], ["质量监督处", "科信处", "省纤检局", "信息中心"], [], []),
    21: (["法规处"], ["法规处"], [], ALL),
    22: (["信用处"], ["信用处"], ["科信处", "信息中心"], ["相关业务处室"]),
    23: (["科信处"], ["科信处"], ["稽查处", "网监合同处", "标准化处", "省标质院", "信息中心"], ["相关处室"]),
    24: ([], ["特设处", "质量监督处", "消保处", "科信处", "信息中心"], [], ["食品相关处室"]),
    25: (["科信处"], ["科信处"],
         ["培训中心", "省纤检局", "省质检院", "省计量院", "湖北特检院", "省标质院", "省电子院", "省食检院"], []),
    26: (["反垄断处"], ["反垄断处"], [], []),
    27: (["价监竞争处"], ["价监竞争处"], [], []),
    28: (["网监合同处"], ["网监合同处"], [], ["各相关处室", "直属事业单位"]),
    29: ([], ["稽查处", "反垄断处", "质量监督处", "计量处", "标准化处", "认检处"], [], ["相关处室"]),
    30: ([], ["稽查处", "网监合同处", "广告处", "食品稽查局"], [], ["相关处室"]),
    31: (["价监竞争处"], ["价监竞争处"], [], ["稳价保质专项行动各成员单位", "相关处室"]),
    32: (["办公室"], ["办公室"], [], ALL),
    33: (["办公室", "省标质院"], ["办公室", "省标质院"], [], ALL),
    34: (["宣传处"], ["宣传处"], [], ["省局意识形态责任制工作领导小组各成员单位", "相关处室"]),
    35: (["财务处"], ["财务处"], [], []),
    36: (["督审处"], ["督审处"], [], []),
    37: (["人事处"], ["人事处"], ["市场监管干校", "培训中心"], []),
    38: (["工会"], ["工会"], [], []),
    39: (["离退休处"], ["离退休处"], [], []),
}
SECTION_OF = {**{n: 1 for n in range(1, 6)}, **{n: 2 for n in range(6, 9)},
              **{n: 3 for n in range(9, 12)}, **{n: 4 for n in range(12, 17)},
              **{n: 5 for n in range(17, 21)}, **{n: 6 for n in range(21, 26)},
              **{n: 7 for n in range(26, 32)}, **{n: 8 for n in range(32, 40)}}


@pytest.fixture(scope="module")
def plan() -> ParsedPlan:
    return parse_document(PLAN.read_bytes(), PLAN.name)


@pytest.fixture(scope="module")
def tasks(plan: ParsedPlan) -> dict[int, dict]:
    return {task["number"]: task for task in plan.to_dict()["tasks"]}


def test_header(plan: ParsedPlan) -> None:
    assert plan.title == "2023年全省市场监管工作要点"
    assert plan.issuing_body == "湖北省市场监督管理局办公室"
    assert plan.issuing_date == datetime.date(2023, 2, 3)
    assert plan.lead_rule is None


def test_eight_sections_with_titles(plan: ParsedPlan) -> None:
    sections = plan.to_dict()["sections"]
    assert [s["number"] for s in sections] == list(range(1, 9))
    assert sections[0]["title"] == "更高站位推进党建引领走深走实"
    assert sections[4]["title"] == "更高要求守护“三品一特”安全"
    assert sections[7]["title"] == "更高定位打造全面过硬的模范机关"


def test_39_tasks_in_their_sections(tasks: dict[int, dict]) -> None:
    assert sorted(tasks) == list(range(1, 40))
    assert {n: t["section"] for n, t in tasks.items()} == SECTION_OF


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_responsibility_of_every_task(tasks: dict[int, dict], number: int) -> None:
    lead, responsible, cooperating, groups = EXPECTED[number]
    task = tasks[number]
    assert task["lead_units"] == lead
    assert task["responsible_units"] == responsible
    assert task["cooperating_units"] == cooperating
    assert task["unit_groups"] == groups


def test_titles_are_first_sentences(tasks: dict[int, dict]) -> None:
    assert tasks[1]["title"] == "坚定不移深入推进全面从严治党"
    assert tasks[14]["title"] == ("实施计量强基工程,加强产业计量、碳计量服务和技术体系建设,构建新型量传溯源体系,"
                                  "实施社会公用计量标准、计量技术机构“两大能力提升工程”")
    assert tasks[24]["title"] == "推进十堰市茅箭区智慧监管压实“三个责任”工作综合试点"


def test_text_is_full_task_without_its_number(tasks: dict[int, dict]) -> None:
    assert tasks[26]["text"].startswith("健全公平竞争审查机制")
    assert tasks[26]["text"].endswith("(反垄断处负责)")
    assert tasks[39]["text"] == "认真落实离退休干部“两项待遇”,用心用情做好离退休干部服务管理工作。(离退休处负责)"


def _targets(task: dict) -> list[tuple]:
    return [(t["value"], t["unit"], t["comparator"]) for t in task["targets"]]


def test_targets(tasks: dict[int, dict]) -> None:
    assert _targets(tasks[7]) == [(25, "个", ">=")]
    assert _targets(tasks[10]) == [(100, "个", None)]
    assert _targets(tasks[13]) == [(180, "项", None)]
    assert _targets(tasks[18]) == [(230000, "批次", None), (100, "%", "="), (10, "批次/千人", ">=")]
    assert _targets(tasks[22]) == [(35, "%", ">="), (90, "%", ">="), (7, "个", None), (100, "%", "=")]


def test_target_phrases_and_spans(tasks: dict[int, dict]) -> None:
    phrases = [t["phrase"] for t in tasks[22]["targets"]]
    assert phrases == ["部门联合抽查任务占所有双随机抽查任务数不低于35%", "抽查计划覆盖全部抽查事项90%以上",
                       "建成7个专业版信用风险分类模块", "行政处罚信息公示率达100%"]
    assert tasks[7]["targets"][0]["phrase"] == "拓展“一业一证”改革到25个行业以上"
    for task in tasks.values():
        for target in task["targets"]:
            start, end = target["span"]
            assert task["text"][start:end] == target["phrase"]


def test_numbers_in_annotations_and_names_are_not_targets(tasks: dict[int, dict]) -> None:
    # "51020" in task 16's annotation, "12315" in task 11, "210" in task 7.
    assert tasks[16]["targets"] == []
    assert tasks[11]["targets"] == []
    assert [t["value"] for t in tasks[7]["targets"]] == [25]


def test_no_warnings_for_this_clean_plan(plan: ParsedPlan) -> None:
    assert plan.warnings == []


def test_pasted_text_gives_the_same_result(plan: ParsedPlan) -> None:
    assert parse_text(PLAN.read_text(encoding="utf-8")).to_dict() == plan.to_dict()
