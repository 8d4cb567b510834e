"""Work items and the small references (user, unit, dates) every API answer uses."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import url_for

from app.api.openapi_schemas import body_schema_ref
from app.extensions import db
from app.models import PlanTask, Unit, User, WorkItem
from app.steps import STEPS


def when(value: date | datetime | None) -> str | None:
    """ISO 8601 (timestamps in UTC with their offset), or None."""
    return value.isoformat() if value is not None else None


def number(value: Decimal | None) -> str | None:
    """A decimal as plain text without trailing zeros ("18", "0.5"): JSON floats would round it."""
    return format(value.normalize(), "f") if value is not None else None


def user_ref(user: User | None) -> dict[str, Any] | None:
    """Who, by id and display name."""
    return {"id": user.id, "display_name": user.display_name} if user else None


def unit_ref(unit: Unit | int | None) -> dict[str, Any] | None:
    """Which unit, by id and name."""
    if isinstance(unit, int):
        unit = db.session.get(Unit, unit)
    return {"id": unit.id, "name": unit.name} if unit else None


def work_item_json(item: WorkItem) -> dict[str, Any]:
    """One work item (without its form)."""
    task_id = item.instance.plan_task_id
    task = db.session.get(PlanTask, task_id) if task_id else None  # preloaded with its plan by list pages
    return {
        "id": item.id, "step_id": item.step_id, "step_name": item.step_name, "form_key": item.form_key,
        "body_schema": body_schema_ref(item.form_key) if item.form_key in STEPS else None,
        "state": item.state.value, "state_label": item.state.label,
        "role": item.role.value if item.role else None, "unit": unit_ref(item.unit_id), "task_id": task_id,
        "supervision_number": task.supervision_number if task else None,
        "source": task.plan.source_label if task else None,
        "context": item.context, "assignee_id": item.assignee_id, "due_at": when(item.due_at),
        "created_at": when(item.created_at), "signed_at": when(item.signed_at),
        "completed_at": when(item.completed_at), "completed_by_id": item.completed_by_id,
        "links": _item_links(item.id, task_id),
    }


def _item_links(item_id: int, task_id: int | None) -> dict[str, str]:
    links = {"self": url_for("api.work_item", item_id=item_id),
             "complete": url_for("api.complete_work_item", item_id=item_id)}
    return {**links, "task": url_for("api.task", task_id=task_id)} if task_id else links
