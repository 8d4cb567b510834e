"""Views of the API for what the pages do beside completing steps: 催办, 延期, 留言 and 批示.

Each body is validated by the page's own form (app/api/form_data.py) and handed to the page's service;
the rules (who may, what is refused) live there.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles, signed_in
from app.api import bp
from app.api.form_data import json_body, validated_form
from app.api.serialize import unit_ref, user_ref, when
from app.deadlines.forms import ExtensionDecisionForm, ExtensionRequestForm
from app.errors import ValidationFailed
from app.extensions import db
from app.models import ExtensionRequest, LeaderInstruction, PlanTask, Role, TaskComment, Urge, User, WorkItem
from app.rectification.forms import UrgeForm
from app.services.follow_up import extensions, urging
from app.services.infrastructure import visibility
from app.services.lifecycle import discussion
from app.services.timing.workdays import BEIJING
from app.tasks.forms import CommentForm, InstructionForm

#: The decisions on an extension request (the page's two buttons 批准 / 不予批准).
DECISIONS = ("approve", "refuse")


def urge_json(urge: Urge) -> dict[str, Any]:
    """One 催办."""
    return {"id": urge.id, "work_item_id": urge.work_item_id, "task_id": urge.plan_task_id,
            "unit": unit_ref(urge.unit_id), "message": urge.message,
            "sent_by": user_ref(db.session.get(User, urge.sent_by_id)), "sent_at": when(urge.sent_at)}


def extension_json(ext: ExtensionRequest) -> dict[str, Any]:
    """One extension request and, once decided, its decision."""
    return {"id": ext.id, "work_item_id": ext.work_item_id, "unit": unit_ref(ext.unit_id),
            "current_due_at": when(ext.current_due_at), "requested_due_at": when(ext.requested_due_at),
            "reason": ext.reason, "requested_by": user_ref(db.session.get(User, ext.requested_by_id)),
            "requested_at": when(ext.requested_at), "status": ext.status.value, "status_label": ext.status.label,
            "decided_by": user_ref(db.session.get(User, ext.decided_by_id) if ext.decided_by_id else None),
            "decided_at": when(ext.decided_at), "decision_note": ext.decision_note,
            "approved_due_at": when(ext.approved_due_at)}


def post_json(post: TaskComment | LeaderInstruction) -> dict[str, Any]:
    """A comment or a leader's instruction on a task."""
    return {"id": post.id, "task_id": post.plan_task_id, "author": user_ref(db.session.get(User, post.author_id)),
            "body": post.body, "created_at": when(post.created_at)}


@bp.post("/work-items/<int:item_id>/urge")
@roles(Role.SUPERVISOR)
def urge(item_id: int) -> tuple[Response, int]:
    """催办 an open step of a unit (督审处); the unit's people get a notice and mail."""
    item = db.get_or_404(WorkItem, item_id)
    form = validated_form(UrgeForm, json_body())
    return jsonify(urge_json(urging.urge(item, form.message.data, current_user))), 201


@bp.post("/work-items/<int:item_id>/extension")
@signed_in
def request_extension(item_id: int) -> tuple[Response, int]:
    """申请延期 on an open step of the caller's unit."""
    item = db.get_or_404(WorkItem, item_id)
    extensions.ensure_may_request(current_user, item)
    form = validated_form(ExtensionRequestForm, json_body())
    ext = extensions.request_extension(item, form.requested_due.data, form.reason.data, current_user)
    return jsonify(extension_json(ext)), 201


@bp.get("/extensions")
@roles(Role.SUPERVISOR)
def pending_extensions() -> Response:
    """延期审批: the requests waiting for 督审处."""
    return jsonify(extensions=[extension_json(ext) for ext in extensions.pending()])


@bp.post("/extensions/<int:request_id>/decide")
@roles(Role.SUPERVISOR)
def decide_extension(request_id: int) -> Response:
    """Approve (possibly with another day) or refuse one request.

    :raises ValidationFailed: ``decision`` is neither approve nor refuse.
    """
    ext = db.get_or_404(ExtensionRequest, request_id)
    body = json_body()
    decision = body.get("decision")
    if decision not in DECISIONS:
        raise ValidationFailed("decision 须为 approve(批准)或 refuse(不予批准)。")
    fields = {key: value for key, value in body.items() if key != "decision"}
    # The page's form starts with the day asked for; omitted, it is granted as asked (or ignored by a refusal).
    fields.setdefault("granted_due", ext.requested_due_at.astimezone(BEIJING).date().isoformat())
    form = validated_form(ExtensionDecisionForm, fields)
    if decision == "refuse":
        extensions.refuse(ext, form.note.data, current_user)
    else:
        extensions.approve(ext, form.granted_due.data, form.note.data, current_user, form.beyond_plan_year.data)
    return jsonify(extension_json(ext))


@bp.post("/tasks/<int:task_id>/comments")
@signed_in
def comment(task_id: int) -> tuple[Response, int]:
    """留言 on a task the caller may see."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)  # a stranger learns nothing from the form's checks
    form = validated_form(CommentForm, json_body())
    return jsonify(post_json(discussion.add_comment(task, form.body.data, current_user))), 201


@bp.post("/tasks/<int:task_id>/instructions")
@roles(Role.LEADER)
def instruct(task_id: int) -> tuple[Response, int]:
    """领导批示 on a task; the responsible units acknowledge it in their 待办."""
    task = db.get_or_404(PlanTask, task_id)
    form = validated_form(InstructionForm, json_body())
    return jsonify(post_json(discussion.add_instruction(task, form.body.data, current_user))), 201
