"""Quantitative targets: value, unit, comparator, phrase and span."""

from __future__ import annotations

import pytest

from app.plan_parser import parse_text


def _targets(sentence: str) -> list[tuple]:
    plan = parse_text(f"1.{sentence}（A处负责）")
    task = plan.tasks[0]
    for target in task.targets:
        assert task.text[target.span[0]:target.span[1]] == target.phrase
    return [(t.value, t.unit, t.comparator) for t in task.targets]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("认定发布100个高端质量品牌。", [(100, "个", None)]),
    ("新制定省地方标准180项。", [(180, "项", None)]),
    ("全省计划抽检食品23万批次。", [(230000, "批次", None)]),
    ("抽检1.5万批次。", [(15000, "批次", None)]),
    ("不合格食品处置率达到100%。", [(100, "%", "=")]),
    ("公示率达100％。", [(100, "%", "=")]),
    ("占比不低于35%。", [(35, "%", ">=")]),
    ("年度快检批次数不少于10批次/千人。", [(10, "批次/千人", ">=")]),
    ("培训至少200名。", [(200, "名", ">=")]),
    ("覆盖全部抽查事项90%以上。", [(90, "%", ">=")]),
    ("拓展改革到25个行业以上。", [(25, "个", ">=")]),
    ("培育示范企业30家及以上。", [(30, "家", ">=")]),
    ("办理时限不超过5个工作日。", [(5, "个工作日", "<=")]),
    ("时限压缩至3个工作日以内。", [(3, "个工作日", "<=")]),
    ("投诉率控制在2%以内。", [(2, "%", "<=")]),
    ("发放贷款不超过15万元。", [(15, "万元", "<=")]),
    ("投入资金2亿元。", [(2, "亿元", None)]),
    ("建成7个专业版信用风险分类模块。", [(7, "个", None)]),
    ("配备8套快检设备。", [(8, "套", None)]),
])
def test_target_shapes(sentence: str, expected: list[tuple]) -> None:
    assert _targets(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "2023年完成。", "2019年1月1日至12月31日。", "组织失业青年参加3—12个月的就业见习。",
    "121人才梯队项目。", "建立12315风险预警分析模型。", "拓展“210”标准服务。", "第九届长江质量奖。",
    "涉及3部门联合。", "在本意见印发之日起30日内。", "推进第3项工作。",
])
def test_numbers_that_are_not_targets(sentence: str) -> None:
    assert _targets(sentence) == []


def test_phrase_is_the_clause_and_stops_before_the_annotation() -> None:
    plan = parse_text("1.推进甲工作，完成10项改造(A处负责)")
    target = plan.tasks[0].targets[0]
    assert target.phrase == "完成10项改造"
    assert plan.tasks[0].to_dict()["targets"][0] == {
        "value": 10, "unit": "项", "comparator": None, "phrase": "完成10项改造", "span": [6, 13],
        "kind": "target", "confidence": "certain",
        "reasons": [{"code": "goal-verb", "text": "“完成”提出要完成的工作量"}]}


def test_targets_in_every_paragraph_of_a_task_keep_valid_spans() -> None:
    plan = parse_text("1.推进甲。\n完成5项，\n覆盖率达到80%。\n（A处负责）")
    task = plan.tasks[0]
    assert [(t.value, t.unit, t.comparator) for t in task.targets] == [(5, "项", None), (80, "%", "=")]
    assert [task.text[slice(*t.span)] for t in task.targets] == ["完成5项", "覆盖率达到80%"]
