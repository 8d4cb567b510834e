"""Parse and validate an uploaded BPMN diagram, with Chinese messages naming the line and element.

Order: lxml well-formedness and the BPMN namespace, the XSD (``VALIDATOR``), then
SpiffBpmnParser + ``get_spec`` on every executable process, then the script whitelist.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.errors import ValidationFailed
from app.workflow.scripting import UnsafeExpression, check_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

#: Elements whose text the engine evaluates or executes, with the mode to check it in.
_CODE_ELEMENTS = {
    f"{{{BPMN_NS}}}conditionExpression": "eval",
    f"{{{BPMN_NS}}}completionCondition": "eval",
    f"{{{BPMN_NS}}}loopCardinality": "eval",
    f"{{{BPMN_NS}}}timeDuration": "eval",
    f"{{{BPMN_NS}}}timeDate": "eval",
    f"{{{BPMN_NS}}}timeCycle": "eval",
    f"{{{BPMN_NS}}}script": "exec",
    f"{{{SPIFF_NS}}}preScript": "exec",
    f"{{{SPIFF_NS}}}postScript": "exec",
}


@dataclass(frozen=True)
class ParsedDiagram:
    """The executable processes of one diagram file, parsed."""

    tree: etree._ElementTree
    process_ids: list[str]
    specs: dict[str, BpmnProcessSpec]
    subprocess_specs: dict[str, dict[str, BpmnProcessSpec]]


def parse_diagram(data: bytes, source: str = "diagram.bpmn") -> ParsedDiagram:
    """Validate ``data`` fully and return its parsed executable processes.

    :raises ValidationFailed: with a Chinese message naming the line and the element.
    """
    tree = parse_xml(data, source)
    check_schema(tree, source)
    parsed = parse_engine(tree, source)
    problems = code_problems(tree, source)
    if problems:
        raise ValidationFailed(problems[0])
    return parsed


def parse_engine(tree: etree._ElementTree, source: str) -> ParsedDiagram:
    """The engine's parser and ``get_spec`` on every executable process of a schema-valid tree.

    :raises ValidationFailed: naming the line and element SpiffWorkflow complains about.
    """
    parser = SpiffBpmnParser(validator=None)
    try:
        parser.add_bpmn_xml(tree, filename=source)
        process_ids = _executable_ids(tree, parser.get_process_ids())
        if not process_ids:
            raise ValidationFailed(f"{source}:没有可执行的流程(需要至少一个可执行的 bpmn:process)。")
        specs = {pid: parser.get_spec(pid) for pid in process_ids}
        subs = {pid: parser.get_subprocess_specs(pid) for pid in process_ids}
    except ValidationException as exc:
        raise ValidationFailed(_describe(exc, tree, source)) from exc
    return ParsedDiagram(tree, process_ids, specs, subs)


def _executable_ids(tree: etree._ElementTree, candidates: list[str]) -> list[str]:
    """Processes marked isExecutable="true"; when none is marked, the first one SpiffWorkflow would run.

    SpiffWorkflow counts a process without the attribute as executable (ARIS, Bizagi exports
    with a second, descriptive pool); only the first such process is taken then.
    """
    marked = tree.xpath("//bpmn:process[@isExecutable='true']/@id", namespaces={"bpmn": BPMN_NS})
    return [pid for pid in candidates if pid in marked] or candidates[:1]


def parse_xml(data: bytes, source: str) -> etree._ElementTree:
    """Well-formed XML without a DTD whose root is a BPMN 2.0 definitions element.

    Entities are never resolved and nothing is fetched; a DTD is refused outright, as a BPMN file
    never needs one and it is how external entities and entity bombs (billion laughs) arrive.
    """
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise ValidationFailed(f"{source} 第 {line} 行第 {column} 列:不是格式正确的 XML({exc.msg})。") from exc
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise ValidationFailed(f"{source} 第 1 行:文件含有 DOCTYPE 声明(实体定义),出于安全原因不予接受。")
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise ValidationFailed(f"{source} 第 {root.sourceline} 行:根元素 {root.tag} 不是 BPMN 2.0 的 definitions。")
    return root.getroottree()


def check_schema(tree: etree._ElementTree, source: str) -> None:
    """The BPMN 2.0 XSD (plus SpiffWorkflow's extension schema)."""
    try:
        VALIDATOR.validate(tree, source)
    except ValidationException as exc:
        raise ValidationFailed(f"{source} 第 {exc.line_number} 行:不符合 BPMN 2.0 规范({_reason(exc)})。") from exc


def _describe(exc: ValidationException, tree: etree._ElementTree, source: str) -> str:
    """A Chinese message for a parser error; SpiffWorkflow leaves the line empty, so look it up by id."""
    element = _element_by_id(tree, exc.id) if exc.id else _element_named_in(tree, _reason(exc))
    line = exc.line_number or (element.sourceline if element is not None else "")
    where = f"第 {line} 行" if line else "位置未知"
    what = _element_label(element, exc) if (element is not None or exc.tag) else "(未指明元素)"
    return f"{source} {where},元素 {what}:流程引擎无法执行此图({_reason(exc)})。"


def _element_by_id(tree: etree._ElementTree, element_id: str | None) -> Any:
    """The element with ``id`` (or None)."""
    if not element_id:
        return None
    found = tree.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def _element_named_in(tree: etree._ElementTree, message: str) -> Any:
    """The element whose name the message quotes (the Data Store error carries no id)."""
    flat = " ".join(message.split())
    named = [e for e in tree.iter() if isinstance(e.tag, str) and e.get("name")]
    hits = [e for e in named if " ".join(e.get("name").split()) in flat]
    return max(hits, key=lambda e: len(e.get("name")), default=None)


def _element_label(element: Any, exc: ValidationException) -> str:
    """``bpmn:startEvent「名称」(id)`` for the message."""
    tag = exc.tag or f"bpmn:{etree.QName(element).localname}"
    name = exc.name or (element.get("name") if element is not None else "")
    named = f"「{' '.join(name.split())}」" if name else ""
    element_id = exc.id or (element.get("id") if element is not None else "")
    return f"{tag}{named}({element_id})" if element_id else f"{tag}{named}"


def _reason(exc: ValidationException) -> str:
    """The engine's own words, on one line."""
    return " ".join(str(exc.args[0] if exc.args else exc).split()).rstrip(". ")


def code_problems(tree: etree._ElementTree, source: str) -> list[str]:
    """Every condition, script and timer expression that fails the restricted script engine's whitelist."""
    problems = []
    for element in tree.iter(*_CODE_ELEMENTS):
        text = (element.text or "").strip()
        if not text:
            continue
        try:
            check_expression(text, _CODE_ELEMENTS[element.tag])
        except UnsafeExpression as exc:
            owner = element.getparent()
            label = f"{etree.QName(owner).localname}({owner.get('id', '')})" if owner is not None else ""
            problems.append(f"{source} 第 {element.sourceline} 行,元素 {label}:{exc}")
    return problems


def check_human_steps(parsed: ParsedDiagram, source: str, roles: set[str]) -> None:
    """Duban's convention: every human step of an executable process names its form and a role.

    :raises ValidationFailed: naming the step and its line.
    """
    for pid in parsed.process_ids:
        process = _element_by_id(parsed.tree, pid)
        for step in process.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask"):
            props = {p.get("name"): p.get("value") for p in step.iter(f"{{{SPIFF_NS}}}property")}
            if not props.get("formKey") or props.get("role") not in roles:
                raise ValidationFailed(
                    f"{source} 第 {step.sourceline} 行,人工步骤「{step.get('name') or step.get('id')}」"
                    f"({step.get('id')}):必须设置 formKey 属性,且 role 属性为 {'、'.join(sorted(roles))} 之一。"
                )


#: What a diagram's reader never sees: notes for the diagram's authors, and the lines tying them to steps.
_NOTE_TAGS = (f"{{{BPMN_NS}}}textAnnotation", f"{{{BPMN_NS}}}association")
_DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"


def viewable_xml(data: bytes) -> bytes:
    """The diagram as users see it: text annotations (developer notes naming files and signals) and their
    associations removed, with their drawing."""
    root = etree.fromstring(data, _XML_PARSER)
    notes = {element.get("id") for element in root.iter(*_NOTE_TAGS)}
    for element in list(root.iter(*_NOTE_TAGS)):
        element.getparent().remove(element)
    for shape in list(root.iter(f"{{{_DI_NS}}}BPMNShape", f"{{{_DI_NS}}}BPMNEdge")):
        if shape.get("bpmnElement") in notes:
            shape.getparent().remove(shape)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
