"""Instance administration: suspend, resume, end with a reason, and retry a failed engine step.

Each function locks the instance, changes it and flushes; the caller audits and commits.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.util.task import TaskState

from app.errors import InvalidTransition
from app.models.base import utcnow
from app.models.workflow import WorkflowInstance, WorkflowStatus
from app.workflow.projection import OnOpen
from app.workflow.runtime import check_data, load_workflow, lock_instance, ready_ids, run_engine, save_instance


def _live(instance_id: int) -> WorkflowInstance:
    """The instance, locked; it must not have finished."""
    instance = lock_instance(instance_id)
    if instance.status is WorkflowStatus.COMPLETED:
        raise InvalidTransition("该流程已结束,不能再操作。")
    return instance


def suspend_instance(instance_id: int) -> WorkflowInstance:
    """Hold the instance: no completion, no signal, no reminder until it is resumed."""
    instance = _live(instance_id)
    if instance.suspended_at is not None:
        raise InvalidTransition("该流程已处于暂停状态。")
    instance.suspended_at = utcnow()
    return instance


def resume_instance(instance_id: int) -> WorkflowInstance:
    """Let a suspended instance go on."""
    instance = _live(instance_id)
    if instance.suspended_at is None:
        raise InvalidTransition("该流程没有暂停,无需恢复。")
    instance.suspended_at = None
    return instance


def end_instance(instance_id: int, reason: str) -> WorkflowInstance:
    """End the instance before its end event: every step is cancelled, its open work items withdrawn."""
    instance = _live(instance_id)
    workflow = load_workflow(instance)
    was_ready = ready_ids(workflow)
    workflow.cancel()
    instance.ended_reason = reason
    instance.suspended_at = None
    _clear_incident(instance)
    save_instance(instance, workflow, was_ready, None)
    instance.status = WorkflowStatus.COMPLETED
    return instance


def retry_instance(instance_id: int, data: Mapping[str, Any] | None = None,
                   on_open: OnOpen | None = None) -> WorkflowInstance:
    """Run the failed step again, after adding ``data`` (a missing variable) to it.

    A step that fails again keeps the instance an incident, with the new error.
    """
    instance = _live(instance_id)
    if instance.incident_at is None:
        raise InvalidTransition("该流程没有待处理的异常。")
    fields = check_data(data or {})
    workflow = load_workflow(instance)
    failed = workflow.get_tasks(state=TaskState.ERROR)
    was_ready = ready_ids(workflow)
    _clear_incident(instance)

    def again() -> None:
        for task in failed:
            task.data.update(fields)
            # Semi-internal (SpiffWorkflow is pinned): an ERROR task has no public way back to READY.
            task._set_state(TaskState.READY)
            if task.task_spec.manual:
                task.run()

    run_engine(workflow, again, failed[0] if failed else None, instance)
    save_instance(instance, workflow, was_ready, on_open)
    return instance


def _clear_incident(instance: WorkflowInstance) -> None:
    instance.incident_step = instance.incident_message = instance.incident_at = None
