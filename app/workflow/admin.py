"""Instance administration: suspend, resume, end with a reason, retry a failed engine step, move back.

Each function locks the instance, changes it and flushes; the caller audits and commits.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.specs.base import TaskSpec
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


def earlier_steps(instance: WorkflowInstance) -> list[tuple[str, str]]:
    """The user steps the instance may be moved back to: (step id, name), in diagram order.

    Only steps it has completed, is not standing on now, and that ``move_back`` can reopen safely.
    """
    if instance.status is WorkflowStatus.COMPLETED:
        return []
    return _earlier(instance, load_workflow(instance))


def _earlier(instance: WorkflowInstance, workflow: BpmnWorkflow) -> list[tuple[str, str]]:
    if _unsafe_process(workflow):
        return []
    current = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=_LIVE)}
    done = set(instance.completed_step_ids or [])
    return [(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id) for spec in _user_steps(workflow)
            if spec.bpmn_id in done and spec.bpmn_id not in current and not isinstance(spec, LoopTask)
            and _event_after(spec, done | current) is None]


def _event_after(spec: TaskSpec, reached: set[str]) -> str | None:
    """A signal or message the application delivered (or is awaited) downstream of ``spec``, by name.

    Such an event stands for business work done outside the engine (every milestone approved …): going
    back before it would leave that work behind, and the engine would wait for it again.
    """
    seen: set[str] = set()
    stack = [spec]
    while stack:
        node = stack.pop()
        if node.name in seen:
            continue
        seen.add(node.name)
        definition = getattr(node, "event_definition", None)
        if isinstance(definition, (SignalEventDefinition, MessageEventDefinition)) and node.bpmn_id in reached:
            return str(node.bpmn_name or node.bpmn_id)
        stack.extend(node.outputs)
    return None


def move_back(instance_id: int, step_id: str, on_open: OnOpen | None = None) -> WorkflowInstance:
    """Put the instance's token back on ``step_id``, an earlier user step it has completed.

    The saved state is pruned (state.py), so the step's old task is usually gone from the tree: the
    token is grafted instead, as a fresh task of the step directly below the root, carrying the data
    of the steps the instance stands on now. Every live branch is dropped (their work items are
    withdrawn by the re-sync) and the step's preScript runs again as on any return. A graft cannot
    rebuild what a join expects from parallel branches, nor a subprocess's own tree, so such
    processes are refused rather than left inconsistent.

    :raises InvalidTransition: with the reason, when it cannot be done safely.
    """
    instance = _live(instance_id)
    if instance.suspended_at is not None:
        raise InvalidTransition("该流程已暂停,请先恢复再退回。")
    workflow = load_workflow(instance)
    why = _unsafe_process(workflow)
    if why:
        raise InvalidTransition(f"不能退回:{why}。")
    names = dict(_earlier(instance, workflow))
    spec = workflow.spec.task_specs.get(step_id)
    reached = set(instance.completed_step_ids or []) | {t.task_spec.bpmn_id for t in workflow.get_tasks(state=_LIVE)}
    event = _event_after(spec, reached) if spec is not None and step_id in reached else None
    if event:
        raise InvalidTransition(f"不能退回到「{spec.bpmn_name or step_id}」:其后的「{event}」已发生或正在等待,"
                                "退回会与已办理的业务脱节。")
    if step_id not in names:
        raise InvalidTransition("只能退回到该流程已办理过的、当前未在办理的人工步骤。")
    graft: TaskSpec = workflow.spec.task_specs.get(f"{step_id}.BoundaryEventSplit", spec)
    was_ready = ready_ids(workflow)
    data: dict[str, Any] = {}
    for task in workflow.get_tasks(state=_LIVE | TaskState.ERROR):
        data.update(task.data)
    root = workflow.task_tree
    _clear_incident(instance)

    def regraft() -> None:
        root._drop_children(force=True)
        task = root._add_child(graft, TaskState.FUTURE)
        task.data = dict(data)
        workflow.last_task = root
        # As Task.reset_branch does: predict the step's successors, then let it become ready (preScript).
        graft._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
        graft._update(task)

    run_engine(workflow, regraft, None, instance)
    if not any(t.task_spec.bpmn_id == step_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)):
        raise InvalidTransition(f"不能退回:步骤「{names[step_id]}」未能重新打开"
                                f"{'(' + instance.incident_message + ')' if instance.incident_message else ''}。")
    save_instance(instance, workflow, was_ready, on_open)
    return instance


def _user_steps(workflow: BpmnWorkflow) -> list[Any]:
    """The process's user steps, in the order the diagram's task specs are listed."""
    return [spec for spec in workflow.spec.task_specs.values() if spec.manual and spec.bpmn_id]


def _unsafe_process(workflow: BpmnWorkflow) -> str | None:
    """Why no step of this instance can be reopened by a graft (None when it can)."""
    if workflow.subprocesses or any(isinstance(spec, SubWorkflowTask) for spec in workflow.spec.task_specs.values()):
        return "流程含有子流程"
    if any(isinstance(spec, (ParallelGateway, InclusiveGateway)) for spec in workflow.spec.task_specs.values()):
        return "流程含有并行或包容网关,退回会丢失其他分支的进度"
    return None


_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _clear_incident(instance: WorkflowInstance) -> None:
    instance.incident_step = instance.incident_message = instance.incident_at = None
