"""Views of the admin blueprint: every one needs the administrator role."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.access import roles
from app.admin import bp
from app.admin.choices import chosen_roles, chosen_unit, group_data, robot_settings, unit_choices, unit_data
from app.admin.forms import GroupForm, NewUserForm, ResetPasswordForm, UnitForm, UnitsInChargeForm, UserForm
from app.errors import on_refusal
from app.extensions import db
from app.models import AuditEvent, Role, Unit, UnitGroup, User
from app.services.infrastructure import accounts, channel_outbox, external_accounts, visibility
from app.services.plans import directory

AUDIT_PAGE_SIZE = 50


@bp.route("/units/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def unit_new() -> str | Response:
    """Add a unit to the directory."""
    form = UnitForm()
    page = partial(render_template, "admin/unit_form.html", form=form, unit=None)
    if form.validate_on_submit():
        org = directory.home_organisation(current_user)
        on_refusal(field=form.name, render=page)
        unit = directory.create_unit(org, unit_data(form), current_user)
        flash(f"已新建单位“{unit.name}”。", "success")
        return redirect(url_for("directory.unit", unit_id=unit.id))
    return page()


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def unit_edit(unit_id: int) -> str | Response:
    """Change a unit's names, code, kind, aliases, active flag or group robot."""
    unit = db.get_or_404(Unit, unit_id)
    visibility.ensure_own_organisation(current_user, unit.organisation_id)
    form = UnitForm(obj=unit)
    form.robot_categories.choices = [SelectChoice(v, label) for v, label in channel_outbox.categories().items()]
    robot = channel_outbox.robot_of(unit)
    if request.method == "GET":
        form.kind.data = unit.kind.value
        form.aliases.data = "\n".join(alias.name for alias in unit.aliases)
        if robot is not None:
            form.robot_kind.data, form.robot_url.data = robot.kind.value, robot.webhook_url
            form.robot_categories.data = list(robot.categories)
    page = partial(render_template, "admin/unit_form.html", form=form, unit=unit, robot=robot)
    if form.validate_on_submit():
        on_refusal(field=form.name, render=page, form=form)
        directory.update_unit(unit, unit_data(form), current_user)
        channel_outbox.set_robot(unit, robot_settings(form), current_user)
        flash(f"单位“{unit.name}”已保存。", "success")
        return redirect(url_for("directory.unit", unit_id=unit.id))
    return page()


@bp.route("/groups/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def group_new() -> str | Response:
    """Add a unit group."""
    org = directory.home_organisation(current_user)
    form = GroupForm()
    form.members.choices = unit_choices(org)
    page = partial(render_template, "admin/group_form.html", form=form, group=None)
    if form.validate_on_submit():
        on_refusal(field=form.name, render=page)
        group = directory.create_group(org, group_data(form), current_user)
        flash(f"已新建单位组“{group.name}”。", "success")
        return redirect(url_for("directory.groups"))
    return page()


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def group_edit(group_id: int) -> str | Response:
    """Change a group's name, membership rule, members or aliases."""
    group = db.get_or_404(UnitGroup, group_id)
    visibility.ensure_own_organisation(current_user, group.organisation_id)
    form = GroupForm(obj=group)
    form.members.choices = unit_choices(group.organisation)
    if request.method == "GET":
        form.membership.data = group.membership.value
        form.member_kind.data = group.member_kind.value if group.member_kind else ""
        form.members.data = [unit.id for unit in group.members]
        form.aliases.data = "\n".join(alias.name for alias in group.aliases)
    page = partial(render_template, "admin/group_form.html", form=form, group=group)
    if form.validate_on_submit():
        on_refusal(field=form.name, render=page)
        directory.update_group(group, group_data(form), current_user)
        flash(f"单位组“{group.name}”已保存。", "success")
        return redirect(url_for("directory.groups"))
    return page()


@bp.route("/users")
@roles(Role.ADMIN)
def users() -> str:
    """The bureau's users with unit, roles and state; ``?state=pending``: only those 待分配 (no roles yet)."""
    pending_only = request.args.get("state") == "pending"
    own = accounts.users_of_organisation(directory.home_organisation(current_user).id)
    if pending_only:
        own = [user for user in own if user.active and not user.roles]
    return render_template("admin/users.html", users=own, pending_only=pending_only,
                           pending_count=external_accounts.awaiting_assignment_count())


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_new() -> str | Response:
    """Create a user who must change the initial password at first sign-in."""
    form = NewUserForm()
    form.unit.choices = unit_choices(directory.home_organisation(current_user), include_none=True)
    page = partial(render_template, "admin/user_form.html", form=form, user=None)
    if form.validate_on_submit():
        on_refusal(field=form.username, render=page, form=form)
        user = accounts.create_user(
            form.username.data, form.display_name.data, form.password.data,
            roles=chosen_roles(form), unit=chosen_unit(form), email=form.email.data, actor=current_user,
            organisation=directory.home_organisation(current_user),
        )
        channel_outbox.set_phone(user, form.phone.data, current_user)
        flash(f"已新建用户“{user.username}”,首次登录须修改密码。", "success")
        return redirect(url_for("admin.users"))
    return page()


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_edit(user_id: int) -> str | Response:
    """Change a user's name, e-mail, unit, roles or active flag."""
    user = _own_user(user_id)
    form = UserForm(obj=user)
    form.unit.choices = unit_choices(directory.home_organisation(current_user), include_none=True)
    if request.method == "GET":
        form.unit.data = user.unit_id or 0
        form.roles.data = [role.value for role in user.roles]
    page = partial(render_template, "admin/user_form.html", form=form, user=user)
    if form.validate_on_submit():
        on_refusal(field=form.roles, render=page, form=form)
        accounts.update_user(
            user, form.display_name.data, form.email.data, chosen_unit(form),
            chosen_roles(form), form.active.data, actor=current_user,
        )
        channel_outbox.set_phone(user, form.phone.data, current_user)
        flash(f"用户“{user.username}”已保存。", "success")
        return redirect(url_for("admin.users"))
    return page()


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_password(user_id: int) -> str | Response:
    """Set a temporary password (and unlock the account)."""
    user = _own_user(user_id)
    form = ResetPasswordForm()
    page = partial(render_template, "admin/user_password.html", form=form, user=user)
    if form.validate_on_submit():
        on_refusal(field=form.password, render=page)
        accounts.reset_password(user, form.password.data, current_user)
        flash(f"用户“{user.username}”的密码已重置并解除锁定,下次登录须修改密码。", "success")
        return redirect(url_for("admin.users"))
    return page()


@bp.route("/users/<int:user_id>/units", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_units(user_id: int) -> str | Response:
    """分管单位: link a leader to the units in their charge; their escalations go to that leader."""
    user = _own_user(user_id)
    form = UnitsInChargeForm()
    form.units.choices = unit_choices(directory.home_organisation(current_user))
    if request.method == "GET":
        form.units.data = accounts.units_in_charge(user)
    page = partial(render_template, "admin/user_units.html", form=form, user=user)
    if form.validate_on_submit():
        on_refusal(field=form.units, render=page)
        accounts.set_units_in_charge(user, form.units.data or [], current_user)
        flash(f"已保存“{user.display_name}”的分管单位。", "success")
        return redirect(url_for("admin.users"))
    return page()


@bp.route("/audit")
@roles(Role.ADMIN, Role.SUPERVISOR)
def audit() -> str:
    """The newest audit events first, a page at a time (read-only, for administrators and 督审处)."""
    page = db.paginate(
        select(AuditEvent).order_by(AuditEvent.id.desc()), per_page=AUDIT_PAGE_SIZE, error_out=False
    )
    return render_template("admin/audit.html", page=page)


def _own_user(user_id: int) -> User:
    """The user, when they work in the administrator's own organisation (another bureau's are its own)."""
    user = db.get_or_404(User, user_id)
    visibility.ensure_own_organisation(current_user, visibility.organisation_id_of(user) or 0)
    return user
