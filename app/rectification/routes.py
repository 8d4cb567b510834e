"""Views of the rectification blueprint: open, list and show rectifications; 催办."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app import exports
from app.access import roles, signed_in
from app.errors import on_refusal
from app.extensions import db
from app.filters import unit_name
from app.models import PlanTask, Rectification, RectificationStatus, ReviewRecord, Role, WorkItem
from app.models.base import utcnow
from app.rectification import bp
from app.rectification.forms import RectificationForm, RectificationFromReviewForm, UrgeForm
from app.security import safe_next
from app.services.dashboards import lights
from app.services.dashboards.facts import beijing_today
from app.services.follow_up import rectification, rectification_view, urging
from app.services.follow_up.rectification import RectificationOrder
from app.services.infrastructure import visibility
from app.services.lifecycle import step_notices
from app.services.lifecycle.item_filters import FILTER_OPTIONS, ItemFilter


@bp.route("/tasks/<int:task_id>/rectifications/new", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def new(task_id: int) -> str | Response:
    """发起整改 on a task."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_own_organisation(current_user, task.plan.organisation_id)
    form = RectificationForm()
    _fill_choices(form, task)
    page = partial(render_template, "rectification/new.html", form=form, task=task, review=None)
    if form.validate_on_submit():
        order = RectificationOrder(form.unit.data, form.source.data, form.problems.data.splitlines(),
                                   form.requirement.data, form.due_date.data, form.milestone.data or None)
        on_refusal(field=form.submit, render=page)
        return _opened(rectification.open_rectification(task, order, current_user))
    return page()


def _fill_choices(form: RectificationForm, task: PlanTask) -> None:
    form.unit.choices = [SelectChoice(0, "请选择…")] + [
        SelectChoice(u.id, u.name) for u in rectification.answering_units(task)]
    form.milestone.choices = [SelectChoice(0, "(整个任务)")] + [
        SelectChoice(m.id, f"{m.unit.name}:{m.title}") for m in rectification_view.milestones_of(task)]


@bp.route("/reviews/<int:review_id>/rectification", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def new_from_review(review_id: int) -> str | Response:
    """发起整改 from a returned report, its comments carried over as the problems."""
    review = db.get_or_404(ReviewRecord, review_id)
    rectification.ensure_may_open_rectification(review, current_user)
    milestone = rectification.reported_milestone(review)
    form = RectificationFromReviewForm(formdata=request.form if request.method == "POST" else None,
                                       problems="\n".join(rectification.problems_from_review(review)))
    page = partial(render_template, "rectification/new.html", form=form, task=milestone.decomposition.task,
                   review=review, milestone=milestone)
    if form.validate_on_submit():
        order = RectificationOrder(None, "", form.problems.data.splitlines(), form.requirement.data,
                                   form.due_date.data)
        on_refusal(field=form.submit, render=page)
        return _opened(rectification.open_from_review(review, order, current_user))
    return page()


def _opened(opened: Rectification) -> Response:
    flash(f"已向{opened.unit.name}发起整改,整改期限 {opened.due_date}。", "success")
    return redirect(url_for("rectification.detail", rectification_id=opened.id))


@bp.route("/rectifications/<int:rectification_id>")
@signed_in
def detail(rectification_id: int) -> str:
    """A rectification: problems, requirement, deadline, every plan and result round with verdicts."""
    found = db.get_or_404(Rectification, rectification_id)
    rectification_view.ensure_can_view(current_user, found)
    return render_template("rectification/detail.html", rectification=found,
                           rounds=rectification_view.rounds(found))


@bp.route("/rectifications")
@roles(Role.SUPERVISOR)
def index() -> str:
    """整改台账: every rectification, filtered by status."""
    status = request.args.get("status", "")
    chosen = RectificationStatus(status) if status in set(RectificationStatus) else None
    page = rectification_view.rectification_page(chosen, status == "open", request.args.get("page", 1, type=int),
                                                 visibility.organisation_id_of(current_user))
    return render_template("rectification/index.html", status=status, statuses=list(RectificationStatus),
                           rectifications=page.items, page=page)


@bp.route("/rectifications/export")
@roles(Role.SUPERVISOR)
def export() -> Response:
    """The 整改台账 as .xlsx, filtered as the list is."""
    document = exports.rectifications_document(request.args.get("status"), beijing_today(),
                                               visibility.organisation_id_of(current_user))
    response = send_file(document.stream(), mimetype=document.mimetype)
    response.headers["Content-Disposition"] = document.content_disposition
    return response


@bp.route("/urging")
@roles(Role.SUPERVISOR)
def open_items() -> str:
    """在办事项: every open unit step, with its 催办 count and a 催办 form."""
    filters = ItemFilter.from_args(request.args)
    lit = partial(lights.items_lit, filters.light, utcnow()) if filters.light else None
    own = visibility.organisation_id_of(current_user)
    page = urging.urgeable_page(request.args.get("page", 1, type=int), filters, lit, own)
    items = page.items
    return render_template("rectification/open_items.html", items=items, page=page,
                           task_of=lambda item: db.session.get(PlanTask, item.instance.plan_task_id),
                           counts=urging.urge_counts([i.id for i in items]), filters=filters,
                           subjects=step_notices.subjects_of(items),
                           choices=urging.urgeable_choices(own), bulk_form=UrgeForm(), **FILTER_OPTIONS)


@bp.route("/urging/bulk", methods=["POST"])
@roles(Role.SUPERVISOR)
def urge_many() -> Response:
    """批量催办: the ticked items, one message; each item urged or refused on its own, said item by item."""
    back = safe_next(request.form.get("next"), url_for("rectification.open_items"))
    ids = [int(value) for value in request.form.getlist("item_ids") if value.isdigit() and len(value) < 10]
    items = list(db.session.scalars(select(WorkItem).where(WorkItem.id.in_(ids)).order_by(WorkItem.id)))
    on_refusal(back)
    outcomes = urging.urge_many(items, request.form.get("message", ""), current_user)
    sent = [outcome for outcome in outcomes if outcome.urge is not None]
    if sent:
        flash(f"已催办 {len(sent)} 项,责任单位将收到站内通知和邮件。", "success")
    for outcome in outcomes:
        if outcome.refusal:
            flash(f"未催办「{outcome.item.step_name}」({unit_name(outcome.item.unit_id)}):{outcome.refusal}",
                  "warning")
    return redirect(back)


@bp.route("/work/items/<int:item_id>/urge", methods=["POST"])
@roles(Role.SUPERVISOR)
def urge(item_id: int) -> Response:
    """催办 an open work item."""
    item = db.get_or_404(WorkItem, item_id)
    own = visibility.organisation_of_task(item.instance.plan_task_id or 0)
    visibility.ensure_own_organisation(current_user, own or 0)
    form = UrgeForm()
    if not form.validate_on_submit():
        flash("请填写催办内容。", "warning")
        return redirect(_back_to(item))
    on_refusal(_back_to(item))
    urging.urge(item, form.message.data, current_user)
    flash("已催办,责任单位将收到站内通知和邮件。", "success")
    return redirect(_back_to(item))


def _back_to(item: WorkItem) -> str:
    """Where the 催办 came from: a path inside Duban, else the item's task page."""
    return safe_next(request.form.get("next"), url_for("tasks.detail", task_id=item.instance.plan_task_id))

