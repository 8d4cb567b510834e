"""Views of the directory blueprint (read-only; changes go through admin)."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from app.access import roles, signed_in
from app.directory import bp
from app.extensions import db
from app.models import Role, Unit, User
from app.services.infrastructure import visibility
from app.services.plans import directory


@bp.route("/units")
@roles(Role.ADMIN, Role.SUPERVISOR, Role.LEADER)
def units() -> str:
    """Every unit of the bureau with kind, aliases and state."""
    org = directory.home_organisation(current_user)
    all_units = db.session.scalars(select(Unit).where(Unit.organisation_id == org.id)
                                   .order_by(Unit.kind, Unit.id)).all()
    return render_template("directory/units.html", units=all_units)


@bp.route("/units/<int:unit_id>")
@signed_in
def unit(unit_id: int) -> str:
    """One unit: names, aliases, groups and people. Unit staff see only their own."""
    target = db.get_or_404(Unit, unit_id)
    visibility.ensure_can_view_unit(current_user, target)
    people = db.session.scalars(select(User).where(User.unit_id == target.id).order_by(User.id)).all()
    return render_template("directory/unit.html", unit=target, people=people)


@bp.route("/groups")
@roles(Role.ADMIN, Role.SUPERVISOR)
def groups() -> str:
    """Every unit group with how its members are found."""
    all_groups = directory.list_groups(directory.home_organisation(current_user))
    members = {group.id: directory.group_members(group) for group in all_groups}
    return render_template("directory/groups.html", groups=all_groups, members=members)
