"""Read responsibility annotations such as "（A牵头，B、C分工负责）" into unit roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Responsibility
from .units import UnitList, split_top_level, split_units

LEAD, RESPONSIBLE, COOPERATING = "lead", "responsible", "cooperating"

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

    def units(self, role: str) -> list[str]:
        """Concrete units with this role, in document order."""
        return self.by_role[role].units if role in self.by_role else []


def _record(parsed: ParsedAnnotation, names: str, role: str) -> None:
    """Split a written list and file its names under a role."""
    found = split_units(names)
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
    parsed.open_ended |= found.open_ended


def _clause_role(clause: str) -> tuple[str | None, str]:
    """Return (role, names) for a clause, or (None, clause) when it names no role."""
    label = _LABEL.match(clause)
    if label:
        return _LABEL_ROLES.get(label.group(1), COOPERATING), clause[label.end():]
    for role, suffix in _VERB_SUFFIXES:
        match = suffix.search(clause)
        if match and match.start() > 0:
            return role, clause[:match.start()]
    return None, clause


def _parse_clause(parsed: ParsedAnnotation, clause: str, pending: list[str]) -> None:
    """Parse one clause; names without a role wait for the next clause's verb."""
    role, names = _clause_role(clause)
    if role is None:
        pending.append(names)
        return
    lead_part, joint, partner = names.partition("会同")
    if joint:
        # "A会同B负责": A answers for the task, B works with it.
        names = lead_part
    for waiting in pending:
        _record(parsed, waiting, role)
    pending.clear()
    _record(parsed, names, role)
    if joint:
        _record(parsed, partner, COOPERATING)


def parse_annotation(inner: str) -> ParsedAnnotation | None:
    """Parse the inside of an annotation; None if it states no responsibility at all."""
    inner = re.sub(r"牵头(负责)?[、]", "牵头,", inner)
    parsed = ParsedAnnotation()
    pending: list[str] = []
    for clause in split_top_level(inner, _CLAUSE_SEPARATOR):
        clause = re.sub(r"\s+", "", clause)
        if LEAD_RULE.search(clause) or clause in ("下同", "以下同"):
            # The document-level rule is read from the whole text by the caller.
            continue
        _parse_clause(parsed, clause, pending)
    if not parsed.order:
        return None
    parsed.unassigned = [name for text in pending for name in split_units(text).order]
    for text in pending:
        _record(parsed, text, RESPONSIBLE)
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
            _record(combined, name, role)
        combined.open_ended |= item.open_ended
        combined.unassigned += item.unassigned
    return combined


def resolve(parsed: ParsedAnnotation, first_is_lead: bool) -> tuple[Responsibility, list[str]]:
    """Turn parsed roles into lead/responsible/cooperating lists; return warnings too."""
    warnings: list[str] = []
    leads = list(parsed.units(LEAD))
    responsible = list(parsed.units(RESPONSIBLE))
    cooperating = list(parsed.units(COOPERATING))
    if leads:
        # With a named lead, the units "分工负责" work under it (SPEC: 分工负责 = cooperating).
        cooperating = _unique(responsible + cooperating, exclude=leads)
        responsible = list(leads)
    elif first_is_lead:
        first = next((name for name, role in parsed.order if role == RESPONSIBLE), None)
        if first is not None and first in responsible:
            leads = [first]
        elif first is not None and responsible:
            warnings.append(f"按“排在第一位的为牵头单位”的规定，首位“{first}”是单位组，无法确定牵头单位")
    elif len(responsible) == 1:
        # A single unit that answers for the task alone is its lead.
        leads = list(responsible)
    groups = [name for name, _ in parsed.order if name in _all_groups(parsed)]
    return Responsibility(leads, responsible, cooperating, _unique(groups)), warnings


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
