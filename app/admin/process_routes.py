"""流程管理 views: the deployed diagrams, their versions, and uploading a new version (administrators only)."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.access import roles
from app.admin import bp
from app.admin.forms import (
    BindingForm,
    DiagramDeployForm,
    DiagramEditForm,
    DiagramUploadForm,
    InstanceActionForm,
    InstanceEndForm,
    InstanceMoveBackForm,
    InstanceRetryForm,
    MigrationForm,
)
from app.errors import on_refusal
from app.models import Role, StepKey
from app.services.lifecycle import processes
from app.workflow.specs import STEP_ROLES
from app.workflow.upload import MAX_DIAGRAM_BYTES, STAGES


@bp.route("/processes")
@roles(Role.ADMIN)
def processes_index() -> str:
    """Every process with its versions, the current one and the instances running on each."""
    return render_template("admin/processes.html", overview=processes.process_overview(), form=DiagramUploadForm())


@bp.route("/processes/<process_id>/v<int:version>")
@roles(Role.ADMIN)
def process_version(process_id: str, version: int) -> str:
    """One version's diagram in the viewer."""
    row = processes.version_of(process_id, version)
    return render_template("admin/process_version.html", row=row)


@bp.route("/processes/<process_id>/v<int:version>/diagram.bpmn")
@roles(Role.ADMIN)
def process_diagram(process_id: str, version: int) -> Response:
    """The stored BPMN text of one version, for the viewer."""
    return Response(processes.version_of(process_id, version).bpmn_xml, mimetype="application/xml")


@bp.route("/processes/<process_id>/v<int:version>/edit")
@roles(Role.ADMIN)
def process_edit(process_id: str, version: int) -> str:
    """在线编辑 one version in the bpmn-js modeler; saving checks it like an upload."""
    row = processes.version_of(process_id, version)
    form = DiagramEditForm(formdata=None, filename=f"{process_id}-v{version}-edited.bpmn")
    choices = {"formKeys": list(StepKey),
               "roles": [[role.value, role.label] for role in Role if role.value in STEP_ROLES]}
    return render_template("admin/process_modeler.html", row=row, form=form, choices=choices)


@bp.route("/processes/check-edited", methods=["POST"])
@roles(Role.ADMIN)
def process_check_edited() -> str | Response:
    """Check the modeler's diagram stage by stage (the same checks and diff as an upload); nothing is stored."""
    form = DiagramEditForm()
    if not form.validate_on_submit():
        flash("编辑内容未能提交,请重新打开编辑器。", "danger")
        return redirect(url_for("admin.processes_index"))
    return _checked(form.xml.data.encode("utf-8"), form.filename.data)


@bp.route("/processes/check", methods=["POST"])
@roles(Role.ADMIN)
def process_check() -> str | Response:
    """Check an uploaded diagram stage by stage; nothing is stored here."""
    form = DiagramUploadForm()
    if not form.validate_on_submit():
        return render_template("admin/processes.html", overview=processes.process_overview(), form=form)
    upload = form.diagram.data
    data, name = upload.read(MAX_DIAGRAM_BYTES + 1), upload.filename or "diagram.bpmn"
    return _checked(data, name)


@bp.route("/processes/deploy", methods=["POST"])
@roles(Role.ADMIN)
def process_deploy() -> str | Response:
    """Deploy a diagram the administrator has just checked; it is checked again before it is stored."""
    form = DiagramDeployForm()
    on_refusal(redirect_to=url_for("admin.processes_index"))
    data = _decoded(form.content.data) if form.validate_on_submit() else None
    if data is None:
        flash("部署请求不完整,请重新上传流程图。", "danger")
        return redirect(url_for("admin.processes_index"))
    name = form.filename.data
    review = processes.review_upload(data, name)
    if not review.check.ok:
        return _checked(data, name, review)
    stored = processes.deploy_upload(data, name, current_user, make_current=form.make_current.data)
    for row, new in stored:
        flash(f"流程「{row.process_id}」第 {row.version} 版已部署。" if new
              else f"流程「{row.process_id}」第 {row.version} 版内容相同,无需重复部署。", "success" if new else "info")
    return redirect(url_for("admin.processes_index"))


def _checked(data: bytes, name: str, review: processes.UploadReview | None = None) -> str:
    review = review or processes.review_upload(data, name)
    deploy = DiagramDeployForm(formdata=None, content=base64.b64encode(data).decode("ascii"), filename=name)
    return render_template("admin/process_check.html", check=review.check, diffs=review.diffs, stages=STAGES,
                           deploy=deploy)


def _decoded(content: str) -> bytes | None:
    """The file bytes of the hidden field (None when it was tampered with)."""
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return None



@bp.route("/processes/instances")
@roles(Role.ADMIN)
def process_instances() -> str:
    """异常 (instances whose engine step failed) and the suspended instances, with a lookup by number."""
    return render_template("admin/process_instances.html", incidents=processes.incidents(),
                           suspended=processes.suspended())


@bp.route("/processes/instances/<int:instance_id>")
@roles(Role.ADMIN)
def process_instance(instance_id: int) -> str:
    """One instance: where it stands, its open work items, and the administrator's actions."""
    instance = processes.instance_of(instance_id)
    back = InstanceMoveBackForm()
    back.step.choices = processes.earlier_steps(instance)
    return render_template("admin/process_instance.html", instance=instance, action=InstanceActionForm(),
                           end=InstanceEndForm(), retry=InstanceRetryForm(), back=back,
                           items=processes.work_items_of(instance))


def _instance_action(instance_id: int, form: FlaskForm, act: Callable[[], object], done: str) -> Response:
    return _form_action(form, url_for("admin.process_instance", instance_id=instance_id), act, done)


def _form_action(form: FlaskForm, here: str, act: Callable[[], object], done: str) -> Response:
    """Validate a small form, act, flash what happened and go back ``here``; refusals flash and go back too."""
    on_refusal(redirect_to=here)
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        flash(errors[0] if errors else "提交的内容未通过校验。", "danger")
        return redirect(here)
    act()
    flash(done, "success")
    return redirect(here)


@bp.route("/processes/instances/<int:instance_id>/suspend", methods=["POST"])
@roles(Role.ADMIN)
def process_instance_suspend(instance_id: int) -> Response:
    """暂停."""
    return _instance_action(instance_id, InstanceActionForm(),
                            lambda: processes.suspend(instance_id, current_user),
                            "流程已暂停:不能办理,也不再发送提醒,恢复后继续。")


@bp.route("/processes/instances/<int:instance_id>/resume", methods=["POST"])
@roles(Role.ADMIN)
def process_instance_resume(instance_id: int) -> Response:
    """恢复."""
    return _instance_action(instance_id, InstanceActionForm(),
                            lambda: processes.resume(instance_id, current_user), "流程已恢复。")


@bp.route("/processes/instances/<int:instance_id>/end", methods=["POST"])
@roles(Role.ADMIN)
def process_instance_end(instance_id: int) -> Response:
    """终止 with a reason."""
    form = InstanceEndForm()
    return _instance_action(instance_id, form,
                            lambda: processes.end(instance_id, form.reason.data, current_user),
                            "流程已终止,未办理的待办已撤销。")


@bp.route("/processes/instances/<int:instance_id>/retry", methods=["POST"])
@roles(Role.ADMIN)
def process_instance_retry(instance_id: int) -> Response:
    """重试 the failed step."""
    form = InstanceRetryForm()

    def act() -> None:
        instance = processes.retry(instance_id, form.data.data or "", current_user)
        if instance.incident_at is not None:
            flash(f"重试仍然出错:{instance.incident_message}", "warning")

    return _instance_action(instance_id, form, act, "已重试出错的步骤。")


@bp.route("/processes/instances/<int:instance_id>/move-back", methods=["POST"])
@roles(Role.ADMIN)
def process_instance_move_back(instance_id: int) -> Response:
    """退回 to an earlier step, with a reason."""
    form = InstanceMoveBackForm()
    names = dict(processes.earlier_steps(processes.instance_of(instance_id)))
    return _instance_action(instance_id, form,
                            lambda: processes.move_back(instance_id, form.step.data, form.reason.data, current_user),
                            f"已退回到「{names.get(form.step.data, form.step.data)}」,办理人员会收到通知。")


def _binding_form() -> BindingForm:
    form = BindingForm()
    form.version.choices = [SelectChoice(f"{p.process_id}:{v.row.version}", f"{p.name} 第 {v.row.version} 版")
                            for p in processes.process_overview() for v in p.versions]
    form.scope.choices = [SelectChoice(f"{kind.value}:{value}", f"{kind.label}:{label}")
                          for kind, values in processes.scope_choices().items() for value, label in values]
    return form


@bp.route("/processes/bindings", methods=["GET", "POST"])
@roles(Role.ADMIN)
def process_bindings() -> str | Response:
    """版本绑定: which version new instances start on in a plan, an item source or a priority."""
    form = _binding_form()
    if form.validate_on_submit():
        on_refusal(redirect_to=url_for("admin.process_bindings"))
        process_id, _, version = form.version.data.rpartition(":")
        kind, _, value = form.scope.data.partition(":")
        binding = processes.bind(process_id, int(version), kind, value, current_user)
        flash(f"已绑定:{processes.scope_label(binding)} 的新流程使用「{process_id}」第 {version} 版。", "success")
        return redirect(url_for("admin.process_bindings"))
    rows = [(binding, processes.scope_label(binding)) for binding in processes.bindings()]
    return render_template("admin/process_bindings.html", form=form, rows=rows, remove=InstanceActionForm())


@bp.route("/processes/bindings/<int:binding_id>/delete", methods=["POST"])
@roles(Role.ADMIN)
def process_binding_delete(binding_id: int) -> Response:
    """Remove a binding."""
    return _form_action(InstanceActionForm(), url_for("admin.process_bindings"),
                        lambda: processes.unbind(binding_id, current_user), "已解除绑定,该范围的新流程使用当前版本。")


@bp.route("/processes/migrate", methods=["GET", "POST"])
@roles(Role.ADMIN)
def process_migrate() -> str | Response:
    """迁移: the dry run of every running instance of a version (GET), then moving the safe ones (POST)."""
    form = MigrationForm()
    on_refusal(redirect_to=url_for("admin.processes_index"))
    posted = form.validate_on_submit()
    if posted:
        source_text, target_version, scope_text = form.source.data, int(form.target.data), form.scope.data
    else:
        source_text, target_version = request.args.get("from", ""), request.args.get("to", type=int) or 0
        scope_text = request.args.get("scope", "")
    source, scope = processes.parse_from(source_text), processes.parse_scope(scope_text)
    target, verdicts = processes.dry_run(source, target_version, scope)
    results = processes.migrate_safe(source, target, current_user, scope) if posted else None
    form.source.data, form.target.data = f"{source.process_id}:{source.version}", str(target.version)
    form.scope.data = scope_text
    return render_template("admin/process_migrate.html", source=source, target=target, verdicts=verdicts,
                           results=results, form=form, scopes=processes.scope_choices(), scope=scope_text)
