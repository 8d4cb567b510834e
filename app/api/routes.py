"""Views of the API: work items, completing one with its form's fields, a task with its history."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import public, roles, signed_in
from app.api import bp
from app.api.form_data import blank_step_form, json_body, validated_form, validated_step_form
from app.api.form_fields import describe_form
from app.api.openapi import openapi_document
from app.api.serialize import work_item_json
from app.api.serialize_task import task_json
from app.errors import on_refusal
from app.extensions import db
from app.models import PlanTask, Role, WorkItem
from app.plans.forms import ItemForm
from app.services.dashboards.facts import beijing_today
from app.services.infrastructure import visibility
from app.services.lifecycle import work_items
from app.services.lifecycle.task_view import task_history
from app.services.plans import directory, items
from app.services.scoring import closure
from app.steps import STEPS, step_of


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API (public: it describes, it reveals no data)."""
    return jsonify(openapi_document())


@bp.get("/work-items")
@signed_in
def list_work_items() -> Response:
    """待办: the caller's open work items as the inbox lists them, a page at a time (``page``, ``per_page``)."""
    page = work_items.inbox_page(current_user, request.args.get("page", 1, type=int),
                                 request.args.get("per_page", work_items.PAGE_SIZE, type=int))
    following = url_for("api.list_work_items", page=page.page + 1, per_page=page.per_page) \
        if page.has_next else None
    return jsonify(items=[work_item_json(item) for item in page.items], page=page.page,
                   per_page=page.per_page, total=page.total, next=following)


@bp.get("/work-items/<int:item_id>")
@signed_in
def work_item(item_id: int) -> Response:
    """One work item and the fields its form asks for."""
    item = db.get_or_404(WorkItem, item_id)
    work_items.ensure_may_act(current_user, item)
    fields: list[dict[str, Any]] = describe_form(blank_step_form(item)) if item.form_key in STEPS else []
    return jsonify({**work_item_json(item), "fields": fields})


@bp.post("/work-items/<int:item_id>/complete")
@signed_in
def complete_work_item(item_id: int) -> Response:
    """Complete one step with its form's fields, validated by the page's form, through the page's service."""
    item = db.get_or_404(WorkItem, item_id)
    work_items.ensure_may_act(current_user, item)
    work_items.ensure_open(item)
    on_refusal(conflict=work_items.race_lost_message(item))
    form = validated_step_form(item, json_body())
    message = step_of(item).submit(form, item, current_user, ())  # the API takes no attachments
    return jsonify(message=message, work_item=work_item_json(item))


@bp.post("/items")
@roles(Role.SUPERVISOR)
def create_item() -> tuple[Response, int]:
    """督办事项立项 with the page's form fields; answers the new item as a task (201)."""
    form = validated_form(ItemForm, json_body())
    plan = items.register_item(directory.home_organisation(current_user), form.request(), current_user,
                               beijing_today())
    task = plan.tasks[0]
    return jsonify(task_json(task, task_history(task), False)), 201


@bp.get("/tasks/<int:task_id>")
@signed_in
def task(task_id: int) -> Response:
    """A task with its whole history, for those who may see it."""
    plan_task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, plan_task)
    return jsonify(task_json(plan_task, task_history(plan_task), closure.is_closed(plan_task)))
