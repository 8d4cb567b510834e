"""Views of the directory blueprint (read-only; changes go through admin)."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.access import roles, signed_in
from app.directory import bp
from app.directory.forms import chosen_pairs, field_name, mapping_form
from app.errors import on_refusal
from app.extensions import db
from app.models import Organisation, Role, Unit, User
from app.services.infrastructure import visibility
from app.services.plans import directory, dispatch


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


@bp.route("/mapping", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.SUPERVISOR)
def mapping() -> str | Response:
    """处室—科室对应: which of this bureau's 科室 does the work of each 处室 of the bureau above (下发 uses it)."""
    org = directory.home_organisation(current_user)
    upper = db.session.get(Organisation, org.parent_id) if org.parent_id is not None else None
    uppers = directory.list_units(upper, active_only=True) if upper is not None else []
    form = mapping_form(uppers, directory.list_units(org, active_only=True), dispatch.mapping_of(org.id))
    page = partial(render_template, "directory/mapping.html", form=form, upper=upper, uppers=uppers,
                   field_name=field_name)
    if upper is not None and form.validate_on_submit():
        on_refusal(field=form.submit, render=page)
        dispatch.remember_mapping(org, dispatch.parse_mapping(chosen_pairs(form, uppers)), current_user)
        flash("对应关系已保存,此后的下发均按此确定本局的科室。", "success")
        return redirect(url_for("directory.mapping"))
    return page()
