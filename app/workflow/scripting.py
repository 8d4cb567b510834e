"""The restricted script engine: gateway conditions and scripts may read task data, nothing else.

SpiffWorkflow evaluates every condition, script and timer expression with plain
``eval``/``exec`` and full builtins. Here each one is parsed with ``ast`` first and
refused unless every node is on a whitelist: no imports, no attribute access at all
(so no ``().__class__``), no names starting with ``_``, calls only to a few pure
builtins. Diagrams read task data by name (``review_decision == "approve"``).
"""
from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

#: The only functions a diagram may call.
SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in ("abs", "all", "any", "bool", "float", "int", "len", "max", "min", "round", "sorted", "str", "sum")
}

_ALLOWED_NODES = (
    ast.Expression, ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.Delete, ast.If, ast.Pass,
    ast.Name, ast.Load, ast.Store, ast.Del, ast.Constant, ast.BoolOp, ast.And, ast.Or,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
    ast.FloorDiv, ast.Mod, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.Subscript, ast.Slice, ast.Call, ast.keyword,
)


class UnsafeExpression(ValueError):
    """A condition or script uses something outside the whitelist."""


@lru_cache(maxsize=1024)
def check_expression(source: str, mode: str = "eval") -> ast.AST:
    """Parse ``source`` ("eval" or "exec") and refuse anything off the whitelist.

    :raises UnsafeExpression: with a Chinese message naming the construct.
    """
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError as exc:
        raise UnsafeExpression(f"表达式语法错误:{exc.msg}") from exc
    for node in ast.walk(tree):
        _check_node(node)
    return tree


def _check_node(node: ast.AST) -> None:
    """Refuse one node that is not allowed."""
    if not isinstance(node, _ALLOWED_NODES):
        raise UnsafeExpression(f"表达式中不允许使用 {type(node).__name__}(仅可读取流程数据并做比较与计算)")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise UnsafeExpression(f"表达式中不允许使用以下划线开头的名称 {node.id}")
    if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in SAFE_BUILTINS):
        called = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
        raise UnsafeExpression(f"表达式中不允许调用 {called}")


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that checks every expression and script and offers only SAFE_BUILTINS."""

    def __init__(self) -> None:
        super().__init__({"__builtins__": SAFE_BUILTINS})

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        """Evaluate a checked expression against the task data only."""
        tree = check_expression(expression, "eval")
        scope = {**context, "__builtins__": SAFE_BUILTINS}
        return eval(compile(tree, "<condition>", "eval"), scope)  # noqa: S307 - whitelisted AST

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run a checked script (assignments and ifs) on the task data."""
        check_expression(script, "exec")
        return super().execute(script, context, None)


def restricted_engine() -> PythonScriptEngine:
    """A script engine with the restricted environment (it is not serialized: set it on every load)."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
