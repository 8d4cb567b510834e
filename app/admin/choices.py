"""Turning the directory into form choices, and forms into service data."""
from __future__ import annotations

from sqlalchemy import select
from wtforms import SelectChoice

from app.admin.forms import GroupForm, UnitForm, UserForm
from app.extensions import db
from app.models import GroupMembership, Organisation, RobotKind, Role, Unit, UnitKind
from app.services.infrastructure.channel_outbox import RobotSettings
from app.services.plans.directory import GroupData, UnitData, split_names


def unit_choices(org: Organisation, include_none: bool = False) -> list[SelectChoice]:
    """The organisation's units as choices, optionally led by "none" (0)."""
    units = db.session.scalars(select(Unit).where(Unit.organisation_id == org.id).order_by(Unit.id))
    choices = [SelectChoice(unit.id, unit.name if unit.active else f"{unit.name}(已停用)") for unit in units]
    return ([SelectChoice(0, "(无)")] if include_none else []) + choices


def unit_data(form: UnitForm) -> UnitData:
    """What the unit form says."""
    return UnitData(
        name=form.name.data,
        full_name=form.full_name.data or "",
        code=form.code.data,
        kind=UnitKind(form.kind.data),
        aliases=split_names(form.aliases.data or ""),
        active=form.active.data,
        requires_head_signoff=form.requires_head_signoff.data,
    )


def robot_settings(form: UnitForm) -> RobotSettings | None:
    """The group robot the unit form sets, or None for "(不推送)"."""
    if not form.robot_kind.data:
        return None
    return RobotSettings(RobotKind(form.robot_kind.data), (form.robot_url.data or "").strip(),
                         form.robot_secret.data or None, tuple(form.robot_categories.data or ()))


def group_data(form: GroupForm) -> GroupData:
    """What the group form says."""
    return GroupData(
        name=form.name.data,
        membership=GroupMembership(form.membership.data),
        member_kind=UnitKind(form.member_kind.data) if form.member_kind.data else None,
        member_ids=tuple(form.members.data or ()),
        aliases=split_names(form.aliases.data or ""),
    )


def chosen_unit(form: UserForm) -> Unit | None:
    """The unit picked in a user form, or None for "(无)"."""
    return db.session.get(Unit, form.unit.data) if form.unit.data else None


def chosen_roles(form: UserForm) -> list[Role]:
    """The roles ticked in a user form."""
    return [Role(value) for value in form.roles.data or ()]
