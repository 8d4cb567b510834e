"""Views of the deadlines blueprint: thin, each one service call."""
from __future__ import annotations

from datetime import datetime
from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles, signed_in
from app.deadlines import bp
from app.deadlines.forms import (
    CalendarOverrideForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    PolicyForm,
    TaskHoldDecisionForm,
    TaskHoldRequestForm,
)
from app.errors import PermissionDenied, on_refusal
from app.extensions import db
from app.models import ExtensionRequest, Plan, PlanTask, Role, TaskHoldRequest, WorkItem
from app.services.follow_up import extensions
from app.services.infrastructure import visibility
from app.services.scoring import task_holds
from app.services.timing import calendar_overrides, deadline_policy
from app.services.timing.workdays import BEIJING
from app.uploads import upload_policy, uploads


@bp.route("/work/items/<int:item_id>/extension", methods=["GET", "POST"])
@signed_in
def request_extension(item_id: int) -> str | Response:
    """申请延期 on an open work item of the user's unit."""
    item = db.get_or_404(WorkItem, item_id)
    extensions.ensure_may_request(current_user, item)
    form = ExtensionRequestForm()
    page = partial(_request_page, item, form)
    if form.validate_on_submit():
        on_refusal(url_for("work.item", item_id=item.id), field=form.requested_due, render=page)
        extensions.request_extension(item, form.requested_due.data, form.reason.data, current_user)
        flash("延期申请已提交,请等待督审处审批。", "success")
        return redirect(url_for("work.item", item_id=item.id))
    return page()


def _request_page(item: WorkItem, form: ExtensionRequestForm) -> str:
    return render_template("deadlines/request.html", item=item, form=form,
                           pending=extensions.pending_of(item))


@bp.route("/extensions")
@roles(Role.SUPERVISOR)
def pending() -> str:
    """延期审批: the requests waiting for 督审处."""
    return render_template("deadlines/pending.html", requests=extensions.pending(
        visibility.organisation_id_of(current_user)))


@bp.route("/extensions/<int:request_id>", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def decide(request_id: int) -> str | Response:
    """Approve (possibly with another date) or refuse one request."""
    ext = db.get_or_404(ExtensionRequest, request_id)
    extensions.ensure_may_decide(current_user, ext)
    form = ExtensionDecisionForm()
    if request.method == "GET":
        form.granted_due.data = ext.requested_due_at.astimezone(BEIJING).date()
    page = partial(_decide_page, ext, form)
    if form.validate_on_submit():
        if form.refuse.data:
            on_refusal(field=form.note, render=page)
            extensions.refuse(ext, form.note.data, current_user)
        else:
            on_refusal(field=form.granted_due, render=page, form=form)
            extensions.approve(ext, form.granted_due.data, form.note.data, current_user, form.beyond_plan_year.data)
        flash(f"延期申请{ext.status.label}。", "success")
        return redirect(url_for("deadlines.pending"))
    return page()


def _decide_page(ext: ExtensionRequest, form: ExtensionDecisionForm) -> str:
    item = db.session.get(WorkItem, ext.work_item_id)
    return render_template("deadlines/decide.html", ext=ext, item=item, form=form)


@bp.route("/tasks/<int:task_id>/hold", methods=["GET", "POST"])
@roles(Role.LIAISON, Role.UNIT_HEAD)
def request_hold(task_id: int) -> str | Response:
    """申请中止或阶段性办结 on a task the user's unit answers for."""
    task = db.get_or_404(PlanTask, task_id)
    back = url_for("tasks.detail", task_id=task.id)
    on_refusal(back)
    task_holds.ensure_may_request(current_user, task)
    form = TaskHoldRequestForm()
    page = partial(render_template, "deadlines/hold_request.html", task=task, form=form,
                   pending=task_holds.pending_of(task))
    if form.validate_on_submit():
        on_refusal(back, field=form.reason, render=page)
        hold = task_holds.request_hold(task, form.kind.data, form.reason.data, current_user, uploads(),
                                       upload_policy())
        flash(f"{hold.kind.label}申请已提交,请等待督审处审批。", "success")
        return redirect(back)
    return page()


@bp.route("/holds")
@roles(Role.SUPERVISOR)
def holds() -> str:
    """中止/阶段性办结审批: the requests waiting for 督审处."""
    bureau = visibility.organisation_id_of(current_user) or 0
    return render_template("deadlines/holds.html", requests=task_holds.pending(bureau))


@bp.route("/holds/<int:hold_id>", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def decide_hold(hold_id: int) -> str | Response:
    """Approve or refuse one 中止 or 阶段性办结 request."""
    hold = db.get_or_404(TaskHoldRequest, hold_id)
    visibility.ensure_own_organisation(current_user, hold.task.plan.organisation_id)
    form = TaskHoldDecisionForm()
    page = partial(render_template, "deadlines/hold_decide.html", hold=hold, form=form,
                   history=task_holds.of_task(hold.task), blocker=task_holds.hold_blocker(hold.task),
                   evidence=task_holds.evidence(hold))
    if form.validate_on_submit():
        on_refusal(field=form.note, render=page)
        if form.refuse.data:
            task_holds.refuse(hold, form.note.data, current_user)
        else:
            task_holds.approve(hold, form.note.data, current_user)
        flash(f"{hold.kind.label}申请{hold.status.label}。", "success")
        return redirect(url_for("deadlines.holds"))
    return page()


@bp.route("/plans/<int:plan_id>/deadline-policy", methods=["GET", "POST"])
@roles(Role.SUPERVISOR, Role.ADMIN)
def policy(plan_id: int) -> str | Response:
    """时限规则 of a plan; saving moves the open steps' due dates, on the record."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_own_organisation(current_user, plan.organisation_id)
    rules = deadline_policy.policy_of(plan)
    form = PolicyForm(obj=rules)
    if request.method == "GET":
        form.version.data = deadline_policy.version_of(rules)
        form.report_cycle.data = rules.report_cycle.value
    page = partial(render_template, "deadlines/policy.html", plan=plan, form=form,
                   warnings=_calendar_warnings())
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in deadline_policy.FIELDS}
        on_refusal(field=form.submit, render=page)
        moved = deadline_policy.update_policy(rules, data, form.version.data, current_user)
        flash(f"时限规则已保存,{len(moved)} 个办理事项的期限随之调整(均已记录)。", "success")
        return redirect(url_for("deadlines.policy", plan_id=plan.id))
    return page()


@bp.route("/admin/calendar", methods=["GET", "POST"])
@roles(Role.ADMIN)
def calendar() -> str | Response:
    """节假日设置: the administrator's override days."""
    _ensure_province()
    form = CalendarOverrideForm()
    page = partial(_calendar_page, form)
    if form.validate_on_submit() and form.day.data is not None:  # DataRequired; narrows the type
        on_refusal(field=form.day, render=page)
        moved = calendar_overrides.add_override(form.day.data, form.kind.data == "work", form.note.data,
                                                current_user)
        flash(f"已添加 {form.day.data:%Y年%m月%d日} 的设置,"
              f"{len(moved)} 个办理事项的期限随之调整(均已记录)。", "success")
        return redirect(url_for("deadlines.calendar"))
    return page()


def _calendar_page(form: CalendarOverrideForm) -> str:
    return render_template("deadlines/calendar.html", form=form, overrides=calendar_overrides.overrides(),
                           warnings=_calendar_warnings())


@bp.route("/admin/calendar/<int:override_id>/delete", methods=["POST"])
@roles(Role.ADMIN)
def calendar_delete(override_id: int) -> Response:
    """Remove an override day."""
    _ensure_province()
    moved = calendar_overrides.delete_override(override_id, current_user)
    flash(f"已删除该设置,{len(moved)} 个办理事项的期限随之调整(均已记录)。", "success")
    return redirect(url_for("deadlines.calendar"))


def _ensure_province() -> None:
    """The work calendar is one for every bureau: the province's administrator keeps it."""
    if visibility.organisation_id_of(current_user) != visibility.root_organisation_id():
        raise PermissionDenied("节假日设置由省局统一维护。")


def _calendar_warnings() -> list[str]:
    return calendar_overrides.coverage_warnings(datetime.now(BEIJING).date())
