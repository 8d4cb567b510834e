"""The workflow engine layer: the only package that imports SpiffWorkflow.

Diagrams (``processes/*.bpmn``) are validated and stored once per content hash
(specs.py, diagrams.py); instances keep pruned, state-only JSON (state.py); every
step re-syncs the ``work_item`` projection the inbox reads (projection.py); the
runtime (runtime.py) is a handful of functions that flush and never commit.
"""
from app.workflow.errors import WorkflowError
from app.workflow.runtime import (
    DiagramState,
    closed_message,
    complete_work_item,
    diagram_state,
    lock_instance,
    lock_instance_with,
    open_work_items,
    send_signal,
    start_instance,
)
from app.workflow.specs import deploy_diagram, deploy_processes, diagram_xml, latest_version

__all__ = [
    "DiagramState",
    "WorkflowError",
    "closed_message",
    "complete_work_item",
    "deploy_diagram",
    "deploy_processes",
    "diagram_state",
    "diagram_xml",
    "latest_version",
    "lock_instance",
    "lock_instance_with",
    "open_work_items",
    "send_signal",
    "start_instance",
]
