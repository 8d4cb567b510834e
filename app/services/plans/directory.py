"""The unit directory: units, groups and aliases, and resolving a name as plans write it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import DirectoryAlias, GroupMembership, Organisation, Unit, UnitGroup, UnitKind, User
from app.models.base import as_dict
from app.services.infrastructure import audit, visibility

_UNIT_FIELDS = ("name", "full_name", "code", "kind", "active", "requires_head_signoff")
_GROUP_FIELDS = ("name", "membership", "member_kind")


@dataclass(frozen=True)
class UnitData:
    """What a form or the directory file says about one unit."""

    name: str
    full_name: str
    code: str
    kind: UnitKind
    aliases: tuple[str, ...] = ()
    active: bool = True
    #: The unit head signs reports off before they go to 督审处.
    requires_head_signoff: bool = False


@dataclass(frozen=True)
class GroupData:
    """What a form or the directory file says about one group."""

    name: str
    membership: GroupMembership
    member_kind: UnitKind | None = None
    member_ids: tuple[int, ...] = ()
    aliases: tuple[str, ...] = ()


def normalise_name(name: str) -> str:
    """A name with surrounding and inner whitespace removed (names never contain spaces)."""
    return "".join(name.split())


def resolve_name(org: Organisation, name: str) -> Unit | UnitGroup | None:
    """The unit or group a document means by ``name``: its own name first, then an alias."""
    name = normalise_name(name)
    unit = db.session.scalar(select(Unit).where(Unit.organisation_id == org.id, Unit.name == name))
    if unit is not None:
        return unit
    group = db.session.scalar(
        select(UnitGroup).where(UnitGroup.organisation_id == org.id, UnitGroup.name == name)
    )
    if group is not None:
        return group
    alias = db.session.scalar(
        select(DirectoryAlias).where(DirectoryAlias.organisation_id == org.id, DirectoryAlias.name == name)
    )
    if alias is None:
        return None
    return alias.unit or alias.group


def compound_names(org: Organisation) -> list[str]:
    """Unit and group names and aliases written with 、 inside ("各区、县级市"): the parser keeps them whole."""
    columns = ((Unit.name, Unit.organisation_id), (UnitGroup.name, UnitGroup.organisation_id),
               (DirectoryAlias.name, DirectoryAlias.organisation_id))
    return [name for column, owner in columns
            for name in db.session.scalars(select(column).where(owner == org.id, column.contains("、")))]


def group_members(group: UnitGroup) -> list[Unit]:
    """The units a group stands for now; empty for a per-task group."""
    if group.membership is GroupMembership.EXPLICIT:
        return [unit for unit in group.members if unit.active]
    if group.membership is GroupMembership.BY_KIND:
        query = select(Unit).where(
            Unit.organisation_id == group.organisation_id,
            Unit.kind == group.member_kind,
            Unit.active.is_(True),
        )
        return list(db.session.scalars(query.order_by(Unit.id)))
    return []


def create_unit(org: Organisation, data: UnitData, actor: User | None) -> Unit:
    """Add a unit with its aliases.

    :raises ValidationFailed: the name, code or an alias is already used in the directory.
    """
    unit = Unit(organisation_id=org.id)
    _apply_unit(unit, org, data)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "unit", unit.id, "created", after=_unit_snapshot(unit))
    return unit


def update_unit(unit: Unit, data: UnitData, actor: User | None) -> Unit:
    """Change a unit's names, code, kind, aliases or active flag.

    :raises ValidationFailed: a name, code or alias clashes with another entry.
    """
    before = _unit_snapshot(unit)
    _apply_unit(unit, unit.organisation, data)
    db.session.flush()
    after = _unit_snapshot(unit)
    if after != before:
        audit.record(actor, "unit", unit.id, "updated", before=before, after=after)
    return unit


def _apply_unit(unit: Unit, org: Organisation, data: UnitData) -> None:
    # No autoflush: a half-filled new unit must not reach the database mid-check.
    with db.session.no_autoflush:
        _fill_unit(unit, org, data)


def _fill_unit(unit: Unit, org: Organisation, data: UnitData) -> None:
    name = normalise_name(data.name)
    code = data.code.strip().lower()
    if not name or not code:
        raise ValidationFailed("单位名称和代码不能为空。")
    _ensure_name_free(org, name, unit=unit)
    clash = db.session.scalar(
        select(Unit).where(Unit.organisation_id == org.id, Unit.code == code, Unit.id != unit.id)
    )
    if clash is not None:
        raise ValidationFailed(f"单位代码“{code}”已被“{clash.name}”使用。")
    unit.name = name
    unit.full_name = normalise_name(data.full_name) or name
    unit.code = code
    unit.kind = data.kind
    unit.active = data.active
    unit.requires_head_signoff = data.requires_head_signoff
    _replace_aliases(unit.aliases, org, data.aliases, owner=unit, own_names={name})


def create_group(org: Organisation, data: GroupData, actor: User | None) -> UnitGroup:
    """Add a group.

    :raises ValidationFailed: the name or an alias is taken, or the membership is incomplete.
    """
    group = UnitGroup(organisation_id=org.id)
    _apply_group(group, org, data)
    db.session.add(group)
    db.session.flush()
    audit.record(actor, "unit_group", group.id, "created", after=_group_snapshot(group))
    return group


def update_group(group: UnitGroup, data: GroupData, actor: User | None) -> UnitGroup:
    """Change a group's name, membership rule, members or aliases."""
    before = _group_snapshot(group)
    _apply_group(group, group.organisation, data)
    db.session.flush()
    after = _group_snapshot(group)
    if after != before:
        audit.record(actor, "unit_group", group.id, "updated", before=before, after=after)
    return group


def _apply_group(group: UnitGroup, org: Organisation, data: GroupData) -> None:
    with db.session.no_autoflush:
        _fill_group(group, org, data)


def _fill_group(group: UnitGroup, org: Organisation, data: GroupData) -> None:
    name = normalise_name(data.name)
    if not name:
        raise ValidationFailed("单位组名称不能为空。")
    if data.membership is GroupMembership.BY_KIND and data.member_kind is None:
        raise ValidationFailed("“按单位类型”的单位组必须选择单位类型。")
    if data.membership is GroupMembership.EXPLICIT and not data.member_ids:
        raise ValidationFailed("“指定成员”的单位组至少需要一个成员单位。")
    _ensure_name_free(org, name, group=group)
    group.name = name
    group.membership = data.membership
    group.member_kind = data.member_kind
    group.members = _units_by_id(org, data.member_ids) if data.membership is GroupMembership.EXPLICIT else []
    _replace_aliases(group.aliases, org, data.aliases, owner=group, own_names={name})


def _units_by_id(org: Organisation, ids: Iterable[int]) -> list[Unit]:
    wanted = set(ids)
    units = list(db.session.scalars(select(Unit).where(Unit.organisation_id == org.id, Unit.id.in_(wanted))))
    if len(units) != len(wanted):
        raise ValidationFailed("所选成员单位中有不属于本机构的单位。")
    return units


def _replace_aliases(
    current: list[DirectoryAlias],
    org: Organisation,
    names: Iterable[str],
    owner: Unit | UnitGroup,
    own_names: set[str],
) -> None:
    wanted = {normalise_name(n) for n in names} - own_names - {""}
    for alias in list(current):
        if alias.name not in wanted:
            current.remove(alias)
    existing = {alias.name for alias in current}
    for name in sorted(wanted - existing):
        _ensure_name_free(org, name, unit=owner if isinstance(owner, Unit) else None,
                          group=owner if isinstance(owner, UnitGroup) else None)
        current.append(DirectoryAlias(organisation_id=org.id, name=name))


def _ensure_name_free(
    org: Organisation, name: str, unit: Unit | None = None, group: UnitGroup | None = None
) -> None:
    """Refuse ``name`` if another unit, group or alias already answers to it."""
    holder = resolve_name(org, name)
    if holder is None or holder is unit or holder is group:
        return
    kind = "单位" if isinstance(holder, Unit) else "单位组"
    raise ValidationFailed(f"名称“{name}”已被{kind}“{holder.name}”使用(名称或别名)。")


def _unit_snapshot(unit: Unit) -> dict[str, object]:
    data = as_dict(unit, *_UNIT_FIELDS)
    data["aliases"] = sorted(a.name for a in unit.aliases)
    return data


def _group_snapshot(group: UnitGroup) -> dict[str, object]:
    data = as_dict(group, *_GROUP_FIELDS)
    data["members"] = sorted(u.name for u in group.members)
    data["aliases"] = sorted(a.name for a in group.aliases)
    return data


def home_organisation(user: User | None) -> Organisation:
    """The organisation a user works in: their unit's, else the one their account names, else the province
    (the root bureau).

    :raises NotFound: the directory is empty (no demo data loaded, nothing imported).
    """
    if user is not None and user.unit is not None:
        return user.unit.organisation
    org_id = visibility.organisation_id_of(user) if user is not None else visibility.root_organisation_id()
    org = db.session.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        raise NotFound("尚未建立任何机构,请先运行 duban demo 或由管理员导入单位目录。")
    return org


def split_names(text: str) -> tuple[str, ...]:
    """Names typed one per line or separated by 、,,;; — as an alias box receives them."""
    for separator in "、,,;;\r":
        text = text.replace(separator, "\n")
    return tuple(name for name in (normalise_name(part) for part in text.split("\n")) if name)


def unit_data_of(unit: Unit) -> UnitData:
    """A unit's current data, as a form would submit it unchanged."""
    return UnitData(
        unit.name, unit.full_name, unit.code, unit.kind, tuple(a.name for a in unit.aliases), unit.active,
        unit.requires_head_signoff,
    )


def group_data_of(group: UnitGroup) -> GroupData:
    """A group's current data, as a form would submit it unchanged."""
    return GroupData(
        group.name, group.membership, group.member_kind,
        tuple(u.id for u in group.members), tuple(a.name for a in group.aliases),
    )


def list_units(org: Organisation, active_only: bool = False) -> list[Unit]:
    """The organisation's units in directory order."""
    query = select(Unit).where(Unit.organisation_id == org.id)
    if active_only:
        query = query.where(Unit.active.is_(True))
    return list(db.session.scalars(query.order_by(Unit.id)))


def list_groups(org: Organisation) -> list[UnitGroup]:
    """The organisation's unit groups in directory order."""
    return list(db.session.scalars(select(UnitGroup).where(UnitGroup.organisation_id == org.id).order_by(UnitGroup.id)))
