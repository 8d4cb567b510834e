"""The restricted script engine: gateway conditions and scripts may read task data, nothing else.

SpiffWorkflow evaluates every condition, script and timer expression with plain
``eval``/``exec`` and full builtins. Here each one is parsed with ``ast`` first and
refused unless every node is on a whitelist: no imports, no attribute access at all
(so no ``().__class__``), no names starting with ``_``, calls only to a few pure
builtins, no loops or comprehensions. Diagrams read task data by name (``review_decision == "approve"``).

Nothing may allocate without bound, checked twice:

- when a diagram is validated: ``**`` is refused, and ``*`` only multiplies operands that are
  provably numbers (numeric constants, ``int()``/``float()``/``len()``/``abs()``/``round()``/``bool()``
  of anything, comparisons, and arithmetic of those), so ``'a' * 4000000000`` or ``items * n``
  never passes; ``%`` on a string literal (``'%*d' % (n, 1)`` formatting) is refused; an
  expression is at most ``MAX_SOURCE`` characters.
- when it runs: the checked tree is rewritten so that every ``*``, ``+`` and ``%``, every
  assignment and the builtins that build values (``str``, ``sum``, ``round``) go through guards
  that measure before they allocate: no value beyond ``MAX_SIZE`` characters/elements (counting
  shared elements each time they occur), no integer beyond ``MAX_INT_BITS``, no string formatting
  with ``%``, and no more than ``TIME_BUDGET_SECONDS`` of work between guards. With no loops, the
  work of one evaluation is bounded by the size of the expression times ``MAX_SIZE``.
"""
from __future__ import annotations

import ast
import builtins
import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

#: The only functions a diagram may call.
SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in ("abs", "all", "any", "bool", "float", "int", "len", "max", "min", "round", "sorted", "str", "sum")
}
#: Longest condition or script accepted (the diagrams' own are one line).
MAX_SOURCE = 2000
#: Largest value an evaluation may build: characters of text plus elements of containers.
MAX_SIZE = 100_000
#: Largest integer an evaluation may build (about 9,800 decimal digits).
MAX_INT_BITS = 32_768
#: Wall-clock budget of one evaluation, checked at every guard.
TIME_BUDGET_SECONDS = 2.0

_ALLOWED_NODES = (
    ast.Expression, ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.Delete, ast.If, ast.Pass,
    ast.Name, ast.Load, ast.Store, ast.Del, ast.Constant, ast.BoolOp, ast.And, ast.Or,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
    ast.FloorDiv, ast.Mod, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.Subscript, ast.Slice, ast.Call, ast.keyword,
)
#: Calls whose result is a number (or an error), whatever they are given.
_NUMERIC_CALLS = frozenset({"int", "float", "len", "abs", "round", "bool"})
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_MULTIPLY_MESSAGE = (
    "表达式中的乘法 * 只能用于可确定为数字的运算数(数字常量,或 int()、float()、len()、abs()、round() 的结果);"
    "字符串、列表等的重复会占用不受限制的内存,请先用 int() 或 float() 转换流程数据")


class UnsafeExpression(ValueError):
    """A condition or script uses something outside the whitelist."""


class ExpressionLimitExceeded(UnsafeExpression):
    """A running condition or script would build too large a value or run too long."""


@lru_cache(maxsize=1024)
def check_expression(source: str, mode: str = "eval") -> ast.AST:
    """Parse ``source`` ("eval" or "exec") and refuse anything off the whitelist or unbounded.

    :raises UnsafeExpression: with a Chinese message naming the construct.
    """
    if len(source.strip()) > MAX_SOURCE:
        raise UnsafeExpression(f"表达式过长(超过 {MAX_SOURCE} 个字符),请把业务计算放在系统服务中")
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError as exc:
        raise UnsafeExpression(f"表达式语法错误:{exc.msg}") from exc
    for node in ast.walk(tree):
        _check_node(node)
        _check_growth(node)
    return tree


def _check_node(node: ast.AST) -> None:
    """Refuse one node that is not allowed."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        raise UnsafeExpression("表达式中不允许使用乘方 **(结果大小不受限制)")
    if not isinstance(node, _ALLOWED_NODES):
        raise UnsafeExpression(f"表达式中不允许使用 {type(node).__name__}(仅可读取流程数据并做比较与计算)")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise UnsafeExpression(f"表达式中不允许使用以下划线开头的名称 {node.id}")
    if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in SAFE_BUILTINS):
        called = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
        raise UnsafeExpression(f"表达式中不允许调用 {called}")


def _check_growth(node: ast.AST) -> None:
    """Refuse repetition that is not provably between numbers, and ``%`` formatting of a string literal."""
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
            and not (_numeric(node.left) and _numeric(node.right))):
        raise UnsafeExpression(_MULTIPLY_MESSAGE)
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Mult):
        raise UnsafeExpression(_MULTIPLY_MESSAGE)   # the target is a name: not provably a number
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Mod):
        text = node.left if isinstance(node, ast.BinOp) else node.target
        if isinstance(text, ast.Constant) and isinstance(text.value, (str, bytes)):
            raise UnsafeExpression("表达式中不允许用 % 格式化字符串(宽度不受限制)")


def _numeric(node: ast.AST) -> bool:
    """True when ``node`` can only evaluate to a number (or fail), whatever the task data holds."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (bool, int, float, complex))
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not) or _numeric(node.operand)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _ARITHMETIC) and _numeric(node.left) and _numeric(node.right)
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in _NUMERIC_CALLS
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BoolOp):
        return all(_numeric(value) for value in node.values)
    if isinstance(node, ast.IfExp):
        return _numeric(node.body) and _numeric(node.orelse)
    return False


# --- evaluation with guards -------------------------------------------------------------------

_deadline = threading.local()


def _too_large(what: str) -> ExpressionLimitExceeded:
    return ExpressionLimitExceeded(f"表达式{what}超出上限(不超过 {MAX_SIZE} 个字符或元素),已停止计算")


def _tick() -> None:
    """Refuse to go on once the evaluation's time budget is spent."""
    if time.monotonic() > getattr(_deadline, "at", float("inf")):
        raise ExpressionLimitExceeded(f"表达式计算超过 {TIME_BUDGET_SECONDS:g} 秒,已停止")


def measure(value: Any, limit: int = MAX_SIZE) -> int:
    """Characters plus elements of ``value``, shared elements counted each time; stops once past ``limit``."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        total += 1
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 64
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            if total + len(item) > limit:
                return limit + 1
            stack.extend(item.items() if isinstance(item, dict) else item)
        if total > limit:
            return total
    return total


def _sequence(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _int_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) else 0


def _guard_mul(left: Any, right: Any) -> Any:
    _tick()
    if _sequence(left) or _sequence(right):
        items, times = (left, right) if _sequence(left) else (right, left)
        if isinstance(times, int) and times > 0 and measure(items) * times > MAX_SIZE:
            raise _too_large("重复生成的值")
    elif _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
        raise ExpressionLimitExceeded(f"表达式中的整数超出上限({MAX_INT_BITS} 位),已停止计算")
    return left * right


def _guard_add(left: Any, right: Any) -> Any:
    _tick()
    if (_sequence(left) or _sequence(right)) and measure(left) + measure(right) > MAX_SIZE:
        raise _too_large("拼接生成的值")
    return left + right


def _guard_mod(left: Any, right: Any) -> Any:
    _tick()
    if isinstance(left, (str, bytes)):
        raise ExpressionLimitExceeded("表达式中不允许用 % 格式化字符串")
    return left % right


def _guard_value(value: Any) -> Any:
    """Every assigned value stays within MAX_SIZE, so later steps cannot multiply it further."""
    _tick()
    if measure(value) > MAX_SIZE:
        raise _too_large("赋值的值")
    return value


def _guard_str(*args: Any, **kwargs: Any) -> str:
    _tick()
    if args and measure(args[0]) > MAX_SIZE:
        raise _too_large("转换为文字的值")
    return str(*args, **kwargs)


def _guard_sum(values: Iterable[Any], /, start: Any = 0) -> Any:
    _tick()
    if not isinstance(start, (int, float)):
        raise ExpressionLimitExceeded("sum() 只能对数字求和")
    return sum(values, start)


def _guard_round(number: Any, ndigits: Any = None) -> Any:
    _tick()
    if isinstance(ndigits, int) and abs(ndigits) > 400:
        raise ExpressionLimitExceeded("round() 的位数超出范围")
    return round(number) if ndigits is None else round(number, ndigits)


_GUARDS: dict[str, Callable[..., Any]] = {
    "__duban_mul": _guard_mul, "__duban_add": _guard_add, "__duban_mod": _guard_mod,
    "__duban_value": _guard_value,
}
_GUARDED_OPS = {ast.Mult: "__duban_mul", ast.Add: "__duban_add", ast.Mod: "__duban_mod"}
#: The builtins a running expression sees: the whitelist, with the value-building ones guarded.
RUNTIME_BUILTINS: dict[str, Any] = {
    **SAFE_BUILTINS, "str": _guard_str, "sum": _guard_sum, "round": _guard_round,
}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


class _Guarded(ast.NodeTransformer):
    """Routes ``*``, ``+``, ``%`` and every assignment of a checked tree through the guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        return ast.copy_location(_call(guard, node.left, node.right), node) if guard else node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        node.value = ast.copy_location(_call("__duban_value", node.value), node.value)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        """``x += y`` becomes ``x = guard(x, y)`` (re-reading the target is safe: no call has effects)."""
        self.generic_visit(node)
        current = copy.deepcopy(node.target)
        for part in ast.walk(current):
            if hasattr(part, "ctx"):
                part.ctx = ast.Load()
        guard = _GUARDED_OPS.get(type(node.op))
        value = _call(guard, current, node.value) if guard else ast.BinOp(current, node.op, node.value)
        assign = ast.Assign(targets=[node.target], value=_call("__duban_value", value))
        return ast.copy_location(assign, node)


@lru_cache(maxsize=1024)
def guarded_code(source: str, mode: str = "eval") -> CodeType:
    """The checked ``source``, rewritten through the guards and compiled."""
    tree = _Guarded().visit(copy.deepcopy(check_expression(source, mode)))
    return compile(ast.fix_missing_locations(tree), "<condition>" if mode == "eval" else "<script>", mode)


class _Budget:
    """Sets the wall-clock deadline the guards check, for one evaluation."""

    def __enter__(self) -> None:
        self.outer = getattr(_deadline, "at", None)
        _deadline.at = time.monotonic() + TIME_BUDGET_SECONDS

    def __exit__(self, *exc: object) -> None:
        _deadline.at = self.outer if self.outer is not None else float("inf")


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that checks every expression and script and runs it guarded, whitelist only."""

    def __init__(self) -> None:
        super().__init__({"__builtins__": RUNTIME_BUILTINS, **_GUARDS})

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        """Evaluate a checked expression against the task data only."""
        code = guarded_code(expression, "eval")
        scope = {**context, **self.globals}
        with _Budget():
            return eval(code, scope)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run a checked script (assignments and ifs) on the task data."""
        code = guarded_code(script, "exec")
        self.check_for_overwrite(context, {})
        context.update(self.globals)
        try:
            with _Budget():
                exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, None)
        return True


def restricted_engine() -> PythonScriptEngine:
    """A script engine with the restricted environment (it is not serialized: set it on every load)."""
    return PythonScriptEngine(environment=RestrictedEnvironment())
