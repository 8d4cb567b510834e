"""办结: 督审处 closes a unit's part of a task once all its milestones are approved and no rectification is open."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import FieldRefused, ValidationFailed
from app.extensions import db
from app.models import PlanTask, StepKey, User, WorkItem
from app.models.base import utcnow
from app.models.lifecycle import task_is_closed
from app.services.follow_up.rectification_view import closure_blocker
from app.services.infrastructure import audit
from app.services.lifecycle import work_items
from app.services.lifecycle.decomposition import decomposition_of
from app.services.scoring import evaluation


def close_part(item: WorkItem, summary: str | None, actor: User) -> None:
    """Close the unit's part of the task (the last part closes the task).

    :raises ValidationFailed: a rectification on the task is still open (any unit's: the task closes as a whole).
    :raises FieldRefused: no 办结说明 (the record of why the part is done).
    """
    begun = work_items.begin_step(item, actor, StepKey.TASK_CLOSURE)
    decomposition = decomposition_of(item)
    blocker = closure_blocker(decomposition.task)
    if blocker:
        raise ValidationFailed(blocker)
    summary = (summary or "").strip()
    if not summary:
        raise FieldRefused("summary", "请填写办结说明。")
    decomposition.closed_at = utcnow()
    work_items.finish_step(item, actor, {}, begun)  # its fan-out tells the unit (step_notices.task_closed)
    audit.record(actor, "decomposition", decomposition.id, "closed", after={"summary": summary})
    if is_closed(decomposition.task):
        evaluation.freeze(decomposition.task, actor)


def is_closed(task: PlanTask) -> bool:
    """True when every unit's part of the task is closed (``task_is_closed``, as lights and dashboards read it)."""
    return bool(db.session.scalar(select(task_is_closed(task.id))))
