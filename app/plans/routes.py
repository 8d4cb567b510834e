"""Views of the plans blueprint."""
from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles
from app.errors import DubanError, on_refusal
from app.extensions import db
from app.models import Plan, PlanImportDraft, Role
from app.models.base import utcnow
from app.plans import bp
from app.plans.forms import ImportForm, ItemForm, decisions, field_name, members_field_name, review_form
from app.plans.presenting import mark_spans
from app.services import directory, items, lights, plan_import, plan_view
from app.services.dashboard.facts import beijing_today

READERS = (Role.SUPERVISOR, Role.ADMIN, Role.LEADER)


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
    page = partial(render_template, "plans/import.html", form=form)
    if form.validate_on_submit():
        upload = form.document.data
        on_refusal(_imported_before, field=form.document, render=page)
        draft = plan_import.start_import(
            directory.home_organisation(current_user), current_user, form.year.data,
            data=upload.read() if upload else None, filename=upload.filename if upload else None,
            pasted=form.pasted.data, max_bytes=current_app.config["PLAN_MAX_BYTES"],
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
    if draft.plan_id is not None:
        flash("该导入已经确认过,以下为导入后的计划。", "info")
        return redirect(url_for("plans.detail", plan_id=draft.plan_id))
    preview = plan_import.preview(draft)
    org = draft.organisation
    form = review_form(preview.unresolved, directory.list_units(org, active_only=True), directory.list_groups(org))
    page = partial(
        render_template, "plans/review.html", draft=draft, preview=preview, form=form, field_name=field_name,
        members_field_name=members_field_name, mark_spans=mark_spans,
    )
    if form.validate_on_submit():
        on_refusal(_imported_before, field=form.submit, render=page)
        plan = plan_import.confirm_import(draft, decisions(form, preview.unresolved), current_user)
        flash(f"已导入计划《{plan.title}》,共 {len(plan.tasks)} 项任务。", "success")
        return redirect(url_for("plans.detail", plan_id=plan.id))
    return page()


@bp.route("/<int:plan_id>")
@roles(*READERS)
def detail(plan_id: int) -> str:
    """One plan: its sections and tasks with responsibilities and targets."""
    plan = db.get_or_404(Plan, plan_id)
    page = plan_view.task_page(plan.id, request.args.get("page", 1, type=int))
    return render_template("plans/detail.html", plan=plan, mark_spans=mark_spans, page=page,
                           lights=lights.task_lights(utcnow(), task_ids=[task.id for task in page.items]))


@bp.route("/<int:plan_id>/archive", methods=["POST"])
@roles(Role.SUPERVISOR)
def archive(plan_id: int) -> Response:
    """Archive a plan (plans are never deleted)."""
    plan = db.get_or_404(Plan, plan_id)
    plan_import.archive_plan(plan, current_user)
    flash(f"计划《{plan.title}》已归档。", "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))
