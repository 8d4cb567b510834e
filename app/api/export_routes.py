"""Views of the API for the documents the dashboards export: 督查台账, 督查通报, 考核评分.

The same rules as the pages (app/dashboards/routes.py): the same readers, the same plan/source scope
(``plan``, ``source``) and ``as_of``; a large plan's document is prepared by a background job, answered
202 with the job, whose file is fetched once it is ready.
"""
from __future__ import annotations

import io
from typing import Any

from flask import current_app, jsonify, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import exports
from app.access import roles
from app.api import bp
from app.api.serialize import when
from app.dashboards.routes import READERS
from app.errors import NotFound
from app.exports import jobs
from app.fields import as_of_day
from app.models import ExportJob, ExportStatus
from app.scope_selector import requested_scope
from app.services.dashboards.facts import beijing_today


def job_json(job: ExportJob) -> dict[str, Any]:
    """A background export's state, and where its file is once ready."""
    ready = job.status is ExportStatus.READY
    return {"id": job.id, "kind": job.kind, "plan_id": job.plan_id, "as_of": job.as_of.isoformat(),
            "status": job.status.value, "progress": job.progress, "error": job.error,
            "created_at": when(job.created_at), "updated_at": when(job.updated_at),
            "links": {"self": url_for("api.export_job", job_id=job.id),
                      "file": url_for("api.export_job_file", job_id=job.id) if ready else None}}


@bp.get("/exports/<kind>")
@roles(*READERS)
def export(kind: str) -> Response | tuple[Response, int]:
    """The document of the plans and items in scope as of a day (200, the file), or its job (202) for a large plan.

    :raises NotFound: an unknown kind, or nothing to export.
    """
    if kind not in exports.KINDS:
        raise NotFound("没有这种导出文件。")
    scope = requested_scope()
    as_of = as_of_day(request.args.get("as_of"), beijing_today())
    if scope.empty:
        raise NotFound("尚无工作计划或督办事项,无法导出。")
    single = scope.plan or (scope.plans[0] if len(scope.plans) == 1 else None)
    if single is not None and jobs.is_large(single):
        job = jobs.request_document(kind, single, as_of, current_user)
        jobs.start(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
        return jsonify(job_json(job)), 202
    document = exports.build_document(kind, scope, as_of)
    response = send_file(document.stream(), mimetype=document.mimetype)
    response.headers["Content-Disposition"] = document.content_disposition
    return response


@bp.get("/exports/jobs/<int:job_id>")
@roles(*READERS)
def export_job(job_id: int) -> Response:
    """A background export's progress (the caller's own jobs only)."""
    return jsonify(job_json(jobs.job_of(job_id, current_user)))


@bp.get("/exports/jobs/<int:job_id>/file")
@roles(*READERS)
def export_job_file(job_id: int) -> Response:
    """A background export's file, once ready.

    :raises NotFound: not ready yet.
    """
    job = jobs.job_of(job_id, current_user)
    if job.data is None or job.filename is None or job.mimetype is None:
        raise NotFound("文件尚未生成。")
    return send_file(io.BytesIO(job.data), mimetype=job.mimetype, as_attachment=True, download_name=job.filename)
