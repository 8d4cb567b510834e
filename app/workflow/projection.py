"""The ``work_item`` projection: one row per human step, re-synced after every engine step."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update

from app.extensions import db
from app.models.base import utcnow
from app.models.user import Role
from app.models.workflow import WorkflowInstance, WorkItem, WorkItemState

#: At most this many ids are copied from the task data into ``work_item.context``.
MAX_CONTEXT_IDS = 12
#: Sees each work item a step opens before it is written (the deadline services date it).
OnOpen = Callable[[WorkItem], None]


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """The engine's READY userTasks/manualTasks."""
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def sync_work_items(instance: WorkflowInstance, workflow: BpmnWorkflow, was_ready: set[str],
                    on_open: OnOpen | None = None) -> None:
    """Open a row for each newly ready step; cancel the open rows of steps the engine no longer offers.

    ``was_ready`` are the engine ids of the steps that were ready before (and so have open rows),
    less the one just completed: the open rows mirror the ready steps, as only this module writes
    them, so the difference says what changed without reading the rows back.
    """
    ready = {str(task.id): task for task in ready_human_tasks(workflow)}
    withdrawn = was_ready - ready.keys()
    opened = [_new_item(instance, task) for task_id, task in ready.items() if task_id not in was_ready]
    with db.session.no_autoflush:  # the caller flushes everything once
        if withdrawn:
            db.session.execute(
                update(WorkItem).where(WorkItem.engine_task_id.in_(withdrawn), WorkItem.state == WorkItemState.OPEN)
                .values(state=WorkItemState.CANCELLED, completed_at=utcnow())
                .execution_options(synchronize_session="fetch"))
        for item in opened:
            if on_open is not None:
                on_open(item)
    db.session.add_all(opened)


def _new_item(instance: WorkflowInstance, task: Task) -> WorkItem:
    """The projection row of one ready engine task."""
    spec = task.task_spec
    props = spec.extensions.get("properties", {})
    return WorkItem(
        instance=instance,
        engine_task_id=str(task.id),
        step_id=spec.bpmn_id,
        step_name=spec.bpmn_name or spec.bpmn_id,
        form_key=props.get("formKey"),
        lane=spec.lane,
        role=Role(props["role"]) if props.get("role") in set(Role) else None,
        unit_id=_int(task.data.get(props.get("unitVariable", "unit_id"))),
        context=_context(task.data),
        due_at=parse_due(task.data.get("due_at")),
        created_at=utcnow(),
    )


def _int(value: Any) -> int | None:
    """``value`` when it is an int id, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _context(data: dict[str, Any]) -> dict[str, int]:
    """The small integer ids of the task data (``milestone_id``, ``plan_task_id``…)."""
    ids = {key: value for key, value in data.items() if key.endswith("_id") and _int(value) is not None}
    return dict(sorted(ids.items())[:MAX_CONTEXT_IDS])


def parse_due(value: Any) -> datetime | None:
    """A deadline given in the task data as an ISO 8601 string with an offset."""
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else None
