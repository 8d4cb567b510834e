"""Numbering, annotation and layout shapes the parser must survive."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from app.plan_parser import ParsedPlan, parse_document, parse_text

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def _fixture(name: str) -> ParsedPlan:
    return parse_document((PLANS / name).read_bytes(), name)


def _roles(plan: ParsedPlan, index: int = 0) -> tuple[list[str], list[str], list[str], list[str]]:
    task = plan.to_dict()["tasks"][index]
    return (task["lead_units"], task["responsible_units"], task["cooperating_units"], task["unit_groups"])


def _one(body: str) -> ParsedPlan:
    return parse_text(f"一、工作任务\n1.推进某项工作。{body}\n2.推进另一项工作。（办公室负责）")


@pytest.mark.parametrize(("annotation", "expected"), [
    ("(A处牵头,B处、C局分工负责)", (["A处"], ["A处"], ["B处", "C局"], [])),
    ("（A处牵头、B处、C局分工负责）", (["A处"], ["A处"], ["B处", "C局"], [])),
    ("(A处、B处牵头，C局配合)", (["A处", "B处"], ["A处", "B处"], ["C局"], [])),
    ("（A处负责）", (["A处"], ["A处"], [], [])),
    ("（A处、B处、C局分工负责）", ([], ["A处", "B处", "C局"], [], [])),
    ("（牵头单位：A处，配合单位：B处、C局）", (["A处"], ["A处"], ["B处", "C局"], [])),
    ("(牵头单位:A处;配合单位:B处、C局)", (["A处"], ["A处"], ["B处", "C局"], [])),
    ("（责任单位：A处、B处）", ([], ["A处", "B处"], [], [])),
    ("（责任单位：A处（牵头）、B处）", (["A处"], ["A处"], ["B处"], [])),
    ("（A处负责，B处配合）", (["A处"], ["A处"], ["B处"], [])),
    ("（A部会同有关部门负责）", (["A部"], ["A部"], [], ["有关部门"])),
    ("(A处牵头,各处室、直属事业单位分工负责)", (["A处"], ["A处"], [], ["各处室", "直属事业单位"])),
    ("（各区、县级市人民政府负责）", ([], [], [], ["各区、县级市人民政府"])),
])
def test_annotation_shapes(annotation: str, expected: tuple) -> None:
    assert _roles(_one(annotation)) == expected


@pytest.mark.parametrize(("units", "responsible", "groups"), [
    ("科信处和有许可审批职能的处室及信息中心", ["科信处", "信息中心"], ["有许可审批职能的处室"]),
    ("质量发展处、质量监督处等相关业务处室", ["质量发展处", "质量监督处"], ["相关业务处室"]),
    ("稽查处、网监合同处、广告处等相关处室及食品稽查局", ["稽查处", "网监合同处", "广告处", "食品稽查局"],
     ["相关处室"]),
    ("文化和旅游部、工业和信息化部、中央和国家机关工委", ["文化和旅游部", "工业和信息化部", "中央和国家机关工委"], []),
    ("人力资源社会保障部等有关部门和单位", ["人力资源社会保障部"], ["有关部门和单位"]),
    ("各市、州、直管市、神农架林区市场监管局", [], ["各市、州、直管市、神农架林区市场监管局"]),
])
def test_mixed_unit_lists(units: str, responsible: list[str], groups: list[str]) -> None:
    _, resp, _, found_groups = _roles(_one(f"（{units}分工负责）"))
    assert (resp, found_groups) == (responsible, groups)


def test_names_are_normalised_but_keep_their_wording() -> None:
    lead, _resp, coop, _ = _roles(_one("（ A 处 牵头 ，省(州)B 局 分工负责）"))
    assert (lead, coop) == (["A处"], ["省（州）B局"])


def test_unnamed_units_after_deng_give_a_warning() -> None:
    plan = _one("（A部、B部等负责）")
    assert _roles(plan)[1] == ["A部", "B部"]
    assert any("等" in w for w in plan.warnings)


def test_unassigned_units_are_kept_with_a_warning() -> None:
    plan = _one("（牵头单位：A处，B处）")
    assert _roles(plan)[:3] == (["A处"], ["A处"], ["B处"])
    assert any("B处" in w and "未注明" in w for w in plan.warnings)


@pytest.mark.parametrize("template", ["{n}.", "{n}、", "{n}．", "（{cn}）", "({cn})", "{cn}、"])
def test_top_level_numbering_styles(template: str) -> None:
    cn = "一二三"
    text = "\n".join(template.format(n=i + 1, cn=cn[i]) + f"第{cn[i]}项工作。（A{i}处负责）" for i in range(3))
    plan = parse_text("某某工作方案\n前言说明。\n" + text)
    assert [(t.number, t.section, t.title) for t in plan.tasks] == [
        (1, None, "第一项工作"), (2, None, "第二项工作"), (3, None, "第三项工作")]
    assert plan.tasks[2].responsibility.lead_units == ["A2处"]


def test_nested_sections_tasks_and_sub_items() -> None:
    plan = parse_text("一、总体要求\n略。\n二、重点任务\n（一）第一项。\n（1）子项一；\n（2）子项二。（A处负责）\n"
                      "（二）第二项。（B处负责）\n三、保障措施\n（三）第三项。（C处负责）")
    assert [(s.number, s.title) for s in plan.sections] == [(2, "重点任务"), (3, "保障措施")]
    assert [(t.number, t.section) for t in plan.tasks] == [(1, 2), (2, 2), (3, 3)]
    assert plan.tasks[0].text == "第一项。\n（1）子项一；\n（2）子项二。（A处负责）"


def test_task_spanning_paragraphs_and_trailing_text() -> None:
    plan = parse_text("一、任务\n1.推进甲。\n继续说明甲，完成5项。\n（A处牵头，B处配合）\n"
                      "以上任务请认真落实。\n某某局\n2024年1月2日")
    task = plan.tasks[0]
    assert task.text == "推进甲。\n继续说明甲，完成5项。\n（A处牵头，B处配合）"
    assert [(t.value, t.unit) for t in task.targets] == [(5, "项")]
    assert plan.issuing_body == "某某局"


def test_unannotated_task_stops_at_the_signature() -> None:
    plan = parse_text("一、任务\n1.推进甲。\n继续说明。\n某某局\n2024年1月2日\n（此件公开发布）")
    assert plan.tasks[0].text == "推进甲。\n继续说明。"
    assert any("未找到责任单位" in w for w in plan.warnings)


def test_repeated_task_numbers_are_renumbered_with_a_warning() -> None:
    plan = parse_text("一、甲\n1.任务一。（A处负责）\n2.任务二。（A处负责）\n二、乙\n1.任务三。（B处负责）")
    assert [(t.number, t.section, t.label) for t in plan.tasks] == [(1, 1, "1."), (2, 1, "2."), (3, 2, "1.")]
    assert any("重新编号" in w for w in plan.warnings)


def test_document_without_annotations_still_finds_tasks() -> None:
    plan = parse_text("一、甲\n1.任务一。\n2.任务二。\n二、乙\n3.任务三。")
    assert [t.number for t in plan.tasks] == [1, 2, 3]
    assert any("未找到责任单位标注" in w for w in plan.warnings)


def test_shapes_fixture_glued_number_missing_quote_mark_compound_names() -> None:
    plan = _fixture("shapes-top-level.txt")
    assert [t.number for t in plan.tasks] == list(range(1, 13))
    assert plan.title == "2024年人才工作要点"
    glued = plan.tasks[10]
    assert glued.text.startswith("121人才梯队项目扩面提质")
    assert [(t.value, t.unit) for t in glued.targets] == [(200, "名")]
    assert _roles(plan, 0)[:3] == (["区委组织部", "区人社局"], ["区委组织部", "区人社局"], ["区财政局"])
    assert _roles(plan, 2)[3] == ["各区、县级市住房保障部门"]
    assert _roles(plan, 4) == (["区教育局"], ["区教育局"], ["区科技局"], ["有关高校", "各街道"])
    assert plan.tasks[2].text == ("实施青年人才安居工程。筹集人才公寓不少于1000套，\n入住率达到90%以上。\n"
                                  "（区住建局牵头，各区、县级市住房保障部门配合）")


def test_gb18030_fixture() -> None:
    plan = _fixture("gb18030-plan.txt")
    assert plan.title == "某市市场监督管理局2024年工作安排"
    assert len(plan.tasks) == 6 and [s.number for s in plan.sections] == [1, 2]
    assert _roles(plan, 1)[0] == ["注册处", "行政审批处"]
    assert _roles(plan, 1)[3] == ["各区、县级市市场监管局"]
    assert plan.tasks[3].title == "推进𠮷祥社区特种设备安全试点"
    assert _roles(plan, 3)[0] == []
    assert _roles(plan, 4)[:3] == (["消保处"], ["消保处"], ["12315指挥中心", "信息中心"])
    assert [(t.value, t.unit, t.comparator) for t in plan.tasks[2].targets] == [
        (25000, "批次", ">="), (100, "%", "=")]


def test_label_layout_with_document_level_lead_rule() -> None:
    plan = _fixture("lead-rule-labels-bom.txt")
    assert plan.title == "2024年度重点工作任务分解方案"
    assert plan.lead_rule == "列第一的为牵头责任处室"
    assert _roles(plan, 0) == (["信用处"], ["信用处", "科信处", "信息中心"], [], [])
    assert _roles(plan, 1) == (["信用处"], ["信用处"], [], ["各相关业务处室"])
    assert _roles(plan, 2) == (["认检处"], ["认检处"], ["质量发展处", "标准化处"], [])
    # The first-listed name is a group: no lead can be inferred, and a person is told so.
    assert _roles(plan, 3)[0] == []
    assert any(w.startswith("任务4：") and "单位组" in w for w in plan.warnings)
    assert "附件" not in plan.tasks[3].text


def test_lead_rule_applies_only_from_where_it_is_stated() -> None:
    plan = parse_text("一、甲\n1.任务一。（A处、B处负责）\n2.任务二。（C处、D处负责，排在第一位的为牵头单位，下同）\n"
                      "3.任务三。（E处、F处负责）")
    assert [t.responsibility.lead_units for t in plan.tasks] == [[], ["C处"], ["E处"]]


def _make_fixtures_module():
    spec = importlib.util.spec_from_file_location("make_fixtures", PLANS / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docx_with_word_list_numbering() -> None:
    plan = _fixture("word-list-numbering.docx")
    assert plan.title == "2024年全市质量工作计划"
    assert [(s.number, s.title) for s in plan.sections] == [(1, "夯实质量基础"), (2, "提升质量水平")]
    assert [(t.number, t.section) for t in plan.tasks] == [(1, 1), (2, 1), (3, 2), (4, 2)]
    assert plan.tasks[1].text.split("\n")[1:3] == ["（1）组织企业申报；", "（2）开展试点评估。"]
    assert _roles(plan, 1)[0] == ["标准化处"]
    assert _roles(plan, 2)[3] == ["各区、县级市市场监管局"]
    assert plan.warnings == []


def test_docx_list_numbering_that_restarts_per_section() -> None:
    data = _make_fixtures_module().build_list_docx(restart_tasks=True)
    plan = parse_document(data, "restart.docx")
    assert [t.label for t in plan.tasks] == ["1.", "2.", "1.", "2."]
    assert [t.number for t in plan.tasks] == [1, 2, 3, 4]
    assert any("重新编号" in w for w in plan.warnings)


def test_committed_docx_matches_the_generator() -> None:
    from app.plan_parser import read_document
    generated = read_document(_make_fixtures_module().build_list_docx(), "a.docx")
    committed = read_document((PLANS / "word-list-numbering.docx").read_bytes(), "b.docx")
    assert generated == committed


def test_docx_numbering_inherited_from_the_list_number_style() -> None:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("2024年工作要点")
    for text in ("推进甲工作。（A处负责）", "推进乙工作。（B处牵头，C处配合）"):
        document.add_paragraph(text, style="List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    plan = parse_document(buffer.getvalue(), "styled.docx")
    assert [(t.label, t.responsibility.lead_units) for t in plan.tasks] == [("1.", ["A处"]), ("2.", ["B处"])]
    assert plan.title == "2024年工作要点"


def test_title_from_a_sentence_with_a_missing_opening_quote_mark() -> None:
    plan = parse_text("各处室：\n2024年人才工作要点》已经审议通过，现印发给你们。\n1.推进甲工作。（A处负责）")
    assert plan.title == "2024年人才工作要点"


def test_paragraph_starting_with_a_quantity_is_not_a_task_number() -> None:
    plan = parse_text("1.推进甲。\n3个方面要抓好。\n（A处负责）\n2 推进乙。（B处负责）")
    assert [(t.number, t.text) for t in plan.tasks] == [
        (1, "推进甲。\n3个方面要抓好。\n（A处负责）"), (2, "推进乙。（B处负责）")]
