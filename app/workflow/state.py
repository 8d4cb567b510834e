"""Serialized engine state: state-only JSON (the spec is stored once), with completed branches pruned.

Why pruning keeps the step cost flat: SpiffWorkflow never forgets a task, so every
return loop (report → review → 退回 → report) appends a new branch below the old one
and every load/save pays for the whole history. Before saving, the tree is cut at the
lowest common ancestor of all unfinished tasks: everything above it is finished and
nothing the engine still needs (each task holds its own copy of the data) lives there.
The diagram keeps its honest loop; the history lives in ``work_item`` rows and in
``workflow_instance.completed_step_ids``. A milestone's stored state is then the same
size in round 50 as in round 1 (see bench/bench_workflow_step.py). Instances with
subprocesses are not pruned (their task trees are kept separately by the engine).

This relies on semi-internal serializer calls (``to_dict``/``from_dict``/``_encoder_cls``):
SpiffWorkflow is pinned to 3.2.0 and tests/workflow keep a round-trip test.
"""
from __future__ import annotations

import json
import threading
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app.workflow.scripting import restricted_engine

_ENGINE = restricted_engine()
#: One serializer per thread: its registry flips a shared ``_encoder_mode`` flag while dumping.
_LOCAL = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    """This thread's serializer."""
    if not hasattr(_LOCAL, "serializer"):
        _LOCAL.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    return _LOCAL.serializer


def new_workflow(spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """A fresh workflow on ``spec`` with the restricted script engine."""
    return BpmnWorkflow(spec, subprocess_specs, script_engine=_ENGINE)


def dump_state(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON, without its spec."""
    prune(workflow)
    serializer = _serializer()
    serializer.registry._encoder_mode = True
    try:
        data = serializer.to_dict(workflow)
        data.pop("spec")
        data.pop("subprocess_specs")
        data[serializer.VERSION_KEY] = serializer.VERSION
        return json.dumps(data, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        serializer.registry._encoder_mode = False


def load_state(state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Rebuild a workflow from ``dump_state`` output and the (cached) spec objects."""
    serializer = _serializer()
    data = json.loads(state)
    serializer.migrate(data)
    data["spec"] = spec
    data["subprocess_specs"] = {}
    workflow = serializer.from_dict(data)
    workflow.subprocess_specs = subprocess_specs
    workflow.script_engine = _ENGINE
    return workflow


def prune(workflow: BpmnWorkflow) -> None:
    """Drop the finished part of the task tree above the lowest ancestor of every unfinished task."""
    # A step in ERROR is an incident waiting for a retry: it must survive like an unfinished one.
    live = [t for t in workflow.tasks.values()
            if not t.has_state(TaskState.FINISHED_MASK) or t.has_state(TaskState.ERROR)]
    if not live or workflow.subprocesses:
        return
    root, anchor = workflow.task_tree, _common_ancestor(live)
    if anchor is root or anchor.parent is root:
        return
    keep = {root.id, *(t.id for t in _subtree(anchor))}
    anchor._parent = root.id
    root._children = [anchor.id]
    workflow.tasks = {tid: task for tid, task in workflow.tasks.items() if tid in keep}
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = anchor


def _common_ancestor(tasks: list[Task]) -> Task:
    """The deepest task that is an ancestor-or-self of every task given."""
    path = _path_from_root(tasks[0])
    for task in tasks[1:]:
        ids = {t.id for t in _path_from_root(task)}
        path = [t for t in path if t.id in ids]
    return path[-1]


def _path_from_root(task: Task) -> list[Task]:
    """The task's ancestors from the root down to the task itself."""
    path: list[Task] = []
    node: Task | None = task
    while node is not None:
        path.append(node)
        node = node.parent
    return path[::-1]


def _subtree(task: Task) -> list[Task]:
    """The task and all its descendants."""
    found, stack = [], [task]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found

