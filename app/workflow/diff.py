"""What a new diagram version changes, step by step, from SpiffWorkflow's own spec diff.

``SpecDiff`` aligns the task specs of two versions (by BPMN id first, then by structure) and
lists the attributes of each aligned pair that differ; this module names those differences in
Chinese for the administrator: steps added, removed, renamed, moved to another lane, gateways
whose conditions changed, and steps whose flow, form or scripts changed.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

_LOCAL = threading.local()

#: The change kinds, in the order they are listed, with their Chinese names.
KINDS = {
    "added": "新增步骤", "removed": "删除步骤", "renamed": "步骤改名", "lane": "调整泳道",
    "condition": "网关条件变化", "flow": "连线变化", "settings": "表单、角色或脚本变化", "other": "其他属性变化",
}
_TYPES = {
    "UserTask": "人工步骤", "ManualTask": "人工步骤", "ExclusiveGateway": "排他网关", "ParallelGateway": "并行网关",
    "InclusiveGateway": "包容网关", "StartEvent": "开始事件", "EndEvent": "结束事件", "ScriptTask": "脚本任务",
    "IntermediateCatchEvent": "中间事件", "IntermediateThrowEvent": "中间事件", "BoundaryEvent": "边界事件",
    "SubWorkflowTask": "子流程", "CallActivity": "调用活动",
}
#: Attribute differences that say only that a neighbour changed (reported on that neighbour).
_FLOW = {"inputs", "outputs"}
_CONDITIONS = {"cond_task_specs", "default_task_spec", "choice"}
_SETTINGS = {"extensions", "prescript", "postscript", "script"}


@dataclass(frozen=True)
class Change:
    """One difference, in Chinese."""

    kind: str
    step_id: str
    step: str
    detail: str

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass
class SpecChanges:
    """Every change of one process from the old version to the new."""

    process_id: str
    changes: list[Change] = field(default_factory=list)

    def ids(self, *kinds: str) -> list[str]:
        """The BPMN ids of the steps with changes of these kinds (for highlighting the diagrams)."""
        return sorted({c.step_id for c in self.changes if c.kind in kinds})

    def to_dict(self) -> dict[str, Any]:
        return {"process_id": self.process_id,
                "changes": [{**asdict(c), "kind_label": c.kind_label} for c in self.changes]}


def registry() -> Any:
    """This thread's serializer registry (it flips shared state while converting)."""
    if not hasattr(_LOCAL, "registry"):
        _LOCAL.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    return _LOCAL.registry


def _visible(spec: Any) -> bool:
    """A spec drawn in the diagram: not the engine's own Start/End joins, not a multi-instance child."""
    return bool(getattr(spec, "bpmn_id", None)) and spec.name == spec.bpmn_id


def _label(spec: Any) -> str:
    kind = _TYPES.get(type(spec).__name__, type(spec).__name__)
    return f"{kind}「{spec.bpmn_name or spec.bpmn_id}」({spec.bpmn_id})"


def _conditions(spec: Any) -> str:
    """A gateway's conditions as ``条件 → 目标`` (the default last)."""
    parts = [f"{condition.args[0]} → {target}" for condition, target in getattr(spec, "cond_task_specs", [])
             if condition is not None]
    default = getattr(spec, "default_task_spec", None)
    if default:
        parts.append(f"默认 → {default}")
    return ";".join(parts) or "(无)"


def _flow(spec: Any) -> str:
    return "、".join(sorted(getattr(o, "bpmn_id", None) or o.name for o in spec.outputs)) or "(无)"


def diff_specs(process_id: str, old: BpmnProcessSpec, new: BpmnProcessSpec) -> SpecChanges:
    """The changes from ``old`` to ``new``, each step once per kind."""
    found = SpecDiff(registry(), old, new)
    result = SpecChanges(process_id)
    add = result.changes.append
    for spec in found.added:
        if _visible(spec):
            lane = f",泳道「{spec.lane}」" if spec.lane else ""
            add(Change("added", spec.bpmn_id, _label(spec), f"新版本增加此步骤{lane}"))
    for spec in found.removed:
        if _visible(spec):
            add(Change("removed", spec.bpmn_id, _label(spec), "新版本中没有此步骤"))
    for spec, keys in found.changed.items():
        aligned = found.alignment[spec]
        if not _visible(spec) or aligned is None:
            continue
        keys = set(keys)
        if spec.bpmn_id != aligned.bpmn_id:
            add(Change("renamed", spec.bpmn_id, _label(spec), f"对应新版本的 {_label(aligned)}"))
        if "bpmn_name" in keys:
            add(Change("renamed", spec.bpmn_id, _label(spec), f"名称由「{spec.bpmn_name}」改为「{aligned.bpmn_name}」"))
        if "lane" in keys:
            add(Change("lane", spec.bpmn_id, _label(spec),
                       f"泳道由「{spec.lane or '无'}」改为「{aligned.lane or '无'}」"))
        if keys & _CONDITIONS:
            add(Change("condition", spec.bpmn_id, _label(spec),
                       f"条件由「{_conditions(spec)}」改为「{_conditions(aligned)}」"))
        elif "outputs" in keys:
            add(Change("flow", spec.bpmn_id, _label(spec), f"后续步骤由「{_flow(spec)}」改为「{_flow(aligned)}」"))
        if keys & _SETTINGS:
            add(Change("settings", spec.bpmn_id, _label(spec), "表单、角色、前置或后置脚本有变化"))
        other = keys - _FLOW - _CONDITIONS - _SETTINGS - {"bpmn_name", "lane", "name", "bpmn_id"}
        if other:
            add(Change("other", spec.bpmn_id, _label(spec), "有变化的属性:" + "、".join(sorted(other))))
    order = list(KINDS)
    result.changes.sort(key=lambda c: (order.index(c.kind), c.step_id))
    return result
