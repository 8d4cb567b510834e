"""The restricted script engine refuses code and still evaluates ordinary conditions."""
import pytest

from app.errors import ValidationFailed
from app.workflow.diagrams import parse_diagram
from app.workflow.scripting import RestrictedEnvironment, UnsafeExpression, check_expression

ATTACKS = [
    "__import__('os').system('id') == 0 and decision == 'approve'",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "decision.__class__",
    "eval('1')",
    "getattr(decision, 'upper')()",
    "[c for c in ()]",
    "(lambda: 1)()",
]


@pytest.mark.parametrize("expression", ATTACKS)
def test_attacks_are_refused(expression):
    with pytest.raises(UnsafeExpression):
        RestrictedEnvironment().evaluate(expression, {"decision": "approve"})


def test_scripts_cannot_import():
    with pytest.raises(UnsafeExpression):
        RestrictedEnvironment().execute("import os", {})


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ('decision == "approve"', {"decision": "approve"}, True),
        ('decision == "approve"', {"decision": "return"}, False),
        ("len(cooperating_unit_ids) > 0", {"cooperating_unit_ids": [3]}, True),
        ("head_signoff_required", {"head_signoff_required": False}, False),
        ("percent >= 50 and not overdue", {"percent": 60, "overdue": False}, True),
    ],
)
def test_ordinary_conditions(expression, data, expected):
    assert RestrictedEnvironment().evaluate(expression, data) is expected


def test_scripts_assign_task_data():
    data = {"decision": "approve"}
    RestrictedEnvironment().execute("decision = None\nround_no = 1", data)
    assert data == {"decision": None, "round_no": 1}


def test_builtins_are_not_reachable_through_task_data():
    with pytest.raises(NameError):
        RestrictedEnvironment().evaluate("open", {"__builtins__": __builtins__})


def test_check_names_what_it_refused():
    with pytest.raises(UnsafeExpression, match="不允许调用 open"):
        check_expression("open('x')")


UNSAFE_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="f3"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="e1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="e2"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gw"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e1">
      <bpmn:conditionExpression>__import__('os').system('id') == 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="e2"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_diagram_with_an_unsafe_condition_is_rejected_at_upload():
    with pytest.raises(ValidationFailed) as refused:
        parse_diagram(UNSAFE_DIAGRAM.encode(), "evil.bpmn")
    assert "第 11 行" in refused.value.message and "sequenceFlow(f2)" in refused.value.message
