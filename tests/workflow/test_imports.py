"""Only app/workflow imports SpiffWorkflow."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def spiff_importers() -> list[str]:
    """Modules outside app/workflow that import SpiffWorkflow."""
    found = []
    for package in ("app", "forms", "scheduler"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(ROOT / "app" / "workflow"):
                continue
            if any(name.split(".")[0] == "SpiffWorkflow" for name in imported_names(path)):
                found.append(str(path.relative_to(ROOT)))
    return found


def imported_names(path: Path) -> list[str]:
    """Every module name an import statement in ``path`` names."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_only_the_workflow_package_imports_spiffworkflow():
    assert spiff_importers() == []


def test_the_workflow_package_does_import_it():
    assert any("SpiffWorkflow" in n for n in imported_names(ROOT / "app" / "workflow" / "state.py"))
