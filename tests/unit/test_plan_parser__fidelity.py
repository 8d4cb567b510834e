"""Readings that decide who answers and what is scored: targets against conditions, compound names, reasons.

The corpus is the five real plans in tests/fixtures/plans (copies of ../shared/plans); the property tests
rewrite annotations the ways real documents vary and require the same reading every time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.plan_parser import ParsedPlan, parse_document, parse_text
from app.plan_parser.units import is_fragment, split_units

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
_SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

#: Every quantity of each shared plan: (task, kind, confidence, comparator, value, unit).
CORPUS = {
    "hubei-amr-2023-work-points.txt": [
        (7, "target", "certain", ">=", 25, "个"),
        (10, "target", "certain", None, 100, "个"),
        (13, "target", "certain", None, 180, "项"),
        (18, "target", "certain", None, 230000, "批次"),
        (18, "target", "certain", "=", 100, "%"),
        (18, "target", "certain", ">=", 10, "批次/千人"),
        (22, "target", "certain", ">=", 35, "%"),
        (22, "target", "certain", ">=", 90, "%"),
        (22, "target", "certain", None, 7, "个"),
        (22, "target", "certain", "=", 100, "%"),
    ],
    "gov_jili_2018.txt": [
        (12, "condition", "certain", None, 1, "家"),
        (12, "condition", "certain", None, 1, "家"),
    ],
    "gov_jiuye_2018.txt": [
        (1, "condition", "certain", None, 50, "%"),
        (1, "condition", "certain", None, 50, "%"),
        (3, "condition", "certain", "<=", 15, "万元"),
        (3, "condition", "certain", None, 25, "%"),
        (3, "condition", "certain", ">=", 100, "人"),
        (3, "condition", "certain", "=", 15, "%"),
        (3, "condition", "certain", "<=", 300, "万元"),
    ],
    "gov_xiaofei_2018.txt": [],
    "gov_zbq_2019.txt": [],
}
_UNIT_CODES = {"verb-lead", "verb-responsible", "verb-cooperating", "label-lead", "label-responsible",
               "label-cooperating", "lead-marker", "joint-partner", "no-role-word", "divided-under-lead",
               "document-lead-rule", "sole-responsible", "co-responsible", "group-with-lead", "group-without-lead"}
_QUANTITY_CODES = {"goal-verb", "goal-bound", "goal-period", "no-cue", "condition-limit", "condition-entitlement",
                   "condition-eligibility", "condition-priority", "condition-threshold", "condition-sentence"}


def _parse(name: str) -> ParsedPlan:
    path = PLANS / name
    return parse_document(path.read_bytes(), path.name)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_shared_plan_yields_exactly_its_targets_and_conditions(name: str) -> None:
    plan = _parse(name)
    found = [(task.number, t.kind, t.confidence, t.comparator, t.value, t.unit)
             for task in plan.tasks for t in task.targets]
    assert found == CORPUS[name]


def test_the_state_council_plans_have_no_target_and_the_2023_plan_no_condition() -> None:
    goals = {name: [t for task in _parse(name).tasks for t in task.goals] for name in CORPUS}
    assert len(goals.pop("hubei-amr-2023-work-points.txt")) == 10
    assert goals == {name: [] for name in goals}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_unit_and_quantity_of_a_shared_plan_carries_its_reasons(name: str) -> None:
    for task in _parse(name).to_dict()["tasks"]:
        named = set(task["lead_units"] + task["responsible_units"] + task["cooperating_units"] + task["unit_groups"])
        assert {entry["name"] for entry in task["unit_reasons"]} == named, task["number"]
        for entry in task["unit_reasons"]:
            assert entry["reasons"] and {r["code"] for r in entry["reasons"]} <= _UNIT_CODES, entry
            assert all(r["text"] for r in entry["reasons"])
            assert not is_fragment(entry["name"]), entry
        for target in task["targets"]:
            assert target["reasons"] and {r["code"] for r in target["reasons"]} <= _QUANTITY_CODES, target


def test_the_rule_that_made_each_unit_lead_is_named() -> None:
    zbq = {e["name"]: e for e in _parse("gov_zbq_2019.txt").to_dict()["tasks"][0]["unit_reasons"]}
    assert zbq["税务总局"]["role"] == "lead"
    assert [r["code"] for r in zbq["税务总局"]["reasons"]] == ["verb-responsible", "document-lead-rule"]
    assert "排在第一位的部门为牵头部门" in zbq["税务总局"]["reasons"][1]["text"]
    assert zbq["财政部"]["role"] == "responsible"
    assert [r["code"] for r in zbq["财政部"]["reasons"]] == ["verb-responsible"]
    hubei = _parse("hubei-amr-2023-work-points.txt").tasks
    task2 = hubei[1].to_dict()["unit_reasons"]
    assert [(e["role"], [r["code"] for r in e["reasons"]]) for e in task2][:2] == [
        ("lead", ["verb-lead"]), ("cooperating", ["verb-responsible", "group-with-lead"])]
    sole = hubei[25].responsibility.reasons["反垄断处"]
    assert [r.code for r in sole] == ["verb-responsible", "sole-responsible"]
    divided = [e for e in hubei[10].to_dict()["unit_reasons"] if e["role"] == "cooperating" and
               e["reasons"][-1]["code"] == "divided-under-lead"]
    assert divided, "分工负责 beside a lead reads as cooperating, and says so"


@pytest.mark.parametrize(("sentence", "kind", "confidence", "code"), [
    ("全年完成检查200家以上", "target", "certain", "goal-verb"),
    ("食品抽检合格率不低于98%", "target", "certain", "goal-verb"),
    ("投诉处理时限压缩至5个工作日以内", "target", "certain", "goal-verb"),
    ("力争2023年底前100家企业上线", "target", "certain", "goal-period"),
    ("对新认定的企业给予50万元奖励", "condition", "certain", "condition-entitlement"),
    ("符合条件的企业可享受最高不超过20万元的补贴", "condition", "certain", "condition-limit"),
    ("超过300人的企业按2%缴纳", "condition", "certain", "condition-threshold"),
    ("优先支持3家示范单位", "condition", "certain", "condition-priority"),
    ("各地80%的窗口", "target", "uncertain", "no-cue"),
    ("加大帮扶，给予政策支持，全年培育100家专精特新企业", "target", "certain", "goal-verb"),
    ("对新认定的企业给予50万元支持", "condition", "certain", "condition-entitlement"),
])
def test_sentence_words_decide_target_or_condition(sentence: str, kind: str, confidence: str, code: str) -> None:
    target = parse_text(f"1.推进工作。{sentence}。（甲处负责）").tasks[0].targets[0]
    assert (target.kind, target.confidence) == (kind, confidence)
    assert target.reasons[0].code == code


def test_a_goal_clause_in_a_grant_sentence_is_an_uncertain_condition() -> None:
    target = parse_text("1.企业新增就业50人，可申请创业担保贷款。（甲处负责）").tasks[0].targets[0]
    assert (target.kind, target.confidence) == ("condition", "uncertain")
    assert [r.code for r in target.reasons][:2] == ["condition-sentence", "condition-entitlement"]


@pytest.mark.parametrize(("written", "units", "groups"), [
    ("各区、县级市", [], ["各区、县级市"]),
    ("有关区、县级市", [], ["有关区、县级市"]),
    ("相关区、县级市人民政府", [], ["相关区、县级市人民政府"]),
    ("所属区、县级市市场监管局", [], ["所属区、县级市市场监管局"]),
    ("督审处、有关部门和各区、县级市", ["督审处"], ["有关部门", "各区、县级市"]),
    ("省、市、县市场监管部门", ["省、市、县市场监管部门"], []),
    ("督审处、有关区、县级市等", ["督审处"], ["有关区、县级市等"]),
    ("各区、县级市、省发展改革委", ["省发展改革委"], ["各区、县级市"]),
    ("各市、州、直管市、林区、东湖高新区管委会", ["东湖高新区管委会"], ["各市、州、直管市、林区"]),
    ("各市、州、直管市、神农架林区市场监管局", [], ["各市、州、直管市、神农架林区市场监管局"]),
])
def test_compound_names_are_kept_whole(written: str, units: list[str], groups: list[str]) -> None:
    found = split_units(written)
    assert (found.units, found.groups) == (units, groups)


def test_a_compound_name_the_directory_knows_is_kept_whole() -> None:
    text = "1.推进工作。（督审处牵头，东湖高新区、武汉经开区管委会配合）"
    assert parse_text(text).tasks[0].responsibility.cooperating_units == ["东湖高新区", "武汉经开区管委会"]
    known = parse_text(text, ["东湖高新区、武汉经开区管委会"]).tasks[0].responsibility
    assert known.cooperating_units == ["东湖高新区、武汉经开区管委会"]


def test_a_lone_division_word_is_a_group_with_a_warning_never_a_unit() -> None:
    plan = parse_text("1.推进工作。（督审处牵头，县级市配合）")
    assert plan.tasks[0].responsibility.unit_groups == ["县级市"]
    assert any("片段" in warning for warning in plan.warnings)


# --- properties: the same annotation written the ways documents vary reads the same ---------------------

_UNITS = ["注册处", "质量发展处", "信用监管处", "科信处", "湖北特检院", "省发展改革委"]
_DIVISION_GROUPS = ["区、县级市", "市、州、直管市、林区", "区、县级市市场监管局", "市、州人民政府"]
_QUALIFIERS = ["各", "有关", "相关", "所属"]


@st.composite
def _annotations(draw: st.DrawFn) -> tuple[str, str, list[str], list[str]]:
    """(annotation text, lead, cooperating units, groups) of one "（A牵头，B、C、各区、县级市分工负责）"."""
    lead = draw(st.sampled_from(_UNITS))
    others = draw(st.lists(st.sampled_from([u for u in _UNITS if u != lead]), unique=True, max_size=3))
    groups = [draw(st.sampled_from(_QUALIFIERS)) + group
              for group in draw(st.lists(st.sampled_from(_DIVISION_GROUPS), unique=True, max_size=2))]
    names = draw(st.permutations(others + groups))
    separators = [draw(st.sampled_from(["、", "，"])) for _ in names]
    listed = "".join(f"{sep if i else ''}{name}" for i, (sep, name) in enumerate(zip(separators, names, strict=True)))
    if names and names[-1] in groups and draw(st.booleans()):
        # "…、有关区、县级市等分工负责": the list ends with 等 after a group, which keeps it.
        groups[groups.index(names[-1])] += "等"
        names[-1] += "等"
        listed += "等"
    verb = draw(st.sampled_from(["分工负责", "配合", "按职责分工负责"]))
    opening, closing = draw(st.sampled_from([("（", "）"), ("(", ")"), ("（", ")"), ("(", "）")]))
    inner = f"{lead}牵头，{listed}{verb}" if names else f"{lead}牵头"
    return f"{opening}{inner}{closing}", lead, [n for n in names if n in others], [n for n in names if n in groups]


@_SETTINGS
@given(_annotations(), st.sampled_from(["。", "；", ""]))
def test_separators_brackets_and_qualifiers_do_not_change_the_reading(annotation, end) -> None:
    text, lead, cooperating, groups = annotation
    task = parse_text(f"1.全年完成检查200家以上{end}{text}").tasks[0]
    resp = task.responsibility
    assert resp.lead_units == [lead]
    assert resp.cooperating_units == cooperating
    assert resp.unit_groups == groups
    assert all(not is_fragment(name) for name in resp.roles())
    assert [r.code for r in resp.reasons[lead]] == ["verb-lead"]
    for name in groups:
        assert resp.roles()[name] == "cooperating" and resp.reasons[name][-1].code == "group-with-lead"
    assert [(t.kind, t.value) for t in task.targets] == [("target", 200)]


_GOALS = ["全年抽检食品{n}批次", "处置率达到{n}%", "培育{n}家示范企业", "覆盖率不低于{n}%"]
_CONDITIONS = ["可返还上年度缴纳费用的{n}%", "可申请最高不超过{n}万元的贷款", "对符合条件的企业给予{n}万元补贴",
               "优先支持{n}家符合条件的园区"]


@_SETTINGS
@given(st.sampled_from(_GOALS + _CONDITIONS), st.integers(1, 999), st.sampled_from(["（", "("]),
       st.sampled_from(["，推动工作落实", "", "，并按季度通报"]))
def test_a_quantity_keeps_its_kind_whatever_surrounds_it(sentence, number, bracket, tail) -> None:
    closing = "）" if bracket == "（" else ")"
    text = f"1.推进重点工作。{sentence.format(n=number)}{tail}。{bracket}甲处牵头，乙处配合{closing}"
    targets = parse_text(text).tasks[0].targets
    assert len(targets) == 1 and targets[0].value == number
    assert targets[0].kind == ("target" if sentence in _GOALS else "condition")
    assert targets[0].confidence == "certain"
