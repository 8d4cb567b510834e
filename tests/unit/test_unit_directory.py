"""The unit directory data file: well-formed, and it covers every name the 2023 plan uses."""
from __future__ import annotations

import functools
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DIRECTORY_FILE = Path(__file__).resolve().parents[2] / "app" / "data" / "unit_directory.toml"

KINDS = {"处室", "直属单位", "机关党群", "议事协调机构"}
UNIT_KEYS = {"code", "name", "full_name", "kind", "aliases"}
GROUP_KEYS = {"name", "aliases", "members", "members_kind", "per_task"}

#: Every unit the responsibility annotations of the 2023 work points name (tasks 1–39, read one by one).
PLAN_2023_UNITS = (
    "机关党委",  # 1, 2, 4
    "机关纪委",  # 3, 4
    "办公室",  # 4, 32, 33
    "人事处",  # 4, 37
    "督审处",  # 4, 36
    "注册处",  # 5, 6, 7
    "科信处",  # 7, 11, 18–20, 22–25
    "信息中心",  # 7, 11, 18–20, 22–24
    "质量发展处",  # 8, 10–12, 16
    "质量监督处",  # 8, 11, 20, 24, 29
    "标准化处",  # 9, 13, 23, 29
    "认检处",  # 9, 15, 16, 29
    "省纤检局",  # 9, 20, 25
    "省计量院",  # 9, 25
    "省标质院",  # 9, 13, 23, 25, 33
    "广告处",  # 10, 30
    "消保处",  # 11, 24
    "12315指挥中心",  # 11
    "省消保中心",  # 11
    "计量处",  # 14, 16, 29
    "食品协调处",  # 17, 18
    "食品生产处",  # 17, 18
    "食品流通处",  # 17, 18
    "餐饮处",  # 17, 18
    "食品抽检处",  # 17, 18
    "食品稽查局",  # 17, 18, 30
    "省食检院",  # 17, 18, 25
    "特设处",  # 19, 24
    "湖北特检院",  # 19, 25
    "法规处",  # 21
    "信用处",  # 22
    "稽查处",  # 23, 29, 30
    "网监合同处",  # 23, 28, 30
    "培训中心",  # 25, 37
    "省质检院",  # 25
    "省电子院",  # 25
    "反垄断处",  # 26, 29
    "价监竞争处",  # 27, 31
    "宣传处",  # 34
    "财务处",  # 35
    "市场监管干校",  # 37
    "工会",  # 38
    "离退休处",  # 39
)

#: Every group phrase the annotations use (and the addressee line "省局各处室、各直属事业单位").
PLAN_2023_GROUPS = (
    "省局党的建设领导小组各成员单位",  # 1
    "各处室",  # 2, 3, 21, 32, 33
    "直属事业单位",  # 2, 3, 12, 21, 28, 32, 33
    "相关业务处室",  # 4, 8, 22
    "省局“小个专”党建工作领导小组各成员单位",  # 5
    "省局优化营商环境领导小组各成员单位",  # 6
    "有许可审批职能的处室",  # 7
    "相关处室",  # 9, 23, 29, 30, 31, 34
    "各相关业务处室",  # 12
    "各相关直属事业单位",  # 15
    "质量基础设施服务“51020”现代产业发展工作专班成员",  # 16
    "相关直属事业单位",  # 16
    "食品相关处室",  # 24
    "各相关处室",  # 28
    "稳价保质专项行动各成员单位",  # 31
    "省局意识形态责任制工作领导小组各成员单位",  # 34
    "省局各处室",  # addressee line
    "各直属事业单位",  # addressee line
)

#: Names in the plan's text (outside the annotations) that are units of the bureau.
PLAN_2023_TEXT_UNITS = (
    "湖北省市场监督管理局办公室",  # signature
    "省标准化工作领导小组办公室",  # 13
    "省局党的建设领导小组",  # 1
    "省局优化营商环境领导小组",  # 6
    "省局“小个专”党建工作领导小组",  # 5
    "省局意识形态责任制工作领导小组",  # 34
    "稳价保质专项行动",  # 31
    "质量基础设施服务“51020”现代产业发展工作专班",  # 16
)


@functools.cache
def _load() -> dict[str, Any]:
    with DIRECTORY_FILE.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture()
def directory() -> dict[str, Any]:
    """The parsed file (a local fixture: the test needs nothing from any conftest)."""
    return _load()


def _units(directory: dict[str, Any]) -> list[dict[str, Any]]:
    return directory.get("unit", [])


def _groups(directory: dict[str, Any]) -> list[dict[str, Any]]:
    return directory.get("group", [])


def _index(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every name and alias of ``entries``, mapped to its entry."""
    index: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for name in (entry["name"], *entry.get("aliases", ())):
            index[name] = entry
    return index


def test_organisation(directory: dict[str, Any]) -> None:
    assert directory["organisation"] == {"name": "湖北省市场监督管理局", "short_name": "省局", "code": "hubei"}


def test_units_have_exactly_the_expected_keys(directory: dict[str, Any]) -> None:
    assert _units(directory)
    for unit in _units(directory):
        assert set(unit) == UNIT_KEYS, unit
        assert isinstance(unit["aliases"], list), unit["name"]
        assert unit["name"] and unit["full_name"], unit


def test_groups_have_only_known_keys(directory: dict[str, Any]) -> None:
    assert _groups(directory)
    for group in _groups(directory):
        assert set(group) <= GROUP_KEYS, group
        assert "name" in group and isinstance(group.get("aliases", []), list), group


def test_unit_codes_are_unique_lowercase(directory: dict[str, Any]) -> None:
    codes = [unit["code"] for unit in _units(directory)]
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    for code in codes:
        assert re.fullmatch(r"[a-z0-9]+", code) and len(code) <= 30, code


def test_kinds_are_allowed(directory: dict[str, Any]) -> None:
    for unit in _units(directory):
        assert unit["kind"] in KINDS, unit["name"]
    for group in _groups(directory):
        if "members_kind" in group:
            assert group["members_kind"] in KINDS, group["name"]


def test_names_and_aliases_are_unique_across_units_and_groups(directory: dict[str, Any]) -> None:
    """The app resolves units and groups in one namespace: no string may answer to two entries."""
    owners: dict[str, list[str]] = {}
    for entry in (*_units(directory), *_groups(directory)):
        for name in {entry["name"], *entry.get("aliases", ())}:
            owners.setdefault(name, []).append(entry["name"])
    clashes = {name: who for name, who in owners.items() if len(who) > 1}
    assert clashes == {}
    for entry in (*_units(directory), *_groups(directory)):
        aliases = entry.get("aliases", [])
        assert len(aliases) == len(set(aliases)), entry["name"]
        assert entry["name"] not in aliases, entry["name"]


def test_names_contain_no_whitespace(directory: dict[str, Any]) -> None:
    """The app strips all whitespace from names, so a name with a space would change on load."""
    for entry in (*_units(directory), *_groups(directory)):
        for name in (entry["name"], entry.get("full_name", ""), *entry.get("aliases", ())):
            assert "".join(name.split()) == name, name


def test_full_name_is_an_alias_where_it_differs(directory: dict[str, Any]) -> None:
    """Lookup goes by name and alias only, so a full name must be an alias to resolve."""
    for unit in _units(directory):
        if unit["full_name"] != unit["name"]:
            assert unit["full_name"] in unit["aliases"], unit["name"]


def test_every_group_has_one_membership_rule(directory: dict[str, Any]) -> None:
    unit_names = {unit["name"] for unit in _units(directory)}
    for group in _groups(directory):
        name = group["name"]
        if group.get("per_task"):
            assert group["per_task"] is True, name
            assert "members" not in group, name
        else:
            assert "per_task" not in group, name
            assert ("members" in group) != ("members_kind" in group), name
        if "members" in group:
            members = group["members"]
            assert members, name
            assert len(members) == len(set(members)), name
            assert set(members) <= unit_names, (name, set(members) - unit_names)


def test_every_kind_group_has_members(directory: dict[str, Any]) -> None:
    kinds = {unit["kind"] for unit in _units(directory)}
    for group in _groups(directory):
        if "members_kind" in group and not group.get("per_task"):
            assert group["members_kind"] in kinds, group["name"]


@pytest.mark.parametrize("name", PLAN_2023_UNITS + PLAN_2023_TEXT_UNITS)
def test_plan_unit_resolves_to_a_unit(directory: dict[str, Any], name: str) -> None:
    assert name in _index(_units(directory)), name
    assert name not in _index(_groups(directory)), name


@pytest.mark.parametrize("phrase", PLAN_2023_GROUPS)
def test_plan_group_phrase_resolves_to_a_group(directory: dict[str, Any], phrase: str) -> None:
    assert phrase in _index(_groups(directory)), phrase
    assert phrase not in _index(_units(directory)), phrase


def test_plan_units_are_classified_as_expected(directory: dict[str, Any]) -> None:
    units = _index(_units(directory))
    kind = {name: units[name]["kind"] for name in PLAN_2023_UNITS}
    assert {n for n, k in kind.items() if k == "机关党群"} == {"机关党委", "机关纪委", "工会"}
    assert {n for n, k in kind.items() if k == "直属单位"} == {
        "信息中心", "12315指挥中心", "省消保中心", "培训中心", "市场监管干校", "省纤检局", "省计量院",
        "省标质院", "省食检院", "湖北特检院", "省质检院", "省电子院", "食品稽查局",
    }
    assert {n for n, k in kind.items() if k == "议事协调机构"} == set()


def test_full_names_of_the_institutes(directory: dict[str, Any]) -> None:
    units = _index(_units(directory))
    expected = {
        "省纤检局": "湖北省纤维检验局",
        "省纤维检验局": "湖北省纤维检验局",
        "省计量院": "湖北省计量测试技术研究院",
        "省标质院": "湖北省标准化与质量研究院",
        "省食检院": "湖北省食品质量安全监督检验研究院",
        "湖北特检院": "湖北省特种设备检验检测研究院",
        "省质检院": "湖北省产品质量监督检验研究院",
        "省电子院": "湖北省电子信息产品质量监督检验院",
        "省消保中心": "湖北省消费者权益保护中心",
        "科信处": "科技和信息化处",
        "认检处": "认证认可与检验检测处",
        "特设处": "特种设备安全监察处",
    }
    assert {name: units[name]["full_name"] for name in expected} == expected


def test_leading_groups_have_a_coordination_unit(directory: dict[str, Any]) -> None:
    """Every "X各成员单位"/"X成员" group names an X that is itself in the directory."""
    units = _index(_units(directory))
    for group in _groups(directory):
        match = re.fullmatch(r"(.+?)(各成员单位|成员)", group["name"])
        if match:
            assert units.get(match.group(1), {}).get("kind") == "议事协调机构", group["name"]

