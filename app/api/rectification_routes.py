"""Views of the API for rectifications (整改): the 整改台账, one rectification, and opening one from a returned report.

The unit's plan and result and 督审处's reviews are work items like any step (POST /api/work-items/{id}/complete).
"""
from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles, signed_in
from app.api import bp
from app.api.form_data import json_body, validated_form
from app.api.serialize import unit_ref, when
from app.extensions import db
from app.models import Rectification, RectificationStatus, ReviewRecord, Role
from app.rectification.forms import RectificationFromReviewForm
from app.services.follow_up import rectification as rectifying
from app.services.follow_up import rectification_view
from app.services.follow_up.rectification import RectificationOrder


def rectification_json(found: Rectification) -> dict[str, Any]:
    """A rectification: what to fix, by when, where it stands."""
    return {"id": found.id, "task_id": found.plan_task_id, "milestone_id": found.milestone_id,
            "unit": unit_ref(found.unit_id), "source": found.source.value, "source_label": found.source.label,
            "review_id": found.review_record_id, "problems": [p.text for p in found.problems],
            "requirement": found.requirement, "due_date": found.due_date.isoformat(), "status": found.status.value,
            "status_label": found.status.label, "opened_at": when(found.opened_at), "closed_at": when(found.closed_at),
            "links": {"self": url_for("api.rectification", rectification_id=found.id),
                      "task": url_for("api.task", task_id=found.plan_task_id)}}


@bp.get("/rectifications")
@roles(Role.SUPERVISOR)
def rectifications() -> Response:
    """整改台账: every rectification, newest first; ``status`` (or ``open``), a page at a time (督审处)."""
    status = request.args.get("status", "")
    chosen = RectificationStatus(status) if status in set(RectificationStatus) else None
    page = rectification_view.rectification_page(chosen, status == "open", request.args.get("page", 1, type=int))
    return jsonify(rectifications=[rectification_json(r) for r in page.items], page=page.page, total=page.total)


@bp.get("/rectifications/<int:rectification_id>")
@signed_in
def rectification(rectification_id: int) -> Response:
    """One rectification, to 督审处 and the unit concerned."""
    found = db.get_or_404(Rectification, rectification_id)
    rectification_view.ensure_can_view(current_user, found)
    return jsonify(rectification_json(found))


@bp.post("/reviews/<int:review_id>/rectification")
@roles(Role.SUPERVISOR)
def open_from_review(review_id: int) -> tuple[Response, int]:
    """发起整改 from a returned report (督审处): ``problems`` one per line, ``requirement``, ``due_date``."""
    review = db.get_or_404(ReviewRecord, review_id)
    rectifying.ensure_may_open_rectification(review, current_user)
    form = validated_form(RectificationFromReviewForm, json_body())
    order = RectificationOrder(None, "", form.problems.data.splitlines(), form.requirement.data, form.due_date.data)
    return jsonify(rectification_json(rectifying.open_from_review(review, order, current_user))), 201
