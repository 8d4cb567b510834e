"""Read responsibility annotations such as "（A牵头，B、C分工负责）" into unit roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import COOPERATING, LEAD, RESPONSIBLE, Reason, Responsibility
from .units import UnitList, split_top_level, split_units

# "排在第一位的部门为牵头部门" / "列第一的为牵头责任处室" / "列第一位者为牵头单位".
LEAD_RULE = re.compile(r"(?:排在|排名|位列|列于?|排)?(?:第一|首)位?(?:的|者)?"
                       r"[\u4e00-\u9fff]{0,4}?为牵头[\u4e00-\u9fff]{0,6}")
_LABEL = re.compile(r"^(牵头|主责|责任|主办|承办|配合|协办|协作|参与|协助)(单位|部门|处室|科室)[:：]?")
_LABEL_ROLES = {"牵头": LEAD, "主责": RESPONSIBLE, "责任": RESPONSIBLE, "主办": RESPONSIBLE,
                "承办": RESPONSIBLE}
_VERB_SUFFIXES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (LEAD, re.compile(r"牵头(?:负责|落实|抓总)?$")),
    (RESPONSIBLE, re.compile(r"(?:按照?职责分工|按职责|按分工|分工|共同|分别|各自|具体|依职责)?负责(?:落实)?$")),
    (COOPERATING, re.compile(r"(?:积极|共同|按职责)?(?:配合|协助|参与|协办)(?:落实|实施)?$")),
)
_CLAUSE_SEPARATOR = re.compile(r"[,，;；。]")
# A labelled annotation written as its own line or trailing sentence, without brackets.
_INLINE_LABEL = re.compile(r"(?:^|(?<=[。；;]))\s*(?:牵头|责任|主责)(?:单位|部门|处室)[:：]")


@dataclass
class ParsedAnnotation:
    """Units of one annotation by role, before document-level rules are applied."""

    by_role: dict[str, UnitList] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)  # (name, role) as written
    open_ended: bool = False
    unassigned: list[str] = field(default_factory=list)  # names with no role verb
    sources: dict[str, Reason] = field(default_factory=dict)  # name -> the words that gave it its role

    def units(self, role: str) -> list[str]:
        """Concrete units with this role, in document order."""
        return self.by_role[role].units if role in self.by_role else []


_LEAD_MARKER = Reason("lead-marker", "名称后注明“（牵头）”")
_JOINT = Reason("joint-partner", "写在“会同”之后，与牵头单位共同办理，为配合单位")
_NO_ROLE_WORD = Reason("no-role-word", "标注中未写明牵头、负责或配合，按负责单位读取")


def _record(parsed: ParsedAnnotation, names: str, role: str, reason: Reason,
            known: frozenset[str] = frozenset()) -> None:
    """Split a written list and file its names under a role, remembering the words that decided it."""
    found = split_units(names, known)
    target = parsed.by_role.setdefault(role, UnitList())
    for name in found.order:
        marked_lead = name in found.leads
        actual = LEAD if marked_lead else role
        bucket = parsed.by_role.setdefault(actual, UnitList()) if marked_lead else target
        if name in bucket.order:
            continue
        bucket.order.append(name)
        (bucket.groups if name in found.groups else bucket.units).append(name)
        parsed.order.append((name, actual))
        parsed.sources.setdefault(name, _LEAD_MARKER if marked_lead else reason)
    parsed.open_ended |= found.open_ended


def _clause_role(clause: str) -> tuple[str | None, str, Reason]:
    """Return (role, names, reason) for a clause; the role is None when the clause names none."""
    label = _LABEL.match(clause)
    if label:
        role = _LABEL_ROLES.get(label.group(1), COOPERATING)
        return role, clause[label.end():], Reason(f"label-{role}", f"列在“{label.group(0).rstrip(':：')}”之下")
    for role, suffix in _VERB_SUFFIXES:
        match = suffix.search(clause)
        if match and match.start() > 0:
            return role, clause[:match.start()], Reason(f"verb-{role}", f"标注为“{match.group(0)}”")
    return None, clause, _NO_ROLE_WORD


def _parse_clause(parsed: ParsedAnnotation, clause: str, pending: list[str], known: frozenset[str]) -> None:
    """Parse one clause; names without a role wait for the next clause's verb."""
    role, names, reason = _clause_role(clause)
    if role is None:
        pending.append(names)
        return
    lead_part, joint, partner = names.partition("会同")
    if joint:
        # "A会同B负责": A answers for the task, B works with it.
        names = lead_part
    for waiting in pending:
        _record(parsed, waiting, role, reason, known)
    pending.clear()
    _record(parsed, names, role, reason, known)
    if joint:
        _record(parsed, partner, COOPERATING, _JOINT, known)


def parse_annotation(inner: str, known: frozenset[str] = frozenset()) -> ParsedAnnotation | None:
    """Parse the inside of an annotation; None if it states no responsibility at all.

    ``known`` holds compound names (with 、 inside) the directory knows: they are never split.
    """
    inner = re.sub(r"牵头(负责)?[、]", "牵头,", inner)
    parsed = ParsedAnnotation()
    pending: list[str] = []
    for clause in split_top_level(inner, _CLAUSE_SEPARATOR):
        clause = re.sub(r"\s+", "", clause)
        if LEAD_RULE.search(clause) or clause in ("下同", "以下同"):
            # The document-level rule is read from the whole text by the caller.
            continue
        _parse_clause(parsed, clause, pending, known)
    if not parsed.order:
        return None
    parsed.unassigned = [name for text in pending for name in split_units(text, known).order]
    for text in pending:
        _record(parsed, text, RESPONSIBLE, _NO_ROLE_WORD, known)
    return parsed


def find_annotations(text: str) -> list[tuple[int, int, str]]:
    """Locate annotation candidates in a task text as (start, end, inner) triples."""
    found: list[tuple[int, int, str]] = []
    offset = 0
    for line in text.split("\n"):
        candidate = _trailing_group(line) or _inline_label(line)
        if candidate:
            start, end, inner = candidate
            found.append((offset + start, offset + end, inner))
        offset += len(line) + 1
    return found


def _trailing_group(line: str) -> tuple[int, int, str] | None:
    """The bracketed group that ends a paragraph, matching ( with ） and vice versa."""
    end = len(line.rstrip(" 。.；;"))
    if end == 0 or line[end - 1] not in ")）":
        return None
    depth = 0
    for index in range(end - 1, -1, -1):
        if line[index] in ")）":
            depth += 1
        elif line[index] in "(（":
            depth -= 1
            if depth == 0:
                return index, end, line[index + 1:end - 1]
    return None


def _inline_label(line: str) -> tuple[int, int, str] | None:
    """An unbracketed "牵头单位：A；配合单位：B" sentence at the end of a paragraph."""
    match = _INLINE_LABEL.search(line)
    if not match:
        return None
    start = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
    end = len(line.rstrip(" 。.；;"))
    return start, end, line[start:end]


def has_annotation(paragraph: str) -> bool:
    """True if the paragraph ends with a responsibility annotation."""
    candidate = _trailing_group(paragraph) or _inline_label(paragraph)
    return candidate is not None and parse_annotation(candidate[2]) is not None


def merge(parsed: list[ParsedAnnotation]) -> ParsedAnnotation:
    """Combine several annotations of one task into one."""
    if len(parsed) == 1:
        return parsed[0]
    combined = ParsedAnnotation()
    for item in parsed:
        for name, role in item.order:
            # Each name is one whole name already: split it no further.
            _record(combined, name, role, item.sources.get(name, _NO_ROLE_WORD), frozenset([name]))
        combined.open_ended |= item.open_ended
        combined.unassigned += item.unassigned
    return combined


def resolve(parsed: ParsedAnnotation, lead_rule: str | None) -> tuple[Responsibility, list[str]]:
    """Turn parsed roles into lead/responsible/cooperating lists, each name with the reasons for its role;
    return warnings too. ``lead_rule`` is the document's "first listed leads" sentence when it applies."""
    warnings: list[str] = []
    leads = list(parsed.units(LEAD))
    responsible = list(parsed.units(RESPONSIBLE))
    cooperating = list(parsed.units(COOPERATING))
    rule: dict[str, Reason] = {}
    if leads:
        # With a named lead, the units "分工负责" work under it (SPEC: 分工负责 = cooperating).
        rule = dict.fromkeys(_unique(responsible, exclude=leads), Reason(
            "divided-under-lead", "已有牵头单位，其余负责单位在牵头单位组织下分工办理，为配合单位"))
        cooperating = _unique(responsible + cooperating, exclude=leads)
        responsible = list(leads)
    elif lead_rule:
        first = next((name for name, role in parsed.order if role == RESPONSIBLE), None)
        if first is not None and first in responsible:
            leads = [first]
            rule[first] = Reason("document-lead-rule", f"按文件“{lead_rule}”的规定，排在第一位，为牵头单位")
        elif first is not None and responsible:
            warnings.append(f"按“排在第一位的为牵头单位”的规定，首位“{first}”是单位组，无法确定牵头单位")
    elif len(responsible) == 1:
        # A single unit that answers for the task alone is its lead.
        leads = list(responsible)
        rule[responsible[0]] = Reason("sole-responsible", "是唯一的负责单位，视为牵头单位")
    elif responsible:
        rule = dict.fromkeys(responsible, Reason("co-responsible", "文件未指定牵头单位，几个单位共同负责"))
    groups = _unique([name for name, _ in parsed.order if name in _all_groups(parsed)])
    group_rule = Reason("group-with-lead", "是单位组，有牵头单位时作为配合") if leads else \
        Reason("group-without-lead", "是单位组，没有牵头单位时共同负责")
    resp = Responsibility(leads, responsible, cooperating, groups)
    for name in resp.roles():
        why = [parsed.sources[name]] if name in parsed.sources else []
        extra = group_rule if name in groups else rule.get(name)
        resp.reasons[name] = [*why, extra] if extra else why
    return resp, warnings


def _all_groups(parsed: ParsedAnnotation) -> set[str]:
    """Every group name mentioned in any role."""
    return {g for unit_list in parsed.by_role.values() for g in unit_list.groups}


def _unique(names: list[str], exclude: list[str] | None = None) -> list[str]:
    """Drop duplicates (and excluded names), keeping the first occurrence."""
    seen = set(exclude or [])
    result = []
    for name in names:
        if name not in seen:
            seen.add(name)
            result.append(name)
    return result
