"""Find quantitative targets ("23万批次", "不低于35%", "25个行业以上") in a task's text."""

from __future__ import annotations

import math
import re

from .model import Target
from .quantity_kinds import classify

# Longest first, so 个百分点 wins over 个 and 批次 over 批.
_UNITS = sorted(
    ["个百分点", "百分点", "个工作日", "工作日", "批次", "人次", "户次", "家次", "件次", "项次",
     "万元", "亿元", "平方公里", "平方米", "公里", "千米", "%", "％", "‰",
     "个", "项", "名", "家", "套", "件", "次", "人", "元", "户", "所", "座", "条", "台", "场", "期",
     "批", "篇", "份", "天", "吨", "亩", "辆", "本", "类", "款", "种", "支", "只", "起", "宗", "例",
     "倍", "张", "册", "部", "处", "棵", "株", "头", "间", "栋", "床", "米"],
    key=len, reverse=True)
_UNIT_ALT = "|".join(re.escape(u) for u in _UNITS)
_PER = r"(?:/(?:[千万百]?(?:人|户|家|企业|人口)|年|月))?"
# A number, an optional 万/亿 multiplier, then a unit. "第5项" is an ordinal and "6个月" a
# duration (a deadline, not a target), so the look-behind and look-ahead keep them out.
_QUANTITY = re.compile(
    rf"(?<![\d.A-Za-z第])(?P<number>\d+(?:\.\d+)?)\s*(?P<multiplier>[万亿]?)\s*"
    rf"(?P<unit>{_UNIT_ALT})(?P<per>{_PER})(?!月|年|\d)")
_AT_LEAST = ("不低于", "不少于", "至少", "不小于", "超过", "高于", "多于", "大于")
_AT_MOST = ("不超过", "不高于", "不多于", "不大于", "低于", "少于", "小于", "控制在", "压缩至", "压缩到")
_EQUAL = ("达到", "达", "实现")
_SUFFIX_AT_LEAST = re.compile(r"^[\u4e00-\u9fff]{0,6}?(?:及|或)?以上")
_SUFFIX_AT_MOST = re.compile(r"^(?:[\u4e00-\u9fff]{0,6}?(?:以内|以下|之内)|内)")
_CLAUSE_END = "，,。；;：:！？!?\n"
_MULTIPLIERS = {"": 1, "万": 10_000, "亿": 100_000_000}
_TARGET_LIMIT = 10**14
# A unit character that starts a longer word is no unit: 121人才, 3部门, 5项目, 2家庭.
_WORD_STARTS = {"人": "才员民大口工身群社力事均", "家": "庭电具长族乡属", "名": "单称牌录义",
                "项": "目", "部": "门分署队位", "处": "理室置", "所": "有在属以得谓",
                "台": "账阶", "期": "间限", "条": "件例", "本": "地级市省着身", "种": "类植",
                "起": "草诉", "场": "所景", "座": "谈", "例": "如", "类": "型", "件": "事",
                "次": "数", "元": "素", "支": "持付撑", "批": "准复示", "头": "条", "米": "面"}


def _value(number: str, multiplier: str) -> int | float:
    """Numeric value with the 万/亿 multiplier applied; ints stay ints."""
    value = float(number) * _MULTIPLIERS[multiplier]
    return int(value) if value.is_integer() else value


def _storable(value: int | float) -> bool:
    """A target is stored as NUMERIC(20, 6): a number of 15 digits or more is no target it can hold."""
    return math.isfinite(value) and abs(value) < _TARGET_LIMIT


def _clause_bounds(text: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """The clause around [start, end): between the nearest clause punctuation marks."""
    left = max(text.rfind(ch, 0, start) for ch in _CLAUSE_END) + 1
    rights = [pos for pos in (text.find(ch, end) for ch in _CLAUSE_END) if pos != -1]
    right = min([*rights, limit])
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return left, right


def _comparator(text: str, match: re.Match[str], clause_end: int) -> str | None:
    """Read the comparator from the words right before or after the quantity."""
    before = text[max(0, match.start() - 4):match.start()]
    # Longest word wins: 不低于 (>=) must not be read as 低于 (<=).
    words = [(len(w), op) for op, group in ((">=", _AT_LEAST), ("<=", _AT_MOST))
             for w in group if before.endswith(w)]
    if words:
        return max(words)[1]
    after = text[match.end():clause_end]
    if _SUFFIX_AT_LEAST.match(after) and not re.match(r"^\D*\d", after[:8]):
        return ">="
    if _SUFFIX_AT_MOST.match(after) and not re.match(r"^\D*\d", after[:8]):
        return "<="
    if before.endswith(_EQUAL):
        return "="
    return None


def _starts_word(text: str, match: re.Match[str]) -> bool:
    """True when the unit character is really the start of a word (人才, 部门 …)."""
    if match.group("per"):
        return False
    following = text[match.end():match.end() + 1]
    return bool(following) and following in _WORD_STARTS.get(match.group("unit"), "")


def find_targets(text: str, exclude: list[tuple[int, int]] | None = None) -> list[Target]:
    """Return the targets in text, skipping `exclude` spans (the unit annotations)."""
    targets: list[Target] = []
    for match in _QUANTITY.finditer(text):
        if any(start <= match.start() < end for start, end in exclude or []):
            continue
        if _starts_word(text, match):
            continue
        multiplier, unit = match.group("multiplier"), match.group("unit")
        if not _storable(_value(match.group("number"), multiplier)):
            continue
        if unit == "元" and multiplier:
            # 15万元 is a sum in the unit 万元, not 150000 of something.
            unit, multiplier = multiplier + unit, ""
        # A clause without punctuation before the annotation must not swallow it.
        limit = min([len(text)] + [start for start, _ in exclude or [] if start >= match.end()])
        left, right = _clause_bounds(text, match.start(), match.end(), limit)
        comparator = _comparator(text, match, right)
        kind, confidence, reasons = classify(text, match.span(), (left, right), comparator)
        targets.append(Target(
            value=_value(match.group("number"), multiplier),
            unit=unit.replace("％", "%") + match.group("per"),
            comparator=comparator,
            phrase=text[left:right],
            span=(left, right),
            kind=kind, confidence=confidence, reasons=reasons,
        ))
    return targets
