"""One set of step keys: the BPMN diagrams' formKeys, the step forms and the step registry agree."""
import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

from lxml import etree

import app.steps
import forms
from app.steps import STEPS
from forms.common import StepForm

ROOT = Path(__file__).resolve().parents[2]
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def bpmn_form_keys() -> set[str]:
    """Every formKey property of every diagram in processes/."""
    keys = set()
    for diagram in sorted((ROOT / "processes").glob("*.bpmn")):
        tree = etree.parse(str(diagram))
        keys |= set(tree.xpath("//spiff:property[@name='formKey']/@value", namespaces={"spiff": SPIFF}))
    return keys


def step_forms() -> dict[str, type[StepForm]]:
    """Every step form the forms package defines, by its form key."""
    found: dict[str, type[StepForm]] = {}
    for module_info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module(f"forms.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, StepForm) and "form_key" in vars(cls):
                assert cls.form_key not in found, f"two forms for {cls.form_key}"
                found[cls.form_key] = cls
    return found


def test_the_diagrams_the_forms_and_the_registry_name_the_same_steps():
    diagram_keys = bpmn_form_keys()
    assert len(diagram_keys) == 12  # the parse found the diagrams' steps, not an empty set
    assert set(STEPS) == diagram_keys
    assert set(step_forms()) == diagram_keys


def test_each_step_shows_the_form_of_its_key():
    forms_by_key = step_forms()
    for key, step in STEPS.items():
        assert step.form is forms_by_key[key], key


def test_the_registry_does_not_read_the_request():
    tree = ast.parse(Path(app.steps.__file__).read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "flask"
             for alias in node.names}
    assert "request" not in names
