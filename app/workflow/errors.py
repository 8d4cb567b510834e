"""Errors raised while the engine runs a step."""
from __future__ import annotations

import re
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
        return cls(f"流程步骤「{step_name or '未知'}」({step_id or '-'})执行出错:{reason(exc)}", step_id, step_name)


def reason(exc: BaseException) -> str:
    """Why the engine failed, in Chinese where the cause is known (the engine's own words otherwise)."""
    cause = exc.__cause__ or exc.__context__
    expression = re.search(r"Error evaluating expression '(.*?)'", str(exc))
    if isinstance(cause, NameError) and cause.name:
        where = f"表达式 {expression.group(1)} " if expression else "脚本"
        return f"{where}需要的流程数据 {cause.name} 不存在"
    if isinstance(cause, ValueError) and cause.args and any("\u4e00" <= ch <= "\u9fff" for ch in str(cause)):
        return str(cause)  # the restricted engine's refusals are Chinese already
    if expression:
        return f"无法计算表达式 {expression.group(1)}({type(cause).__name__ if cause else '错误'}:{cause or exc})"
    return f"{type(exc).__name__}:{exc}"
