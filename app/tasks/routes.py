"""Views of the tasks blueprint."""
from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, render_template, send_file
from flask_login import current_user

from app import workflow
from app.access import roles, signed_in
from app.extensions import db
from app.models import Attachment, PlanTask, Role, WorkflowInstance
from app.plans.presenting import mark_spans
from app.services import closure, visibility
from app.services.task_view import task_history, tasks_of_unit
from app.tasks import bp
from app.work.steps import unit_name


@bp.route("/tasks/<int:task_id>")
@signed_in
def detail(task_id: int) -> str:
    """A task: its text and targets, every submission and verdict in order, the diagram, the audit trail."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)
    history = task_history(task)
    states = {instance.id: workflow.diagram_state(instance) for instance in history.instances}
    return render_template(
        "tasks/detail.html", task=task, history=history, states=states, closed=closure.is_closed(task),
        mark_spans=mark_spans, unit_name=unit_name,
    )


@bp.route("/tasks/<int:task_id>/instances/<int:instance_id>/diagram.bpmn")
@signed_in
def diagram(task_id: int, instance_id: int) -> Response:
    """The BPMN diagram an instance runs on (its own version), for the viewer."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)
    instance = db.get_or_404(WorkflowInstance, instance_id)
    if instance.plan_task_id != task.id:
        abort(404)
    return Response(instance.spec_version.bpmn_xml, mimetype="application/xml")


@bp.route("/my-tasks")
@roles(Role.LIAISON, Role.UNIT_HEAD)
def mine() -> str:
    """本单位任务: the tasks the user's unit answers for."""
    tasks = tasks_of_unit(current_user.unit_id) if current_user.unit_id else []
    return render_template("tasks/mine.html", tasks=tasks)


@bp.route("/attachments/<int:attachment_id>")
@signed_in
def attachment(attachment_id: int) -> Response:
    """Download an attachment; only those who may see its task may."""
    file = db.get_or_404(Attachment, attachment_id)
    visibility.ensure_can_view_task(current_user, db.get_or_404(PlanTask, file.plan_task_id))
    path = Path(current_app.config["ATTACHMENT_DIR"]) / f"task-{file.plan_task_id}" / file.stored_name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=file.content_type.split(";")[0], as_attachment=True, download_name=file.original_name)
