"""流程管理 views: the deployed diagrams, their versions, and uploading a new version (administrators only)."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.access import roles
from app.admin import bp
from app.admin.forms import (
    DiagramDeployForm,
    DiagramUploadForm,
    InstanceActionForm,
    InstanceEndForm,
    InstanceRetryForm,
)
from app.errors import on_refusal
from app.models import Role
from app.services.lifecycle import processes
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
    stored = processes.deploy_upload(data, name, current_user)
    for row, new in stored:
        flash(f"流程「{row.process_id}」第 {row.version} 版已部署,新发起的流程将使用此版本。" if new
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
    return render_template("admin/process_instance.html", instance=instance, action=InstanceActionForm(),
                           end=InstanceEndForm(), retry=InstanceRetryForm(),
                           items=processes.work_items_of(instance))


def _instance_action(instance_id: int, form: FlaskForm, act: Callable[[], object], done: str) -> Response:
    here = url_for("admin.process_instance", instance_id=instance_id)
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
