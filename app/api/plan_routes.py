"""Views of the API for plans and registered 督办事项: the list and one plan with its tasks (the pages' readers)."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles
from app.api import bp
from app.api.form_data import json_body, validated_form
from app.api.serialize import when
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Plan, PlanImportDraft, Role
from app.plans.forms import ImportForm
from app.plans.routes import READERS
from app.services.plans import directory, plan_import


def plan_json(plan: Plan) -> dict[str, Any]:
    """A plan or 督办事项 as the plan list shows it."""
    return {"id": plan.id, "title": plan.title, "year": plan.year, "kind": plan.kind.value,
            "source": plan.source_label, "document_number": plan.document_number, "status": plan.status.value,
            "issuing_body": plan.issuing_body, "issued_on": when(plan.issued_on), "imported_at": when(plan.imported_at),
            "links": {"self": url_for("api.plan", plan_id=plan.id)}}


@bp.get("/plans")
@roles(*READERS)
def plans() -> Response:
    """Every plan and 督办事项 of the caller's organisation, newest first, archived ones last."""
    return jsonify(plans=[plan_json(p) for p in plan_import.list_plans(directory.home_organisation(current_user))])


@bp.get("/plans/<int:plan_id>")
@roles(*READERS)
def plan(plan_id: int) -> Response:
    """One plan with its tasks (number, title, 督办编号; GET /api/tasks/{id} gives a task's history).

    :raises NotFound: another organisation's plan.
    """
    found = db.get_or_404(Plan, plan_id)
    if found.organisation_id != directory.home_organisation(current_user).id:
        raise NotFound("找不到该工作计划或督办事项。")
    tasks = [{"id": t.id, "number": t.number, "title": t.title, "supervision_number": t.supervision_number,
              "section": t.section.title if t.section else None, "links": {"self": url_for("api.task", task_id=t.id)}}
             for t in sorted(found.tasks, key=lambda t: t.number)]
    return jsonify({**plan_json(found), "tasks": tasks})


def preview_json(preview: plan_import.ImportPreview) -> dict[str, Any]:
    """What the import's review page shows: the tasks read, and which names the directory knows."""
    draft, parsed = preview.draft, preview.parsed
    return {"draft_id": draft.id, "title": parsed.title, "year": draft.year, "document_number": parsed.document_number,
            "revises_plan_id": draft.revises_plan_id,
            "tasks": [{"number": t.number, "title": t.title} for t in parsed.tasks],
            "warnings": parsed.warnings, "errors": parsed.errors,
            "resolved": {name: target.name for name, target in preview.resolved.items()},
            "unresolved": preview.unresolved,
            "links": {"confirm": url_for("api.confirm_import", draft_id=draft.id)}}


@bp.post("/plans/import")
@roles(Role.SUPERVISOR)
def start_import() -> tuple[Response, int]:
    """Read a pasted plan into a draft and answer its preview (督审处); nothing is stored as a plan yet."""
    form = validated_form(ImportForm, json_body())
    if not (form.pasted.data or "").strip():
        raise ValidationFailed("请在 pasted 中提供工作要点的正文(接口不接收文件上传)。")
    draft = plan_import.start_import(directory.home_organisation(current_user), current_user, form.year.data,
                                     pasted=form.pasted.data, max_bytes=current_app.config["PLAN_MAX_BYTES"])
    return jsonify(preview_json(plan_import.preview(draft))), 201


@bp.post("/plans/import/<int:draft_id>/confirm")
@roles(Role.SUPERVISOR)
def confirm_import(draft_id: int) -> tuple[Response, int]:
    """Store the previewed plan when the directory knows every name it uses (督审处).

    :raises ValidationFailed: names still unknown, or a revision of a plan (both are decided on the review page).
    """
    draft = db.get_or_404(PlanImportDraft, draft_id)
    if draft.organisation_id != directory.home_organisation(current_user).id:
        raise NotFound("找不到该导入草稿。")
    preview = plan_import.preview(draft)
    if draft.plan_id is None and draft.revises_plan_id is not None:
        raise ValidationFailed("该文件是已有计划的修订版,请在导入预览页面上逐项确认修改。")
    if draft.plan_id is None and preview.unresolved:
        raise ValidationFailed(f"以下名称在单位目录中找不到:{'、'.join(preview.unresolved)}。"
                               "请先在单位目录中添加单位或别名,或在导入预览页面上逐个处理。")
    plan = plan_import.confirm_import(draft, {}, current_user)
    return jsonify(plan_json(plan)), 201
