"""The scoring policy (评分规则): a documented TOML file, copied per plan and edited as new versions.

The default lives in ``app/data/scoring_policy.toml`` with every rule explained. A plan gets
its own copy (version 1) the first time it is scored; each save validates the text and adds
a version, so a frozen evaluation always points at the exact rules it was computed with.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import Plan, Priority, ResponsibilityRole, ScoringPolicyVersion, User
from app.services.infrastructure import audit

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "data" / "scoring_policy.toml"

#: Every section and key the format knows, with the Chinese name errors use.
_KEYS: dict[str, dict[str, str]] = {
    "score": {"base": "基础分", "floor": "得分下限", "ceiling": "得分上限"},
    "timeliness": {"per_overdue_working_day": "每逾期工作日扣分", "cap": "逾期扣分上限"},
    "quality": {"excellent": "优", "good": "良", "fair": "中", "poor": "差"},
    "attainment": {"bands": "完成率档位", "not_reported": "未报送实际值", "cap": "目标完成扣分上限"},
    "returns": {"decomposition_review": "分解审核退回", "report_review": "报送审核退回",
                "head_signoff": "负责人审签退回", "cap": "退回扣分上限"},
    "rectification": {"per_rectification": "每项整改扣分", "cap": "整改扣分上限"},
    "urge": {"per_urge": "每次催办扣分", "cap": "催办扣分上限"},
    "assessment": {"role_weights": "角色权重", "priority_weights": "督办等级权重"},
}
#: Yes/no rules, with their Chinese name and the value a version saved before the rule existed keeps.
_FLAGS: dict[tuple[str, str], tuple[str, bool]] = {
    ("attainment", "cooperating_shares_targets"): ("配合单位分担目标完成扣分", True),
    ("assessment", "overdue_ranks_last"): ("有逾期未办事项的单位排在其他单位之后", True),
    ("assessment", "suspended_scored"): ("中止的任务按中止时的得分计入考核", False),
}
#: Whole-number rules with their Chinese name, allowed range and the value a version saved before the rule
#: existed keeps (its section may be missing altogether).
_COUNTS: dict[tuple[str, str], tuple[str, int, int, int]] = {
    ("appeal", "window_working_days"): ("申诉期限(工作日)", 1, 60, 10),
}
#: Keys whose value may not be negative (deductions are written as positive numbers).
_NON_NEGATIVE = {"timeliness", "returns", "rectification", "urge"}


@dataclass(frozen=True)
class Band:
    """Attainment ratio at least ``at_least`` gives ``points``."""

    at_least: Decimal
    points: Decimal


@dataclass(frozen=True)
class ScoringPolicy:
    """A validated policy; deductions and caps are positive numbers."""

    base: Decimal
    floor: Decimal
    ceiling: Decimal
    per_overdue_day: Decimal
    timeliness_cap: Decimal
    quality_points: dict[str, Decimal]
    bands: tuple[Band, ...]
    not_reported: Decimal
    attainment_cap: Decimal
    return_points: dict[str, Decimal]
    returns_cap: Decimal
    per_rectification: Decimal
    rectification_cap: Decimal
    per_urge: Decimal
    urge_cap: Decimal
    role_weights: dict[ResponsibilityRole, Decimal]
    priority_weights: dict[Priority, Decimal]
    #: A cooperating unit is scored on the task's targets like its lead.
    cooperating_shares_targets: bool = True
    #: A unit with an overdue step still not done ranks after every unit without one, whatever its score.
    overdue_ranks_last: bool = True
    #: Working days, from the day a line's cause happened, within which the unit may appeal it.
    appeal_window: int = 10
    #: A suspended (中止) task keeps its score as of the suspension (frozen), instead of leaving the assessment.
    suspended_scored: bool = False

    def weight(self, role: ResponsibilityRole, priority: Priority) -> Decimal:
        """A task's weight in a unit's annual score."""
        return self.role_weights[role] * self.priority_weights[priority]


def default_text() -> str:
    """The documented default policy."""
    return DEFAULT_POLICY_PATH.read_text("utf-8")


def parse_policy(text: str) -> ScoringPolicy:
    """Validate TOML text and build the policy.

    :raises ValidationFailed: not TOML, or a rule missing, unknown, of the wrong type or out of range
        (every problem listed, in Chinese).
    """
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise ValidationFailed(f"评分规则不是有效的 TOML 格式:{error}。") from error
    problems = _shape_problems(raw)
    if not problems:
        problems = _range_problems(raw)
    if problems:
        raise ValidationFailed("评分规则有误:" + ";".join(problems) + "。")
    return _build(raw)


def _shape_problems(raw: dict[str, Any]) -> list[str]:
    optional = {section for section, _ in _COUNTS}
    problems = [f"未知的设置节 [{name}]" for name in raw if name not in _KEYS and name not in optional]
    problems += _count_problems(raw)
    for section, keys in _KEYS.items():
        table = raw.get(section)
        if not isinstance(table, dict):
            problems.append(f"缺少设置节 [{section}]")
            continue
        flags = {key: label for (where, key), (label, _) in _FLAGS.items() if where == section}
        problems += [f"[{section}] 中未知的设置项 {key}" for key in table if key not in keys and key not in flags]
        problems += [f"[{section}] {key}({label})必须是 true 或 false" for key, label in flags.items()
                     if key in table and not isinstance(table[key], bool)]
        for key, label in keys.items():
            if key not in table:
                problems.append(f"[{section}] 缺少 {key}({label})")
            elif key not in ("bands", "role_weights", "priority_weights") and not _is_number(table[key]):
                problems.append(f"[{section}] {key}({label})必须是数字")
    if not problems:
        problems += _weight_problems(raw["assessment"]) + _band_shape_problems(raw["attainment"]["bands"])
    return problems


def _count_problems(raw: dict[str, Any]) -> list[str]:
    """The whole-number rules: optional, but a whole number in range when given; nothing else in their section."""
    problems = []
    for section in {section for section, _ in _COUNTS} - _KEYS.keys():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            problems.append(f"[{section}] 必须是设置节")
            continue
        problems += [f"[{section}] 中未知的设置项 {key}" for key in table if (section, key) not in _COUNTS]
    for (section, key), (label, low, high, _) in _COUNTS.items():
        value = raw.get(section, {}).get(key, low) if isinstance(raw.get(section, {}), dict) else low
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(f"[{section}] {key}({label})必须是 {low} 到 {high} 之间的整数")
    return problems


def _is_number(value: object) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _weight_problems(table: dict[str, Any]) -> list[str]:
    problems = []
    for key, members in (("role_weights", ResponsibilityRole), ("priority_weights", Priority)):
        weights = table[key]
        if not isinstance(weights, dict):
            problems.append(f"[assessment.{key}] 必须是设置节")
            continue
        names = {m.value for m in members}
        problems += [f"[assessment.{key}] 缺少 {n}" for n in sorted(names - weights.keys())]
        problems += [f"[assessment.{key}] 中未知的设置项 {n}" for n in sorted(weights.keys() - names)]
        problems += [f"[assessment.{key}] {n} 必须是大于 0 的数字" for n, w in weights.items()
                     if n in names and (not _is_number(w) or w <= 0)]
    return problems


def _band_shape_problems(bands: object) -> list[str]:
    if not isinstance(bands, list) or not bands:
        return ["[attainment] bands(完成率档位)必须是非空列表"]
    for number, band in enumerate(bands, 1):
        if not isinstance(band, dict) or set(band) != {"at_least", "points"} \
                or not all(_is_number(v) for v in band.values()):
            return [f"[attainment] 第 {number} 个档位必须写成 {{ at_least = 数字, points = 数字 }}"]
    return []


def _range_problems(raw: dict[str, Any]) -> list[str]:
    problems = [f"[{section}] {key}({_KEYS[section][key]})不能为负数,扣分请写正数"
                for section in _NON_NEGATIVE for key, value in raw[section].items()
                if (section, key) not in _FLAGS and value < 0]
    problems += ["[attainment] cap(目标完成扣分上限)不能为负数"] if raw["attainment"]["cap"] < 0 else []
    problems += [f"{where} 最多保留两位小数" for where, value in _points(raw) if _decimals(value) > 2]
    score = raw["score"]
    if not score["floor"] <= score["base"] <= score["ceiling"]:
        problems.append("[score] 须满足 得分下限 ≤ 基础分 ≤ 得分上限")
    thresholds = [band["at_least"] for band in raw["attainment"]["bands"]]
    if thresholds != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
        problems.append("[attainment] 档位须按 at_least 从高到低排列且不重复")
    if thresholds[-1] != 0:
        problems.append("[attainment] 最后一个档位的 at_least 必须为 0,以便任何完成率都有档位")
    return problems


def _points(raw: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """Every score or weight of the policy (not the attainment thresholds), with where it is written."""
    found = [(f"[{section}] {key}", value) for section, table in raw.items() if section in _KEYS
             and section != "assessment"
             for key, value in table.items() if key != "bands" and (section, key) not in _FLAGS]
    found += [(f"[attainment] 第 {n} 个档位的 points", band["points"])
              for n, band in enumerate(raw["attainment"]["bands"], 1)]
    found += [(f"[assessment.{group}] {key}", value) for group in ("role_weights", "priority_weights")
              for key, value in raw["assessment"][group].items()]
    return found


def _decimals(value: int | Decimal) -> int:
    exponent = Decimal(value).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _build(raw: dict[str, Any]) -> ScoringPolicy:
    d = {section: {k: v for k, v in table.items()} for section, table in raw.items()}
    weights = d["assessment"]
    flags = {key: bool(d[section].get(key, default)) for (section, key), (_, default) in _FLAGS.items()}
    counts = {key: int(d.get(section, {}).get(key, default)) for (section, key), (*_, default) in _COUNTS.items()}
    return ScoringPolicy(
        base=Decimal(d["score"]["base"]), floor=Decimal(d["score"]["floor"]), ceiling=Decimal(d["score"]["ceiling"]),
        per_overdue_day=Decimal(d["timeliness"]["per_overdue_working_day"]),
        timeliness_cap=Decimal(d["timeliness"]["cap"]),
        quality_points={k: Decimal(v) for k, v in d["quality"].items()},
        bands=tuple(Band(Decimal(b["at_least"]), Decimal(b["points"])) for b in d["attainment"]["bands"]),
        not_reported=Decimal(d["attainment"]["not_reported"]), attainment_cap=Decimal(d["attainment"]["cap"]),
        return_points={k: Decimal(v) for k, v in d["returns"].items() if k != "cap"},
        returns_cap=Decimal(d["returns"]["cap"]),
        per_rectification=Decimal(d["rectification"]["per_rectification"]),
        rectification_cap=Decimal(d["rectification"]["cap"]),
        per_urge=Decimal(d["urge"]["per_urge"]), urge_cap=Decimal(d["urge"]["cap"]),
        role_weights={ResponsibilityRole(k): Decimal(v) for k, v in weights["role_weights"].items()},
        priority_weights={Priority(k): Decimal(v) for k, v in weights["priority_weights"].items()},
        cooperating_shares_targets=flags["cooperating_shares_targets"],
        overdue_ranks_last=flags["overdue_ranks_last"],
        appeal_window=counts["window_working_days"],
        suspended_scored=flags["suspended_scored"],
    )


def current_version(plan_id: int) -> ScoringPolicyVersion | None:
    """The plan's policy in force, or None while it still uses the default file."""
    return db.session.scalar(select(ScoringPolicyVersion).where(ScoringPolicyVersion.plan_id == plan_id)
                             .order_by(ScoringPolicyVersion.version.desc()).limit(1))


def version_in_force(plan_id: int, moment: datetime) -> ScoringPolicyVersion | None:
    """The plan's policy version in force at ``moment`` (None: the default file was)."""
    return versions_in_force([plan_id], moment).get(plan_id)


def current_versions(plan_ids: Iterable[int]) -> dict[int, ScoringPolicyVersion]:
    """Each plan's policy in force, for the plans that have one (the others use the default file)."""
    return versions_in_force(plan_ids)


def versions_in_force(plan_ids: Iterable[int], moment: datetime | None = None) -> dict[int, ScoringPolicyVersion]:
    """Each plan's policy in force at ``moment`` (default: now), for the plans that had one then."""
    ids = list(plan_ids)
    if not ids:
        return {}
    newest = select(ScoringPolicyVersion.plan_id, func.max(ScoringPolicyVersion.version).label("version")) \
        .where(ScoringPolicyVersion.plan_id.in_(ids))
    if moment is not None:
        newest = newest.where(ScoringPolicyVersion.created_at <= moment)
    newest_sq = newest.group_by(ScoringPolicyVersion.plan_id).subquery()
    rows = db.session.scalars(select(ScoringPolicyVersion).join(newest_sq, and_(
        newest_sq.c.plan_id == ScoringPolicyVersion.plan_id, newest_sq.c.version == ScoringPolicyVersion.version)))
    return {row.plan_id: row for row in rows}
def policy_text(plan_id: int) -> str:
    """The TOML text in force for the plan."""
    version = current_version(plan_id)
    return version.text if version else default_text()


def ensure_version(plan_id: int, actor: User | None) -> ScoringPolicyVersion:
    """The version in force, copying the default file as version 1 the first time (to freeze scores with)."""
    version = current_version(plan_id)
    if version is None:
        version = _add_version(plan_id, 1, default_text(), "默认评分规则", actor)
    return version


def save_policy(plan: Plan, text: str, note: str | None, based_on: int, actor: User) -> ScoringPolicyVersion:
    """Validate and store a new version of the plan's policy.

    :raises ValidationFailed: the text is not a valid policy (nothing is stored).
    :raises InvalidTransition: someone saved another version since the editor loaded ``based_on``.
    """
    parse_policy(text)
    current = db.session.scalar(select(func.max(ScoringPolicyVersion.version))
                                .where(ScoringPolicyVersion.plan_id == plan.id)) or 0
    if current != based_on:
        raise InvalidTransition(f"评分规则已被他人修改(现为第 {current} 版),请刷新页面后在最新版本上修改。")
    return _add_version(plan.id, current + 1, text, (note or "").strip() or None, actor)


def _add_version(plan_id: int, number: int, text: str, note: str | None, actor: User | None) -> ScoringPolicyVersion:
    version = ScoringPolicyVersion(plan_id=plan_id, version=number, text=text, note=note, created_by=actor)
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "scoring_policy", plan_id, "policy_saved", after={"version": number, "note": note})
    return version


def versions(plan_id: int) -> list[ScoringPolicyVersion]:
    """Every saved version of the plan's policy, newest first."""
    return list(db.session.scalars(select(ScoringPolicyVersion).where(ScoringPolicyVersion.plan_id == plan_id)
                                   .order_by(ScoringPolicyVersion.version.desc())))
