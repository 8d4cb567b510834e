"""Move running instances to another version of their process, with SpiffWorkflow's diff and migrate.

An instance is migratable only when nothing it has done or is doing depends on what changed:

- every step it stands on (ready, waiting, failed) still exists in the new version — a removed
  current step would drop its token and its open work item;
- no step it stands on changed its form, role, scripts or lane — the open work item would no longer
  match the form the unit is filling or the people it was given to;
- no step it completed changed its scripts or settings — SpiffWorkflow never re-runs a completed
  step, so the data it produced would not be what the new version expects;
- every variable the new or changed conditions read is in its data or set by a later form or script;
- it is not suspended, has no incident and runs no subprocess or multi-instance step that changed.

``migrate_workflow`` keeps the engine ids of the ready steps, so their open work items keep their
ids, due dates and handling history; only what the new version renames is rewritten on them.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.errors import InvalidTransition
from app.extensions import db
from app.models.workflow import ProcessSpecVersion, WorkflowInstance, WorkflowStatus, WorkItem, WorkItemState
from app.workflow.diff import registry
from app.workflow.runtime import load_workflow, lock_instance, ready_ids, save_instance
from app.workflow.specs import scope_tasks, spec_for

#: The variables Duban's forms put into the engine data (review steps set ``decision``).
FORM_VARIABLES = frozenset({"decision"})
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
#: Attribute changes of a step that do not change what it does (its neighbours, its drawing name).
_HARMLESS = frozenset({"inputs", "outputs", "bpmn_name", "name", "description"})
_CONDITIONS = frozenset({"cond_task_specs", "default_task_spec", "choice"})


@dataclass(frozen=True)
class Verdict:
    """Whether one instance can move, and why not."""

    instance_id: int
    current_steps: list[str]
    migratable: bool
    reason: str
    #: The current steps' names, for people.
    step_names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "current_steps": self.current_steps,
                "step_names": list(self.step_names), "migratable": self.migratable, "reason": self.reason}


def running_instances(version: ProcessSpecVersion, scope: tuple[str, str] | None = None) -> list[WorkflowInstance]:
    """The unfinished instances on ``version``, oldest first; with ``scope`` (kind, value) only those in it."""
    query = (select(WorkflowInstance).where(WorkflowInstance.spec_version_id == version.id,
                                            WorkflowInstance.status != WorkflowStatus.COMPLETED)
             .order_by(WorkflowInstance.id))
    if scope is not None:
        query = query.where(WorkflowInstance.plan_task_id.in_(scope_tasks(*scope)))
    return list(db.session.scalars(query))


def judge(instance: WorkflowInstance, target: ProcessSpecVersion) -> Verdict:
    """The dry run of one instance."""
    workflow = load_workflow(instance)
    ok, reason, _ = _verdict(instance, workflow, target)
    return Verdict(instance.id, _live_steps(workflow), ok, reason, _step_names(workflow))


def migrate(instance_id: int, target: ProcessSpecVersion) -> Verdict:
    """Move one instance to ``target`` when it is migratable (locked, judged again under the lock).

    :raises InvalidTransition: when it is not, with the reason.
    """
    instance = lock_instance(instance_id)
    workflow = load_workflow(instance)
    ok, reason, diff = _verdict(instance, workflow, target)
    if not ok or diff is None:
        raise InvalidTransition(f"流程实例 #{instance_id} 不能迁移:{reason}")
    was_ready = ready_ids(workflow)
    spec, subs = spec_for(target)
    migrate_workflow(diff, workflow, spec)
    workflow.subprocess_specs = subs
    workflow.do_engine_steps()
    instance.spec_version = target
    _rename_open_items(instance, workflow)
    save_instance(instance, workflow, was_ready, None)
    return Verdict(instance_id, _live_steps(workflow), True, reason, _step_names(workflow))


def _step_names(workflow: BpmnWorkflow) -> tuple[str, ...]:
    return tuple(sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in workflow.get_tasks(state=_LIVE)
                         if t.task_spec.bpmn_id}))


def _live_steps(workflow: BpmnWorkflow) -> list[str]:
    return sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=_LIVE) if t.task_spec.bpmn_id})


def _verdict(instance: WorkflowInstance, workflow: BpmnWorkflow,
             target: ProcessSpecVersion) -> tuple[bool, str, WorkflowDiff | None]:
    """(migratable, reason in Chinese, the engine's diff)."""
    if target.process_id != instance.spec_version.process_id:
        return False, f"目标版本属于另一个流程 {target.process_id}", None
    if target.id == instance.spec_version_id:
        return False, "已在该版本上", None
    if instance.status is WorkflowStatus.COMPLETED:
        return False, "流程已结束", None
    if instance.suspended_at is not None:
        return False, "流程已被暂停,请先恢复", None
    if instance.incident_at is not None:
        return False, f"有未处理的异常(步骤 {instance.incident_step}),请先重试或修复", None
    if workflow.subprocesses:
        return False, "流程含有正在运行的子流程,暂不支持迁移", None
    spec, subs = spec_for(target)
    diff, _ = diff_workflow(registry(), workflow, spec, subs)
    changed = {task.task_spec: _changed_keys(diff, task) for task in diff.changed}
    for task in workflow.get_tasks(state=_LIVE):
        name = _step(task)
        if task in diff.removed:
            return False, f"当前步骤{name}在新版本中已删除", diff
        keys = changed.get(task.task_spec, set()) - _HARMLESS
        if keys and task.task_spec.bpmn_id:
            what = "泳道" if "lane" in keys else "表单、角色或脚本"
            return False, f"当前步骤{name}的{what}在新版本中有变化,已发出的待办将与新版本不符", diff
        if isinstance(task.task_spec, LoopTask) and task.task_spec in changed:
            return False, f"当前步骤{name}是多实例步骤且有变化", diff
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        keys = changed.get(task.task_spec, set()) - _HARMLESS - _CONDITIONS
        if keys and task.task_spec.bpmn_id:
            return (False, f"已完成的步骤{_step(task)}在新版本中有变化(流程引擎不会重新执行它,其结果将与新版本不符)",
                    diff)
    missing = _missing_variables(workflow, spec)
    if missing:
        return False, f"新版本的条件需要流程数据 {'、'.join(missing)},该流程中没有", diff
    return True, "可以迁移", diff


def _step(task: Any) -> str:
    spec = task.task_spec
    return f"「{spec.bpmn_name or spec.bpmn_id}」"


def _changed_keys(diff: WorkflowDiff, task: Any) -> set[str]:
    new = diff.alignment.get(task)
    if new is None:
        return set()
    old_dict, new_dict = registry().convert(task.task_spec), registry().convert(new)
    return {key for key, value in old_dict.items() if new_dict.get(key) != value}


def _missing_variables(workflow: BpmnWorkflow, spec: Any) -> list[str]:
    """Names the new version's conditions read that the instance's data lacks and nothing will set."""
    data: set[str] = set()
    for task in workflow.get_tasks(state=_LIVE):
        data |= set(task.data)
    read: set[str] = set()
    assigned: set[str] = set(FORM_VARIABLES)
    for task_spec in spec.task_specs.values():
        for condition, _ in getattr(task_spec, "cond_task_specs", []) or []:
            if condition is not None:
                read |= _names(condition.args[0], "eval", ast.Load)
        for script in (getattr(task_spec, "prescript", None), getattr(task_spec, "postscript", None),
                       getattr(task_spec, "script", None)):
            if script:
                assigned |= _names(script, "exec", ast.Store)
    return sorted(read - data - assigned - _BUILTINS)


_BUILTINS = frozenset({"True", "False", "None", "len", "int", "float", "str", "bool", "abs", "all", "any", "max",
                       "min", "round", "sorted", "sum"})


def _names(source: str, mode: str, context: type) -> set[str]:
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, context)}


def _rename_open_items(instance: WorkflowInstance, workflow: BpmnWorkflow) -> None:
    """Open work items take the new version's step name and lane (their ids, due dates and history stay)."""
    by_task = {str(task.id): task.task_spec for task in workflow.get_tasks(state=TaskState.READY, manual=True)}
    for item in db.session.scalars(select(WorkItem).where(WorkItem.instance_id == instance.id,
                                                          WorkItem.state == WorkItemState.OPEN)):
        spec = by_task.get(item.engine_task_id)
        if spec is not None:
            item.step_name, item.lane = spec.bpmn_name or spec.bpmn_id, spec.lane
