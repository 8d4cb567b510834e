"""Diagram validation against real files from other tools (tests/fixtures/bpmn/INDEX.md) and our own."""
from pathlib import Path

import pytest
from lxml import etree

from app.errors import ValidationFailed
from app.workflow.diagrams import BPMN_NS, parse_diagram
from tests.workflow.conftest import BPMN_FIXTURES, bpmn_fixture

PROCESSES = Path(__file__).resolve().parents[2] / "processes"

ACCEPT = {
    "spiffwf_boundary_timer_on_task.bpmn": ["test_timer"],
    "spiffwf_lanes.bpmn": ["lanes"],
    "spiffwf_timer_non_interrupt_boundary.bpmn": ["NonInterruptTimer"],
    "spiffwf_spiff_properties.bpmn": ["Process_1"],
    "spiffwf_human_task_metadata.bpmn": ["Process_human_task_metadata"],
    "miwg_bpmnio_camunda_modeler_A.4.0_export.bpmn": ["Process_0elb8rq"],
    "miwg_yaoqiang_A.1.0_export.bpmn": ["PROCESS_1"],
    "miwg_aris_A.4.0_export.bpmn": ["Process_ID-bea68b01-70c3-11e9-69f8-f48e38b53512"],
}

#: file → fragments the Chinese message must contain (line and element).
REJECT = {
    "miwg_reference_A.2.0.bpmn": ["没有可执行的流程"],
    "miwg_bizagi_A.4.0_roundtrip.bpmn": ["第 348 行", "bpmn:process"],
    "miwg_reference_C.1.0_signavio.bpmn": ["第 570 行", "bpmn:serviceTask", "archiveInvoice"],
    "miwg_reference_C.3.0_w4.bpmn": ["第 244 行", "bpmn:subProcess", "Perform emergency repair"],
    "miwg_bpmnio_camunda_modeler_B.1.0_export.bpmn": ["第 15 行", "bpmn:startEvent", "StartEvent_1"],
    "miwg_reference_B.1.0.bpmn": ["第 3 行", "bpmn:dataStore", "Data Store Reference"],
    "miwg_trisotech_C.1.0_roundtrip.bpmn": ["第 530 行", "bpmn:startEvent", "StartEvent_1"],
    "moddle_error_invalid_attributes_not_wellformed.bpmn": ["第 3 行第 12 列", "不是格式正确的 XML"],
    "moddle_error_duplicate_ids.bpmn": ["第 7 行", "不符合 BPMN 2.0 规范"],
    "miwg_camunda_eclipse_B.2.0_export.bpmn": ["第 453 行", "linkEventDefinition"],
    "moddle_choreography_task_signavio.bpmn": ["没有可执行的流程"],
    "moddle_collaboration_only_no_process.bpmn": ["没有可执行的流程"],
}


def test_every_fixture_has_a_verdict():
    assert {p.name for p in BPMN_FIXTURES.glob("*.bpmn")} == set(ACCEPT) | set(REJECT)


@pytest.mark.parametrize("name", sorted(ACCEPT))
def test_accepted(name):
    assert parse_diagram(bpmn_fixture(name), name).process_ids == ACCEPT[name]


@pytest.mark.parametrize("name", sorted(REJECT))
def test_rejected_with_line_and_element(name):
    with pytest.raises(ValidationFailed) as refused:
        parse_diagram(bpmn_fixture(name), name)
    for fragment in REJECT[name]:
        assert fragment in refused.value.message


def test_not_bpmn_at_all():
    with pytest.raises(ValidationFailed, match=r"不是 BPMN 2.0"):
        parse_diagram(b"<html><body/></html>", "page.html")


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_our_diagrams_are_valid_and_drawable(path):
    parse_diagram(path.read_bytes(), path.name)
    tree = etree.parse(str(path))
    ns = {"bpmn": BPMN_NS, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
    nodes = tree.xpath("//bpmn:process/*[@id][not(self::bpmn:laneSet) and not(self::bpmn:sequenceFlow)]", namespaces=ns)
    flows = tree.xpath("//bpmn:sequenceFlow/@id", namespaces=ns)
    shapes = set(tree.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=ns))
    edges = set(tree.xpath("//bpmndi:BPMNEdge/@bpmnElement", namespaces=ns))
    assert {n.get("id") for n in nodes if not n.tag.endswith("association")} <= shapes
    assert set(flows) <= edges


def test_form_keys_and_roles():
    expected = {
        "task_lifecycle.bpmn": {"decomposition", "decomposition_review", "task_closure"},
        "milestone.bpmn": {"milestone_report", "cooperating_contribution", "head_signoff", "report_review"},
        "progress_report.bpmn": {"progress_report"},
        "rectification.bpmn": {"rectification_plan", "rectification_plan_review", "rectification_result",
                               "rectification_verify"},
    }
    for name, keys in expected.items():
        tree = etree.parse(str(PROCESSES / name))
        props = tree.xpath("//*[local-name()='userTask']//*[local-name()='property']")
        assert {p.get("value") for p in props if p.get("name") == "formKey"} == keys
        assert {p.get("value") for p in props if p.get("name") == "role"} <= {"liaison", "supervisor", "unit_head"}


def test_lanes():
    lifecycle = etree.parse(str(PROCESSES / "task_lifecycle.bpmn"))
    lanes = lifecycle.xpath("//*[local-name()='lane']/@name")
    assert set(lanes) == {"牵头单位", "督审处", "配合单位", "单位负责人"}


def test_rectification_lanes():
    rectification = etree.parse(str(PROCESSES / "rectification.bpmn"))
    assert set(rectification.xpath("//*[local-name()='lane']/@name")) == {"责任单位", "督审处"}
