"""Template helpers for the extension and due-date history shown on the work item and task pages.

They are template globals so the shared pages need only one ``{% include %}`` each.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_login import current_user
from sqlalchemy import select

from app.deadlines import bp
from app.errors import DubanError
from app.extensions import db
from app.models import DueDateChange, ExtensionRequest, PlanTask, WorkflowInstance, WorkItem
from app.services.follow_up import extensions
from app.services.timing.deadline_policy import changes_of


@dataclass(frozen=True)
class DeadlineHistory:
    """Extension requests with their decisions, and every recorded move of a due date."""

    requests: list[ExtensionRequest]
    changes: list[DueDateChange]
    step_names: dict[int, str]
    can_request: bool = False
    pending: ExtensionRequest | None = None


@bp.app_template_global()
def item_deadline_history(item: WorkItem) -> DeadlineHistory:
    """The history of one work item, and whether the signed-in user may ask for more time on it."""
    pending = extensions.pending_of(item)
    return DeadlineHistory(extensions.of_item(item.id), changes_of([item.id]), {item.id: item.step_name},
                           can_request=_may_request(item) and pending is None, pending=pending)


@bp.app_template_global()
def task_deadline_history(task: PlanTask) -> DeadlineHistory:
    """The history of every step of a task."""
    rows = db.session.execute(select(WorkItem.id, WorkItem.step_name).join(WorkItem.instance)
                              .where(WorkflowInstance.plan_task_id == task.id)).all()
    names = {item_id: name for item_id, name in rows}
    return DeadlineHistory(extensions.of_task(task), changes_of(names), names)


def _may_request(item: WorkItem) -> bool:
    try:
        extensions.ensure_may_request(current_user, item)
    except DubanError:
        return False
    return item.due_at is not None


@bp.app_template_global()
def task_of_item(item: WorkItem) -> PlanTask | None:
    """The plan task a work item belongs to."""
    task_id = item.instance.plan_task_id
    return db.session.get(PlanTask, task_id) if task_id else None
