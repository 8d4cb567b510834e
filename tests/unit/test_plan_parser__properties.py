"""Property-based checks: parse_text never raises, and target spans are always exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.plan_parser import ParsedPlan, parse_text

# Characters that make the parser take its interesting paths: numbering, brackets,
# separators, role words, digits, units and comparators.
_PLAN_ALPHABET = st.sampled_from(list(
    "一二三四五六七八九十百零（）()、，,。；;：:\n 0123456789.．%％万亿个项批次名家套"
    "牵头负责分工配合单位处室局各有关相关等和及会同不低于以上达到不超过以内第位为下同《》“”\t\u3000"))
_FRAGMENTS = st.sampled_from([
    "一、", "（一）", "(二)", "1.", "2、", "11.121", "（1）", "①", "牵头", "分工负责", "负责", "配合",
    "牵头单位：", "责任单位:", "排在第一位的为牵头单位，下同", "各处室", "相关业务处室", "等", "和", "及",
    "不低于35%", "90%以上", "23万批次", "10批次/千人", "达到100%", "\n", "。", "（", "）", "、", "2023年2月3日",
])
_PLANLIKE = st.lists(st.one_of(_FRAGMENTS, st.text(_PLAN_ALPHABET, max_size=8)), max_size=60).map("".join)
_SETTINGS = settings(max_examples=300, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _check_plan(plan: ParsedPlan) -> None:
    data = plan.to_dict()
    assert list(data) == ["title", "sections", "tasks", "warnings"]
    for task in data["tasks"]:
        assert list(task) == ["number", "section", "title", "text", "lead_units", "responsible_units",
                              "cooperating_units", "unit_groups", "targets", "unit_reasons"]
        assert set(task["lead_units"]) <= set(task["responsible_units"])
        for target in task["targets"]:
            start, end = target["span"]
            assert 0 <= start <= end <= len(task["text"])
            assert task["text"][start:end] == target["phrase"]
            assert target["comparator"] in (">=", "=", "<=", None)
            assert isinstance(target["value"], (int, float))


@_SETTINGS
@given(st.text())
def test_parse_text_never_raises_on_arbitrary_text(text: str) -> None:
    _check_plan(parse_text(text))


@_SETTINGS
@given(_PLANLIKE)
def test_plan_like_text_parses_with_exact_target_spans(text: str) -> None:
    _check_plan(parse_text(text))


@_SETTINGS
@given(st.lists(st.tuples(_PLANLIKE, st.sampled_from(["（A处牵头，B处分工负责）", "(C处负责)", ""])),
                min_size=1, max_size=8))
def test_numbered_tasks_with_annotations(parts: list[tuple[str, str]]) -> None:
    text = "\n".join(f"{i + 1}.{body}{annotation}" for i, (body, annotation) in enumerate(parts))
    _check_plan(parse_text(text))
