"""Views of the work blueprint."""
from __future__ import annotations

from functools import partial
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.access import signed_in
from app.errors import on_refusal
from app.extensions import db
from app.fields import parse_id
from app.models import PlanTask, WorkItem, WorkItemState
from app.models.base import utcnow
from app.plans.presenting import mark_spans
from app.services.dashboards import lights
from app.services.lifecycle import discussion, drafts, review_facts, step_notices, work_items
from app.services.lifecycle.item_filters import FILTER_OPTIONS, ItemFilter, LightJudge
from app.services.lifecycle.task_view import task_history
from app.steps import build_form, step_of
from app.uploads import uploads
from app.work import bp


@bp.route("/inbox")
@signed_in
def inbox() -> str:
    """待办: the user's open work items."""
    filters = ItemFilter.from_args(request.args)
    page = work_items.inbox_page(current_user, request.args.get("page", 1, type=int), filters=filters,
                                 lit=_lit(filters))
    g.inbox_total = page.total  # the navigation's badge counts the same items
    items = page.items
    return render_template(
        "work/inbox.html", items=items, page=page, task_of=_task_of, subjects=step_notices.subjects_of(items),
        filters=filters, choices=work_items.inbox_choices(current_user), **FILTER_OPTIONS,
        instructions=discussion.pending_instructions(current_user),
        lights=lights.work_item_lights([item.id for item in items], utcnow()),
    )


@bp.route("/done")
@signed_in
def done() -> str:
    """已办: work items the user completed."""
    filters = ItemFilter.from_args(request.args)
    page = work_items.done_page(current_user, request.args.get("page", 1, type=int), filters=filters,
                                lit=_lit(filters))
    return render_template("work/done.html", items=page.items, page=page, task_of=_task_of, filters=filters,
                           choices=work_items.done_choices(current_user), subjects=step_notices.subjects_of(page.items),
                           **FILTER_OPTIONS)


def _lit(filters: ItemFilter) -> LightJudge | None:
    """The light filter's judge: the items lit as chosen, now."""
    return partial(lights.items_lit, filters.light, utcnow()) if filters.light else None


def _task_of(item: WorkItem) -> PlanTask | None:
    return db.session.get(PlanTask, item.instance.plan_task_id) if item.instance.plan_task_id else None


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@signed_in
def item(item_id: int) -> str | Response:
    """Do one step: its form, the task it belongs to, and what came before."""
    work_item = db.get_or_404(WorkItem, item_id)
    work_items.ensure_may_act(current_user, work_item)
    if work_item.state is not WorkItemState.OPEN:
        flash(work_items.closed_message(work_item), "info")
        return redirect(url_for("work.inbox"))
    if request.method == "POST":
        return _post(work_item)
    form = build_form(work_item, drafts.load_draft(work_item, current_user))
    return _page(work_item, form)


def _post(work_item: WorkItem) -> str | Response:
    form = build_form(work_item, request.form)
    if "add_milestone" in request.form or "remove_milestone" in request.form:
        _edit_rows(form, request.form.get("remove_milestone", type=int))
        step_of(work_item).prepare(form, work_item)
        return _page(work_item, form)
    if "save_draft" in request.form:
        drafts.save_draft(work_item, current_user, request.form)
        flash("草稿已保存,可稍后继续填写。", "success")
        return redirect(url_for("work.item", item_id=work_item.id))
    if not form.validate_on_submit():
        return _page(work_item, form)
    on_refusal(url_for("work.inbox"), field=form.submit, render=partial(_page, work_item, form),
               conflict=work_items.race_lost_message(work_item), form=form)
    message = step_of(work_item).submit(form, work_item, current_user, uploads())
    drafts.discard_draft(work_item, current_user)
    flash(message, "success")
    return redirect(url_for("work.inbox"))


def _edit_rows(form: Any, remove: int | None) -> None:  # the decomposition form, with its milestone rows
    """Add a milestone row, or remove row ``remove`` (the list keeps at least one)."""
    if remove is None:
        form.milestones.append_entry()
    elif 0 <= remove < len(form.milestones.entries) and len(form.milestones.entries) > 1:
        form.milestones.entries.pop(remove)


def _page(work_item: WorkItem, form: FlaskForm) -> str:
    task = _task_of(work_item)
    return render_template(
        "work/item.html", item=work_item, form=form, task=task, history=task_history(task) if task else None,
        subject=step_notices.subject_of(work_item),
        colleagues=work_items.colleagues(work_item, current_user), mark_spans=mark_spans,
        lights=lights.lights_of_task(task.id, [work_item.id], utcnow()) if task else None,
        facts=review_facts.facts_of(work_item),
    )


@bp.route("/items/<int:item_id>/sign", methods=["POST"])
@signed_in
def sign(item_id: int) -> Response:
    """签收 an item for the unit."""
    work_items.sign_for(db.get_or_404(WorkItem, item_id), current_user)
    flash("已签收。", "success")
    return redirect(url_for("work.item", item_id=item_id))


@bp.route("/items/<int:item_id>/hand-over", methods=["POST"])
@signed_in
def hand_over(item_id: int) -> Response:
    """转办 an item to a colleague of the unit."""
    work_item = db.get_or_404(WorkItem, item_id)
    on_refusal(url_for("work.item", item_id=item_id))
    colleague = work_items.hand_over(
        work_item, parse_id(request.form.get("to_user_id", "")), request.form.get("note"), current_user
    )
    flash(f"已转办给 {colleague.display_name}。", "success")
    return redirect(url_for("work.inbox"))
