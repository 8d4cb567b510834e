"""Views of the tasks blueprint."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect

from app import workflow
from app.access import roles, signed_in
from app.errors import on_refusal
from app.extensions import db
from app.models import Attachment, LeaderInstruction, PlanTarget, PlanTask, Priority, Role, WorkflowInstance
from app.models.base import utcnow
from app.plan_parser.reading import decode_text
from app.plans.presenting import mark_spans
from app.services.dashboards import cities as city_dashboard
from app.services.dashboards import lights
from app.services.dashboards.facts import beijing_today
from app.services.infrastructure import attachments, visibility
from app.services.lifecycle import discussion, step_notices
from app.services.lifecycle.task_view import task_history, tasks_of_unit
from app.services.plans import directory, dispatch, target_split
from app.services.scoring import closure, task_holds
from app.tasks import bp
from app.tasks.forms import AssignForm, CommentForm, InstructionForm, PriorityForm, share_field, split_form


@bp.route("/tasks/<int:task_id>")
@signed_in
def detail(task_id: int) -> str:
    """A task: its text and targets, every submission and verdict in order, the diagram, the audit trail."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)
    return _detail_page(task)


def _detail_page(task: PlanTask, **forms: object) -> str:
    history = task_history(task)
    comments, instructions = discussion.thread(task)
    return render_template(
        "tasks/detail.html", task=task, history=history, closed=closure.is_closed(task),
        states={instance.id: workflow.diagram_state(instance) for instance in history.instances},
        instance_names=step_notices.instance_names(history.instances),
        comments=comments, instructions=instructions, mark_spans=mark_spans,
        comment_form=forms.get("comment_form") or CommentForm(formdata=None),
        instruction_form=forms.get("instruction_form") or InstructionForm(formdata=None),
        priority_form=PriorityForm(formdata=None, priority=task.priority.value),
        acknowledgeable=discussion.to_acknowledge(task, instructions, current_user),
        lights=lights.lights_of_task(task.id, [item.id for item in history.open_items], utcnow()),
        holds=task_holds.of_task(task),
        may_request_hold=task_holds.may_request(current_user, task) and task_holds.hold_blocker(task) is None,
        rollup=city_dashboard.task_rollup(task, beijing_today(), utcnow()) if task.for_cities else None,
        rollup_links=visibility.sees_whole_bureau(current_user),
        may_assign=dispatch.may_assign(task, current_user),
        splittable={target.id for target in task.targets if target_split.may_split(target, current_user)}
        if task.for_cities else set(),
    )


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
@signed_in
def comment(task_id: int) -> str | Redirect:
    """Post to the task's comment thread."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)
    form = CommentForm()
    page = partial(_detail_page, task, comment_form=form)
    if not form.validate_on_submit():
        return page()
    on_refusal(field=form.body, render=page)
    discussion.add_comment(task, form.body.data, current_user)
    flash("留言已发表。", "success")
    return redirect(url_for("tasks.detail", task_id=task.id) + "#thread")


@bp.route("/tasks/<int:task_id>/instructions", methods=["POST"])
@roles(Role.LEADER)
def instruct(task_id: int) -> str | Redirect:
    """A leader's instruction on the task."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)
    form = InstructionForm()
    page = partial(_detail_page, task, instruction_form=form)
    if not form.validate_on_submit():
        return page()
    on_refusal(field=form.body, render=page)
    discussion.add_instruction(task, form.body.data, current_user)
    flash("批示已发出,责任单位将在待办中确认。", "success")
    return redirect(url_for("tasks.detail", task_id=task.id) + "#instructions")


@bp.route("/instructions/<int:instruction_id>/acknowledge", methods=["POST"])
@roles(Role.LIAISON, Role.UNIT_HEAD)
def acknowledge(instruction_id: int) -> Redirect:
    """The user's unit confirms a leader's instruction."""
    instruction = db.get_or_404(LeaderInstruction, instruction_id)
    discussion.acknowledge(instruction, current_user)
    flash("已确认领导批示。", "success")
    return redirect(url_for("tasks.detail", task_id=instruction.plan_task_id) + "#instructions")


@bp.route("/tasks/<int:task_id>/priority", methods=["POST"])
@roles(Role.SUPERVISOR)
def priority(task_id: int) -> Redirect:
    """督审处 sets the task's priority."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_own_organisation(current_user, task.plan.organisation_id)
    form = PriorityForm()
    if form.validate_on_submit():
        discussion.set_priority(task, Priority(form.priority.data), current_user)
        flash(f"督办等级已调整为“{task.priority.label}”。", "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.route("/tasks/<int:task_id>/instances/<int:instance_id>/diagram.bpmn")
@signed_in
def diagram(task_id: int, instance_id: int) -> Response:
    """The BPMN diagram an instance runs on (its own version), for the viewer."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_can_view_task(current_user, task)
    instance = db.get_or_404(WorkflowInstance, instance_id)
    if instance.plan_task_id != task.id:
        abort(404)
    return Response(workflow.diagram_xml(instance.spec_version), mimetype="application/xml")


@bp.route("/my-tasks")
@roles(Role.LIAISON, Role.UNIT_HEAD)
def mine() -> str:
    """本单位任务: the tasks the user's unit answers for."""
    tasks = tasks_of_unit(current_user.unit_id) if current_user.unit_id else []
    return render_template("tasks/mine.html", tasks=tasks,
                           lights=lights.task_lights(utcnow(), task_ids=[task.id for task in tasks]))


@bp.route("/attachments/<int:attachment_id>")
@signed_in
def attachment(attachment_id: int) -> Response:
    """Download an attachment; only those who may see its task may."""
    file = db.get_or_404(Attachment, attachment_id)
    visibility.ensure_can_view_task(current_user, db.get_or_404(PlanTask, file.plan_task_id))
    path = Path(current_app.config["ATTACHMENT_DIR"]) / f"task-{file.plan_task_id}" / file.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(path)
    response.headers["Content-Type"] = attachments.served_type(file.stored_name)
    response.headers["Content-Disposition"] = attachments.content_disposition(file.id, file.original_name,
                                                                          file.stored_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/tasks/<int:task_id>/targets/<int:target_id>/split", methods=["GET", "POST"])
@roles(Role.SUPERVISOR, Role.LIAISON, Role.UNIT_HEAD)
def split(task_id: int, target_id: int) -> str | Redirect:
    """指标分解: each city's share of a province-wide count, by hand, evenly, or in proportion to a column."""
    target = db.get_or_404(PlanTarget, target_id)
    if target.task_id != task_id:
        abort(404)
    target_split.ensure_may_open(target, current_user)
    shares = target_split.shares(target)
    form = split_form([(s.organisation.id, s.organisation.short_name, s.target.value) for s in shares])
    page = partial(render_template, "tasks/split.html", task=target.task, target=target, shares=shares,
                   form=form, share_field=share_field)
    if form.validate_on_submit():
        on_refusal(field=form.save, render=page)
        ids = [s.organisation.id for s in shares]
        if form.evenly.data:
            values = target_split.even(target, ids)
        elif form.by_column.data:
            upload = form.upload.data
            text = decode_text(upload.read()) if upload else form.column.data or ""
            values = target_split.proportional(
                target, target_split.parse_column(text, [s.organisation for s in shares]))
        else:
            values = {i: form[share_field(i)].data for i in ids if form[share_field(i)].data is not None}
        target_split.split(target, values, current_user)
        flash(f"已分解“{target.phrase}”至 {len(shares)} 个市州局。", "success")
        return redirect(url_for("tasks.detail", task_id=task_id) + "#city-rollup")
    return page()


@bp.route("/tasks/<int:task_id>/assign", methods=["GET", "POST"])
@roles(Role.SUPERVISOR)
def assign(task_id: int) -> str | Redirect:
    """确定科室: the city's 督查 staff name the 科室 of a dispatched task whose lead 处室 was not mapped."""
    task = db.get_or_404(PlanTask, task_id)
    visibility.ensure_own_organisation(current_user, task.plan.organisation_id)
    units = directory.list_units(task.plan.organisation, active_only=True)
    form = AssignForm()
    form.lead.choices = [(0, "请选择…")] + [(unit.id, unit.name) for unit in units]
    form.cooperating.choices = [(unit.id, unit.name) for unit in units]
    page = partial(render_template, "tasks/assign.html", task=task, form=form)
    if form.validate_on_submit():
        on_refusal(field=form.submit, render=page)
        dispatch.assign_units(task, form.lead.data, form.cooperating.data or [], current_user)
        flash("已确定承办科室,牵头科室将收到分解待办。", "success")
        return redirect(url_for("tasks.detail", task_id=task.id))
    return page()
