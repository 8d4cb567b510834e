"""Views of the API for plans and registered 督办事项: the list and one plan with its tasks (the pages' readers)."""
from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles
from app.api import bp
from app.api.serialize import when
from app.errors import NotFound
from app.extensions import db
from app.models import Plan
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
