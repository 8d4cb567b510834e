"""指标分解: a province-wide count split into each city's share by the 处室 that leads the task.

Dispatch gives every city an even share (rounded up); the leading 处室 (or 督审处) may set the shares by hand,
evenly again, or in proportion to a column it supplies (population, last year's figure). The shares must add
up to at least the provincial figure. A rate (100%, 10批次/千人) is every city's own threshold: never split.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import Organisation, Plan, PlanTarget, PlanTask, ResponsibilityRole, Role, User
from app.models.user import UNIT_ROLES
from app.services.infrastructure import audit, visibility
from app.services.plans.dispatch import is_rate

#: Names and numbers on one line of a pasted or uploaded column: "武汉市,1232.9" or "武汉市	1232.9".
LINE = re.compile(r"^\s*(?P<name>[^,，\t ]+)[,，\t ]+(?P<value>[0-9][0-9,]*(?:\.[0-9]+)?)\s*$")


@dataclass(frozen=True)
class Share:
    """One city's share of a provincial target: its copy of the target and its current value."""

    organisation: Organisation
    target: PlanTarget


def shares(target: PlanTarget) -> list[Share]:
    """The cities' copies of ``target`` (same task text, same place in it), in directory order."""
    rows = db.session.execute(
        select(Organisation, PlanTarget).join(Plan, Plan.organisation_id == Organisation.id)
        .join(PlanTask, PlanTask.plan_id == Plan.id).join(PlanTarget, PlanTarget.task_id == PlanTask.id)
        .where(PlanTask.parent_task_id == target.task_id, PlanTarget.span_start == target.span_start)
        .order_by(Organisation.id)).all()
    return [Share(organisation, copy) for organisation, copy in rows]


def may_split(target: PlanTarget, user: User) -> bool:
    """True when the form shows: a count dispatched to the cities, and the user its 处室 or 督审处."""
    return _refusal(target, user) is None and bool(shares(target))


def ensure_may_open(target: PlanTarget, user: User) -> None:
    """:raises PermissionDenied: the user is neither 督审处 nor the lead 处室 of the target's provincial task."""
    if refusal := _not_allowed(target, user):
        raise refusal


def _not_allowed(target: PlanTarget, user: User) -> PermissionDenied | None:
    task = target.task
    if visibility.organisation_id_of(user) != task.plan.organisation_id:
        return PermissionDenied("该内容属于其他机构,只能由该机构办理。")
    leads = {r.unit_id for r in task.responsibilities if r.role is ResponsibilityRole.LEAD and r.unit_id}
    if not (user.has_role(Role.SUPERVISOR) or (user.has_role(*UNIT_ROLES) and user.unit_id in leads)):
        return PermissionDenied("只有牵头处室或督审处可以分解该指标。")
    return None


def _refusal(target: PlanTarget, user: User) -> PermissionDenied | ValidationFailed | None:
    if refusal := _not_allowed(target, user):
        return refusal
    if is_rate(target) or target.comparator == "<=":
        return ValidationFailed("比率类和上限类指标按原值下达各市州,不作分解。")
    return None


def split(target: PlanTarget, values: Mapping[int, Decimal], actor: User) -> list[Share]:
    """Set each city's share (``values``: organisation id → share).

    :raises PermissionDenied: not the task's lead 处室 nor 督审处 of the province.
    :raises ValidationFailed: a rate, a city missing or unknown, a negative share, or shares adding up to less
        than the provincial figure (nothing is changed).
    """
    if refusal := _refusal(target, actor):
        raise refusal
    current = shares(target)
    if not current:
        raise ValidationFailed("该任务尚未下发各市州,无可分解的指标。")
    if set(values) != {share.organisation.id for share in current}:
        raise ValidationFailed("请为每个市州局填写分解数。")
    if any(value < 0 for value in values.values()):
        raise ValidationFailed("分解数不能为负数。")
    total = sum(values.values(), Decimal(0))
    if total < target.value:
        raise ValidationFailed(f"各市州分解数之和 {_plain(total)} {target.unit} 小于全省目标 "
                               f"{_plain(target.value)} {target.unit},请调整。")
    before = {share.organisation.code: _plain(share.target.value) for share in current}
    for share in current:
        share.target.value = values[share.organisation.id]
    db.session.flush()
    audit.record(actor, "plan_target", target.id, "split", before=before,
                 after={share.organisation.code: _plain(share.target.value) for share in current})
    return current


def even(target: PlanTarget, organisation_ids: list[int]) -> dict[int, Decimal]:
    """Equal shares, rounded up to whole units (so they add up to at least the figure)."""
    each = Decimal(math.ceil(target.value / len(organisation_ids))) if organisation_ids else Decimal(0)
    return {organisation_id: each for organisation_id in organisation_ids}


def proportional(target: PlanTarget, weights: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Shares in proportion to ``weights``, each rounded up to whole units.

    :raises ValidationFailed: the weights add up to nothing.
    """
    whole = sum(weights.values(), Decimal(0))
    if whole <= 0:
        raise ValidationFailed("所填数据之和为零,无法按比例分解。")
    return {organisation_id: Decimal(math.ceil(target.value * weight / whole))
            for organisation_id, weight in weights.items()}


def parse_column(text: str, cities: list[Organisation]) -> dict[int, Decimal]:
    """A pasted or uploaded column, one city a line ("武汉市,1232.9"; a header line is skipped).

    :raises ValidationFailed: a line that is not a name and a number, an unknown or repeated city, or a city
        missing (nothing is changed).
    """
    by_name = {name: city for city in cities for name in (city.name, city.short_name)}
    found: dict[int, Decimal] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if match is None:
            if number == 1:
                continue  # a header (城市,人口)
            raise ValidationFailed(f"第 {number} 行应为“市州名称,数值”:{line.strip()[:40]}")
        city = by_name.get(match["name"])
        if city is None:
            raise ValidationFailed(f"第 {number} 行的“{match['name']}”不是本局下辖的市州局。")
        if city.id in found:
            raise ValidationFailed(f"“{match['name']}”重复出现。")
        try:
            found[city.id] = Decimal(match["value"].replace(",", ""))
        except InvalidOperation:
            raise ValidationFailed(f"第 {number} 行的数值无法识别。") from None
    missing = [city.short_name for city in cities if city.id not in found]
    if missing:
        raise ValidationFailed(f"缺少以下市州局的数据:{'、'.join(missing)}。")
    return found


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
