"""Errors raised while the engine runs a step."""
from __future__ import annotations

from typing import Any

from app.errors import DubanError


class WorkflowError(DubanError):
    """The engine failed on a BPMN step (a condition that cannot be evaluated, a refused script…)."""

    http_status = 500
    error_code = "workflow_error"

    def __init__(self, message: str, step_id: str | None = None, step_name: str | None = None):
        super().__init__(message)
        self.step_id = step_id
        self.step_name = step_name

    @classmethod
    def from_task(cls, task: Any, exc: BaseException) -> WorkflowError:
        """Wrap ``exc`` raised on a SpiffWorkflow task, naming the step."""
        spec = getattr(task, "task_spec", None)
        step_id = getattr(spec, "bpmn_id", None)
        step_name = getattr(spec, "bpmn_name", None) or step_id
        return cls(f"流程步骤「{step_name or '未知'}」({step_id or '-'})执行出错:{exc}", step_id, step_name)
