"""办结: 督审处 closes a unit's part of a task once all its milestones are approved and no rectification is open."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import PlanTask, User, WorkflowInstance, WorkflowStatus, WorkItem
from app.services import audit, evaluation, work_items
from app.services.decomposition import decomposition_of
from app.services.rectification_view import closure_blocker


def close_part(item: WorkItem, summary: str | None, actor: User) -> None:
    """Close the unit's part of the task (the last part closes the task).

    :raises ValidationFailed: a rectification on the task is still open (any unit's: the task closes as a whole).
    """
    begun = work_items.begin_step(item, actor, "task_closure")
    decomposition = decomposition_of(item)
    blocker = closure_blocker(decomposition.task)
    if blocker:
        raise ValidationFailed(blocker)
    work_items.finish_step(item, actor, {}, begun)
    audit.record(actor, "decomposition", decomposition.id, "closed", after={"summary": (summary or "").strip() or None})
    if is_closed(decomposition.task):
        evaluation.freeze(decomposition.task, actor)


def is_closed(task: PlanTask) -> bool:
    """True when every lifecycle instance of the task has ended."""
    statuses = db.session.scalars(
        select(WorkflowInstance.status)
        .where(WorkflowInstance.plan_task_id == task.id, WorkflowInstance.subject.like("decomposition:%"))
    ).all()
    return bool(statuses) and all(status is WorkflowStatus.COMPLETED for status in statuses)
