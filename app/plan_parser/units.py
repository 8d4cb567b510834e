"""Split a written list of units into concrete unit names and group references."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Endings of concrete organisation names; used to decide whether 和/及 joins two units
# ("督审处和相关业务处室") or is part of one name ("文化和旅游部", "中央和国家机关工委").
_UNIT_ENDING = re.compile(
    r"(处|室|局|院|委|部|厅|办|中心|所|会|站|队|组|校|司|行|社|署|府|单位|部门|机构|联|团|馆|科|股|班)$")
# Words that alone name no unit: "各有关部门和单位" must stay whole.
_BARE_GENERIC = re.compile(r"^(单位|部门|处室|机构|科室|组织|企业|人员|其他|其它)$")
_GROUP_MARKERS = re.compile(
    r"^各|有关|相关|成员|其他|其它|所属|下属|直属.*单位|的(处室|部门|单位|机构|科室)$|等")
_GENERIC_GOVERNMENT = re.compile(
    r"^(省|市|县|区|地方|各级|市县|省市县|省级|市级|县级|地市|基层)*(人民政府|政府|部门|单位|处室|机构|事业单位)$")
# Administrative-division words that qualify the next item ("各区、县级市", "市、州…市场监管局").
# Longest first: 县级市 must not be read as 县 followed by 级市.
_DIVISION = "(?:" + "|".join(sorted(
    ["省", "市", "州", "县", "区", "盟", "旗", "乡", "镇", "街道", "自治区", "直辖市", "县级市", "地级市", "直管市",
     "自治州", "自治县", "林区", "市州", "县区", "市县", "乡镇", "计划单列市", "新疆生产建设兵团"],
    key=len, reverse=True)) + ")"
# Words written in front of a group name: 各区、县级市 / 有关区、县级市 / 所属区、县级市 are one group.
_QUALIFIER = r"(?:各|有关|相关|所属|下属|其他|其它|全省|全市|各级)"
_DIVISION_ONLY = re.compile(rf"^{_QUALIFIER}?{_DIVISION}$")
# A division list such as "有关区、县级市（人民政府）" is one name, however it is listed around it.
_DIVISION_LIST = re.compile(
    rf"(?:(?<![\u4e00-\u9fff])|(?<=[和及与])){_QUALIFIER}?{_DIVISION}(?:[、/]{_DIVISION})+")
# An item that goes on a division list: a place and its division type first ("神农架林区市场监管局").
_PLACE_FIRST = re.compile(r"^[\u4e00-\u9fff]{2,4}?(?:林区|自治州|自治县|地区|市|州|县|区|盟|旗)"
                          r"(?:人民政府|政府|[\u4e00-\u9fff]{0,6}(?:局|部门))$")
# What follows a division list and belongs to every division in it: "市、州、县市场监管局" (or ends it: "…等").
_LOCAL_BODY = re.compile(r"等|人民政府|政府|市场监[管督]|[\u4e00-\u9fff]{0,4}(?:局|部门|单位|机关|机构)")
# Inside a protected name, 、 stands in as this private-use character until the list is split.
_KEPT_SEPARATOR = "\ue000"
_CONNECTOR = re.compile(r"以及|和|及(?!其)|与")
_LIST_SEPARATOR = re.compile(r"[、/／\s]")
_OPEN_PARENS, _CLOSE_PARENS = "(（", ")）"


@dataclass
class UnitList:
    """The names found in one written list, in document order."""

    units: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # units and groups interleaved as written
    open_ended: bool = False  # the list ends with a bare 等: more units than are named
    leads: list[str] = field(default_factory=list)  # names marked "（牵头）" inside the list


def is_group(name: str) -> bool:
    """True if a name refers to a set of units (各处室, 相关业务处室, 县级市 …) rather than one unit."""
    return bool(_GROUP_MARKERS.search(name) or _GENERIC_GOVERNMENT.match(name)
                or _BARE_GENERIC.match(name) or _DIVISION_ONLY.match(name))


def normalise_name(name: str) -> str:
    """Normalise whitespace and punctuation of a unit name, keeping its wording."""
    name = re.sub(r"\s+", "", name)
    name = name.replace("(", "（").replace(")", "）")
    return name.strip("、,，;；:：.。")


def split_top_level(text: str, separators: re.Pattern[str]) -> list[str]:
    """Split on separators that are not inside brackets or quotation marks."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in _OPEN_PARENS or char in "“《":
            depth += 1
        elif (char in _CLOSE_PARENS or char in "”》") and depth:
            depth -= 1
        elif depth == 0 and separators.match(char):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _protect(text: str, known: frozenset[str]) -> str:
    """Hide the 、 inside names that must stay whole: those the directory knows, and division lists."""
    for name in sorted(known, key=len, reverse=True):
        if "、" in name or "/" in name:
            text = text.replace(name, _hide(name))
    return _DIVISION_LIST.sub(_division_list, text)


def _hide(name: str) -> str:
    return name.replace("、", _KEPT_SEPARATOR).replace("/", "\ue001")


def _division_list(match: re.Match[str]) -> str:
    """The division list hidden; a last division word that starts another name ("…林区、省发展改革委") is left out."""
    written, after = match.group(0), match.string[match.end():]
    if after and "\u4e00" <= after[0] <= "\u9fff" and not _LOCAL_BODY.match(after):
        cut = max(written.rfind("、"), written.rfind("/"))
        head = written[:cut]
        return (_hide(head) if re.search("[、/]", head) else head) + written[cut:]
    return _hide(written)


def _unprotect(name: str) -> str:
    return name.replace(_KEPT_SEPARATOR, "、").replace("\ue001", "/")


def is_fragment(name: str) -> bool:
    """True for a bare division word ("县级市", "有关区"): a piece of a split name, never a unit of its own."""
    return bool(_DIVISION_ONLY.match(name))


def _merge_divisions(items: list[str]) -> list[str]:
    """Join division words with what follows: 各区、县级市 is one name, not two."""
    merged: list[str] = []
    carry = ""
    for item in items:
        if carry and re.match(_QUALIFIER, item):
            # "各区、县级市、各市、州…": a qualifier starts the next name.
            merged.append(carry)
            carry = ""
        if all(_DIVISION_ONLY.match(part) for part in re.split("[、\ue000\ue001]", item)):
            carry = f"{carry}、{item}" if carry else item
            continue
        if carry and not _PLACE_FIRST.match(item):
            # "各区、县级市、科信处": the division list is a group of its own, the unit comes next.
            merged.append(carry)
            carry = ""
        merged.append(f"{carry}、{item}" if carry else item)
        carry = ""
    if carry:
        merged.append(carry)
    return merged


def _qualifies(segment: str) -> bool:
    """Can this segment stand alone as a unit or group on one side of 和/及?"""
    core = segment[:-1] if segment.endswith("等") else segment
    if _BARE_GENERIC.match(core) or len(core) < 2:
        return False
    return is_group(core) or (len(core) >= 3 and bool(_UNIT_ENDING.search(core)))


def _split_connectors(item: str) -> list[str]:
    """Split "科信处和有许可审批职能的处室及信息中心" where both sides are whole names."""
    pieces = _CONNECTOR.split(item)
    if len(pieces) == 1:
        return [item]
    connectors = _CONNECTOR.findall(item)
    result = [pieces[0]]
    for connector, piece in zip(connectors, pieces[1:], strict=False):
        if _qualifies(result[-1]) and _qualifies(piece):
            result.append(piece)
        else:
            result[-1] = f"{result[-1]}{connector}{piece}"
    return result


def _add(found: UnitList, name: str) -> None:
    """Record one name as a unit or a group, keeping document order and no duplicates."""
    name = normalise_name(name)
    if not name or name in found.order:
        return
    found.order.append(name)
    (found.groups if is_group(name) else found.units).append(name)


def _add_item(found: UnitList, item: str) -> None:
    """Record one list item, separating "A等相关处室" into unit A and group 相关处室."""
    lead_marked = re.search(r"[(（]牵头[)）]$", item)
    if lead_marked:
        item = item[:lead_marked.start()]
        found.leads.append(normalise_name(item))
    head, sep, tail = item.partition("等")
    # Only "unit等…" is a list ending; 高等院校 or "…成员等处室" are one name.
    if not sep or is_group(head) or not _UNIT_ENDING.search(head):
        _add(found, item)
        return
    _add(found, head)
    if not tail or _BARE_GENERIC.match(tail):
        # "A、B等" / "A、B等部门": unnamed others; the caller warns instead of inventing a group.
        found.open_ended = True
    else:
        _add(found, tail)


def split_units(text: str, known: frozenset[str] = frozenset()) -> UnitList:
    """Split a written unit list into concrete units and group references.

    Names in ``known`` (from the directory) and division lists such as "有关区、县级市" are recognised
    before the list is split at 、, so they stay one name.
    """
    found = UnitList()
    protected = _protect(normalise_name(text), known)
    items = _merge_divisions([normalise_name(i) for i in split_top_level(protected, _LIST_SEPARATOR)])
    for item in items:
        whole = _unprotect(item) in known
        for piece in [item] if whole else _split_connectors(item):
            _add_item(found, _unprotect(piece))
    return found
