"""Deciding what an unknown name in a plan means: an alias, a new unit, or a new group."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import GroupMembership, Organisation, Unit, UnitGroup, UnitKind, User
from app.plan_parser.units import is_fragment
from app.services.plans import directory
from app.services.plans.directory import GroupData, UnitData

_Owner = TypeVar("_Owner", Unit, UnitGroup)
_Data = TypeVar("_Data", UnitData, GroupData)


class DecisionKind(enum.StrEnum):
    """What to do with a name the directory does not know."""

    ALIAS_OF_UNIT = "unit"
    ALIAS_OF_GROUP = "group"
    NEW_UNIT = "new-unit"
    NEW_GROUP = "new-group"


@dataclass(frozen=True)
class Decision:
    """One resolution: the kind, and the unit/group id or the new unit's kind."""

    kind: DecisionKind
    target_id: int | None = None
    unit_kind: UnitKind | None = None
    member_ids: tuple[int, ...] = ()

    @classmethod
    def parse(cls, value: str, member_ids: tuple[int, ...] = ()) -> Decision:
        """Read a choice as the review form sends it: "unit:12", "group:3", "new-unit:department", "new-group".

        ``member_ids`` are the units ticked for a new group (ignored for other choices).

        :raises ValidationFailed: the value is not one of these shapes.
        """
        kind, _, argument = value.partition(":")
        try:
            decision_kind = DecisionKind(kind)
            if decision_kind in (DecisionKind.ALIAS_OF_UNIT, DecisionKind.ALIAS_OF_GROUP):
                return cls(decision_kind, target_id=int(argument))
            if decision_kind is DecisionKind.NEW_UNIT:
                return cls(decision_kind, unit_kind=UnitKind(argument))
            return cls(decision_kind, member_ids=member_ids)
        except ValueError as error:
            raise ValidationFailed(f"无法识别的处理方式:{value}") from error


def apply_decision(org: Organisation, name: str, decision: Decision, actor: User | None) -> Unit | UnitGroup:
    """Make ``name`` resolve in the directory as decided.

    :raises ValidationFailed: the target does not exist or the name is taken.
    """
    if decision.kind is DecisionKind.ALIAS_OF_UNIT:
        unit = _owned(org, Unit, decision.target_id)
        return directory.update_unit(unit, _with_alias(directory.unit_data_of(unit), name), actor)
    if decision.kind is DecisionKind.ALIAS_OF_GROUP:
        group = _owned(org, UnitGroup, decision.target_id)
        return directory.update_group(group, _with_alias(directory.group_data_of(group), name), actor)
    if decision.kind is DecisionKind.NEW_UNIT:
        if is_fragment(name):
            raise ValidationFailed(f"“{name}”只是行政区划名称，是从较长的名称中拆出的片段，不能新建为单位。"
                                   "请把它作为已有单位组的别名，或新建单位组。")
        data = directory.UnitData(name, name, next_unit_code(org), decision.unit_kind or UnitKind.DEPARTMENT)
        return directory.create_unit(org, data, actor)
    membership = GroupMembership.EXPLICIT if decision.member_ids else GroupMembership.PER_TASK
    return directory.create_group(org, directory.GroupData(name, membership, None, decision.member_ids), actor)


def _owned(org: Organisation, model: type[_Owner], target_id: int | None) -> _Owner:
    target = db.session.get(model, target_id) if target_id else None
    if target is None or target.organisation_id != org.id:
        raise ValidationFailed("所选的单位或单位组不存在。")
    return target


def _with_alias(data: _Data, name: str) -> _Data:
    return type(data)(**{**data.__dict__, "aliases": (*data.aliases, name)})


def next_unit_code(org: Organisation) -> str:
    """A free code for a unit created during import ("u001", "u002" …); the admin can change it."""
    taken = set(db.session.scalars(select(Unit.code).where(Unit.organisation_id == org.id)))
    number = 1
    while f"u{number:03d}" in taken:
        number += 1
    return f"u{number:03d}"
