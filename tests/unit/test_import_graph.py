"""No import cycle between packages: the layers read one way (README, "Layout").

A package here is a top-level package or module of ``app`` (``app.models``, ``app.filters`` …), one of
the service groups (``app.services.timing`` …), ``forms`` or ``scheduler``. The graph is built from the
source (ast), module-level imports only: an import inside a function runs late and cannot deadlock a
half-initialised module, and ``if TYPE_CHECKING:`` imports never run.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_PACKAGES = ("app", "forms", "scheduler")


def modules() -> dict[str, Path]:
    """Every module's dotted name -> its file (a package is its ``__init__.py``)."""
    found = {}
    for top in TOP_PACKAGES:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop(0)
        if isinstance(statement, ast.Import | ast.ImportFrom):
            yield statement
        elif isinstance(statement, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(statement.test):
                pending += statement.body
            pending += statement.orelse
        elif isinstance(statement, ast.Try):
            pending += statement.body + statement.orelse + statement.finalbody
            pending += [line for handler in statement.handlers for line in handler.body]
        elif isinstance(statement, ast.With):
            pending += statement.body


def imported_modules(name: str, path: Path, statement: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The project modules one statement imports (``from package import module`` names the module)."""
    if isinstance(statement, ast.Import):
        targets = [alias.name for alias in statement.names]
    else:
        base = statement.module or ""
        if statement.level:
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            base = ".".join(package[:len(package) - statement.level + 1] + ([base] if base else []))
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in statement.names]
    result = []
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target:
            result.append(target)
    return result


def package_of(module: str, packages: set[str]) -> str:
    """``app.services.timing.deadlines`` -> ``app.services.timing``; ``app.work.routes`` -> ``app.work``."""
    parts = module.split(".")
    if parts[0] != "app":
        return parts[0]
    group = ".".join(parts[:3])
    return group if parts[1:2] == ["services"] and group in packages else ".".join(parts[:2])


def package_graph() -> dict[str, dict[str, str]]:
    """package -> {imported package: one import that makes the edge, as ``module -> module``}."""
    found = modules()
    known = set(found)
    packages = {name for name, path in found.items() if path.name == "__init__.py"}
    graph: dict[str, dict[str, str]] = {}
    for name, path in sorted(found.items()):
        source = package_of(name, packages)
        for statement in module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in imported_modules(name, path, statement, known):
                destination = package_of(target, packages)
                if destination != source:
                    graph.setdefault(source, {}).setdefault(destination, f"{name} -> {target}")
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for following in graph.get(node, {}):
            if following not in index:
                visit(following)
                low[node] = min(low[node], low[following])
            elif following in stack:
                low[node] = min(low[node], index[following])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle_between_packages():
    graph = package_graph()
    found = cycles(graph)
    explained = [
        "\n".join(f"  {source} -> {target}  ({graph[source][target]})"
                  for source in group for target in sorted(graph.get(source, {})) if target in group)
        for group in found
    ]
    assert not found, "import cycles between packages:\n" + "\n\n".join(explained)


#: The service groups in the order the README tells them; each imports only groups before it.
SERVICE_LAYERS = ("infrastructure", "timing", "lifecycle", "plans", "follow_up", "scoring", "dashboards")


def test_service_groups_import_only_those_before_them():
    graph = package_graph()
    groups = [f"app.services.{name}" for name in SERVICE_LAYERS]
    assert set(groups) <= set(graph), "a service group is missing from app/services/"
    backwards = [
        f"{source} -> {target}  ({imports[target]})"
        for source, imports in graph.items() if source.startswith("app.services.")
        for target in imports if target.startswith("app.services.")
        if source not in groups or target not in groups or groups.index(target) > groups.index(source)
    ]
    assert not backwards, "service imports against SERVICE_LAYERS:\n" + "\n".join(backwards)


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b": "a.x -> b.y"}, "b": {"c": "b.y -> c.z"}, "c": {"a": "c.z -> a.x"}, "d": {"a": "d -> a"}}
    assert cycles(graph) == [["a", "b", "c"]]
