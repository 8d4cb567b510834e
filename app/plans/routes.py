"""Views of the plans blueprint."""
from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.access import roles
from app.errors import DubanError, on_refusal
from app.extensions import db
from app.models import Plan, PlanImportDraft, PlanSection, PlanStatus, PlanTask, Role, TaskChangeRequest
from app.models.base import utcnow
from app.plan_parser.model import ROLE_LABELS
from app.plans import bp
from app.plans.forms import (
    ChangeDecisionForm,
    DispatchForm,
    ImportForm,
    ItemForm,
    TaskCancelForm,
    TaskEditForm,
    TaskNewForm,
    change_reasons,
    chosen_columns,
    columns_form,
    decisions,
    field_name,
    members_field_name,
    reason_field,
    review_form,
    target_choices,
    target_field,
)
from app.plans.presenting import mark_spans, quantities
from app.services.dashboards import lights
from app.services.dashboards.facts import beijing_today
from app.services.infrastructure import visibility
from app.services.plans import directory, dispatch, items, plan_import, plan_revision, plan_view, task_edits

READERS = (Role.SUPERVISOR, Role.ADMIN, Role.LEADER)
#: What 督审处 is told when the plan's task changes need a leader's approval.
WAITING = "该计划的任务变更需局领导审批:变更已提交,待审批后生效。"


@bp.route("/")
@roles(*READERS)
def index() -> str:
    """Every imported plan."""
    plans = plan_import.list_plans(directory.home_organisation(current_user))
    return render_template("plans/index.html", plans=plans)


@bp.route("/import", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def import_start() -> str | Response:
    """Upload or paste a plan document and parse it into a draft."""
    form = ImportForm()
    org = directory.home_organisation(current_user)
    plans = [plan for plan in plan_import.list_plans(org) if plan.status is PlanStatus.ACTIVE]
    form.offer_plans(plans)
    page = partial(render_template, "plans/import.html", form=form)
    if form.validate_on_submit():
        upload = form.document.data
        on_refusal(_imported_before, field=form.document, render=page)
        draft = plan_import.start_import(
            org, current_user, form.year.data,
            data=upload.read() if upload else None, filename=upload.filename if upload else None,
            pasted=form.pasted.data, max_bytes=current_app.config["PLAN_MAX_BYTES"],
            revises=next((plan for plan in plans if str(plan.id) == form.revises.data), None),
        )
        return redirect(url_for("plans.import_review", draft_id=draft.id))
    return page()


def _imported_before(refusal: DubanError) -> str | None:
    """The same document is a plan already: show that plan instead."""
    if isinstance(refusal, plan_import.AlreadyImported):
        return url_for("plans.detail", plan_id=refusal.plan.id)
    return None


@bp.route("/items/new", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def item_new() -> str | Response:
    """督办事项立项: register one item (领导批示, 会议议定 …); it is numbered and its lead units start at once."""
    form = ItemForm()
    page = partial(render_template, "plans/item_new.html", form=form)
    if form.validate_on_submit():
        on_refusal(_imported_before, field=form.submit, render=page)
        plan = items.register_item(directory.home_organisation(current_user), form.request(), current_user,
                                   beijing_today())
        flash(f"已立项:{plan.tasks[0].supervision_number}《{plan.title}》,已通知牵头单位分解。", "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return page()


@bp.route("/import/<int:draft_id>", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def import_review(draft_id: int) -> str | Response:
    """Preview the parsed plan, resolve unknown names, and confirm the import."""
    draft = db.get_or_404(PlanImportDraft, draft_id)
    visibility.ensure_own_organisation(current_user, draft.organisation_id)
    if draft.plan_id is not None:
        flash("该导入已经确认过,以下为导入后的计划。", "info")
        return redirect(url_for("plans.detail", plan_id=draft.plan_id))
    preview = plan_import.preview(draft)
    org = draft.organisation
    changes = plan_revision.revision(draft, preview) if draft.revises_plan_id else None
    keys = [change.key for change in changes.changes] if changes else None
    form = review_form(preview.unresolved, directory.list_units(org, active_only=True), directory.list_groups(org),
                       None if changes else preview.parsed, keys)
    page = partial(
        render_template, "plans/review.html", draft=draft, preview=preview, form=form, field_name=field_name,
        members_field_name=members_field_name, mark_spans=mark_spans, target_field=target_field,
        quantities=quantities, role_labels=ROLE_LABELS,
        columns=columns_form(preview.table, draft.columns or {}) if preview.table else None,
        revision=changes, reason_field=reason_field,
    )
    if form.validate_on_submit():
        on_refusal(_imported_before, field=form.submit, render=page)
        if changes is not None and keys is not None:
            plan_revision.apply_revision(draft, decisions(form, preview.unresolved), change_reasons(form, keys),
                                         current_user)
            flash(f"已按修订版修改计划《{changes.plan.title}》,共 {len(keys)} 项修改。", "success")
            return redirect(url_for("plans.detail", plan_id=changes.plan.id))
        plan = plan_import.confirm_import(draft, decisions(form, preview.unresolved), current_user,
                                          target_choices(form, preview.parsed))
        flash(f"已导入计划《{plan.title}》,共 {len(plan.tasks)} 项任务。", "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return page()


@bp.route("/import/<int:draft_id>/columns", methods=["POST"])
@roles(Role.SUPERVISOR)
def import_columns(draft_id: int) -> Response:
    """Map the columns of a task table differently and preview it again."""
    draft = db.get_or_404(PlanImportDraft, draft_id)
    visibility.ensure_own_organisation(current_user, draft.organisation_id)
    preview = plan_import.preview(draft)
    if preview.table is None:
        return redirect(url_for("plans.import_review", draft_id=draft.id))
    form = columns_form(preview.table, draft.columns or {})
    if form.validate_on_submit():
        plan_import.map_columns(draft, chosen_columns(form))
        flash("已按新的列对应重新解析表格。", "info")
    else:
        flash("所选的列在表格中不存在,请重新选择。", "warning")
    return redirect(url_for("plans.import_review", draft_id=draft.id))


@bp.route("/<int:plan_id>")
@roles(*READERS)
def detail(plan_id: int) -> str:
    """One plan: its sections and tasks with responsibilities and targets."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_can_view_organisation(current_user, plan.organisation_id)
    verdicts = lights.task_lights(utcnow(), plan_id=plan.id)
    chosen = plan_view.PlanFilter.from_args(request.args, tuple(light.value for light in lights.Light))
    page = plan_view.task_page(plan.id, request.args.get("page", 1, type=int), chosen,
                               severity={task_id: v.light.severity for task_id, v in verdicts.items()},
                               lights={task_id: v.light.value for task_id, v in verdicts.items()})
    return render_template("plans/detail.html", plan=plan, mark_spans=mark_spans, page=page, lights=verdicts,
                           may_archive=plan_import.may_archive(plan, current_user),
                           may_dispatch=dispatch.may_dispatch(plan, current_user),
                           dispatched=dispatch.dispatched_to(plan),
                           chosen=chosen, units=plan_view.plan_units(plan.id), light_choices=list(lights.Light),
                           sorts=plan_view.PLAN_SORTS)


@bp.route("/<int:plan_id>/tasks/new", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def task_new(plan_id: int) -> str | Response:
    """新增计划任务 from the plan page: a governed change with its reason; its lead units get their 分解任务."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_own_organisation(current_user, plan.organisation_id)
    back = url_for("plans.detail", plan_id=plan.id)
    form = TaskNewForm()
    form.section.choices = [SelectChoice(0, "(不分部分)")] + [SelectChoice(s.id, f"{s.number}. {s.title}")
                                                                for s in plan.sections]
    if request.method == "GET":
        form.version.data = task_edits.plan_version(plan)
    page = partial(render_template, "plans/task_new.html", plan=plan, form=form)
    if form.validate_on_submit():
        on_refusal(back, field=form.reason, render=page)
        section = db.session.get(PlanSection, form.section.data) if form.section.data else None
        edit = task_edits.TaskEdit(form.title.data or "", form.text.data, form.lead_units.data,
                                   form.cooperating_units.data or "")
        task = task_edits.new_task(plan, section, edit, form.reason.data, form.version.data, current_user)
        flash(WAITING if task is None else
              f"已新增第{task.number}项任务({task.supervision_number}),牵头单位已收到分解任务。", "success")
        return redirect(back)
    return page()


@bp.route("/<int:plan_id>/approval", methods=["POST"])
@roles(Role.SUPERVISOR)
def approval_switch(plan_id: int) -> Response:
    """任务变更需局领导审批: on or off."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_own_organisation(current_user, plan.organisation_id)
    required = request.form.get("changes_need_approval") == "on"
    task_edits.set_approval(plan, required, current_user)
    flash("任务变更今后需局领导审批后生效。" if required else "任务变更今后由督审处直接生效。", "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/changes")
@roles(Role.LEADER)
def changes() -> str:
    """任务变更审批: the plan-page changes waiting for a leader."""
    bureau = visibility.organisation_id_of(current_user) or 0
    return render_template("plans/changes.html", requests=task_edits.pending_changes(bureau))


@bp.route("/changes/<int:change_id>", methods=["GET", "POST"])
@roles(Role.LEADER)
def change_decide(change_id: int) -> str | Response:
    """Approve (the change is applied then) or refuse one change."""
    change = db.get_or_404(TaskChangeRequest, change_id)
    visibility.ensure_own_organisation(current_user, change.plan.organisation_id)
    form = ChangeDecisionForm()
    page = partial(render_template, "plans/change_decide.html", change=change, form=form)
    if form.validate_on_submit():
        on_refusal(field=form.note, render=page)
        if form.refuse.data:
            task_edits.refuse_change(change, form.note.data, current_user)
        else:
            task_edits.approve_change(change, form.note.data, current_user)
        flash(f"任务变更{'已批准并生效' if change.status == 'approved' else '未予批准'}。", "success")
        return redirect(url_for("plans.changes"))
    return page()


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def task_edit(task_id: int) -> str | Response:
    """修改或取消计划任务: each a governed change with its reason (history, notices, running work adapted)."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_own_organisation(current_user, task.plan.organisation_id)
    back = url_for("plans.detail", plan_id=task.plan_id)
    edit_form, cancel_form = TaskEditForm(prefix="edit"), TaskCancelForm(prefix="cancel")
    if request.method == "GET":
        shown = task_edits.form_of(task)
        for name in ("title", "text", "lead_units", "cooperating_units"):
            getattr(edit_form, name).data = getattr(shown, name)
        edit_form.version.data = cancel_form.version.data = task_edits.version_of(task)
    page = partial(render_template, "plans/task_edit.html", task=task, form=edit_form, cancel_form=cancel_form,
                   may_edit=task_edits.may_edit(current_user, task))
    if cancel_form.cancel.data and cancel_form.validate_on_submit():
        on_refusal(back, field=cancel_form.cancel_reason, render=page)
        task_edits.cancel(task, cancel_form.cancel_reason.data, cancel_form.version.data, current_user)
        flash(WAITING if task.plan.changes_need_approval else f"第{task.number}项任务已取消,相关单位已收到通知。",
              "success")
        return redirect(back)
    if edit_form.submit.data and edit_form.validate_on_submit():
        on_refusal(back, field=edit_form.reason, render=page)
        edit = task_edits.TaskEdit(edit_form.title.data or "", edit_form.text.data, edit_form.lead_units.data,
                                   edit_form.cooperating_units.data or "")
        change = task_edits.edit_task(task, edit, edit_form.reason.data, edit_form.version.data, current_user)
        flash(WAITING if task.plan.changes_need_approval else
              f"第{task.number}项任务已修改({'、'.join(change.aspects)}),相关单位已收到通知。", "success")
        return redirect(back)
    return page()


@bp.route("/<int:plan_id>/archive", methods=["POST"])
@roles(Role.SUPERVISOR)
def archive(plan_id: int) -> Response:
    """Archive a plan (plans are never deleted)."""
    plan = db.get_or_404(Plan, plan_id)
    plan_import.archive_plan(plan, current_user)
    flash(f"计划《{plan.title}》已归档。", "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/<int:plan_id>/dispatch", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def dispatch_plan(plan_id: int) -> str | Response:
    """下发: choose the tasks the city bureaus carry out and send them down."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_own_organisation(current_user, plan.organisation_id)
    live = [task for task in plan.tasks if task.cancelled_at is None]
    form = DispatchForm()
    form.tasks.choices = [(task.id, f"{task.number}. {task.title}") for task in live]
    if request.method == "GET":
        form.tasks.data = [task.id for task in live if task.for_cities or dispatch.suggested_for_cities(task)]
    page = partial(render_template, "plans/dispatch.html", plan=plan, form=form,
                   cities=dispatch.cities_of(plan.organisation_id), refusal=_dispatch_refusal(plan))
    if form.validate_on_submit():
        on_refusal(field=form.tasks, render=page)
        derived = dispatch.dispatch(plan, form.tasks.data or [], current_user)
        flash(f"已将 {len(derived[0].tasks)} 项任务下发至 {len(derived)} 个市州局。", "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return page()


def _dispatch_refusal(plan: Plan) -> str | None:
    """Why the plan cannot be dispatched (shown above the form), or None."""
    try:
        dispatch.ensure_may_dispatch(plan, current_user)
    except DubanError as refusal:
        return refusal.message
    return None
