"""Check an uploaded diagram stage by stage before anything is stored.

The stages run in order and a failed stage stops the ones after it (a file that is not XML has
no schema to check): the file (size, well-formed XML, no DTD), the BPMN 2.0 schema, the engine's
parser, then Duban's rules, which report every problem at once: the process is one Duban runs,
every human step names a known form and a role, each lane holds one role, no extension Duban
does not understand, and every condition and script passes the restricted engine.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.errors import ValidationFailed
from app.models.workflow import StepKey
from app.workflow.diagrams import (
    BPMN_NS,
    SPIFF_NS,
    ParsedDiagram,
    check_schema,
    code_problems,
    parse_engine,
    parse_xml,
)

#: Largest diagram accepted (the repository's own are under 20 KB).
MAX_DIAGRAM_BYTES = 1024 * 1024
#: The extension elements Duban reads (SpiffWorkflow's), and the properties it understands.
KNOWN_EXTENSIONS = {f"{{{SPIFF_NS}}}properties", f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript"}
KNOWN_PROPERTIES = {"formKey", "role", "unitVariable"}
HUMAN_STEPS = (f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}manualTask")
#: The stages, in the order they run, with the names the upload page shows.
STAGES = ("文件与 XML 安全检查", "BPMN 2.0 规范(XSD)", "流程引擎解析", "督办规则与表达式白名单")


@dataclass
class DiagramCheck:
    """What the checks found: the stages passed, the problems (Chinese, with line and element)."""

    source: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parsed: ParsedDiagram | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and len(self.passed) == len(STAGES)

    @property
    def failed_stage(self) -> str | None:
        """The stage that found problems (None when all passed)."""
        return None if self.ok else STAGES[len(self.passed)]

    def raise_if_refused(self) -> ParsedDiagram:
        """The parsed diagram when every stage passed.

        :raises ValidationFailed: listing every problem.
        """
        if not self.ok or self.parsed is None:
            raise ValidationFailed("\n".join(self.problems))
        return self.parsed


def check_diagram(data: bytes, source: str, processes: Iterable[str], roles: set[str]) -> DiagramCheck:
    """Run every stage on ``data``; ``processes`` are the process ids Duban runs, ``roles`` a step may name."""
    check = DiagramCheck(source)
    tree: Any = None

    def file_stage() -> None:
        nonlocal tree
        if len(data) > MAX_DIAGRAM_BYTES:
            raise ValidationFailed(f"{source}:文件大小 {len(data) // 1024} KB,超过 1 MB 的上限。")
        tree = parse_xml(data, source)

    def engine_stage() -> None:
        check.parsed = parse_engine(tree, source)

    stages: list[Callable[[], None]] = [file_stage, lambda: check_schema(tree, source), engine_stage]
    for name, stage in zip(STAGES, stages, strict=False):
        try:
            stage()
        except ValidationFailed as refused:
            check.problems.append(refused.message)
            return check
        check.passed.append(name)
    assert check.parsed is not None
    check.problems = duban_problems(check.parsed, source, set(processes), roles) + code_problems(tree, source)
    if not check.problems:
        check.passed.append(STAGES[-1])
    return check


def duban_problems(parsed: ParsedDiagram, source: str, processes: set[str], roles: set[str]) -> list[str]:
    """Every breach of Duban's rules in the executable processes of ``parsed``."""
    problems: list[str] = []
    for pid in parsed.process_ids:
        process = parsed.tree.xpath("//bpmn:process[@id=$id]", id=pid, namespaces={"bpmn": BPMN_NS})[0]
        if pid not in processes:
            known = "、".join(sorted(processes)) or "(尚无)"
            problems.append(f"{source} 第 {process.sourceline} 行,bpmn:process({pid}):督办没有这个流程,"
                            f"只能上传已有流程({known})的新版本。")
        problems += _step_problems(process, source, roles)
        problems += _extension_problems(process, source)
    return problems


def _label(element: Any) -> str:
    """``bpmn:userTask「名称」(id)``."""
    name = " ".join((element.get("name") or "").split())
    return f"bpmn:{etree.QName(element).localname}{f'「{name}」' if name else ''}({element.get('id', '')})"


def _step_problems(process: Any, source: str, roles: set[str]) -> list[str]:
    """Each human step: a known form key, a role, inside a lane; each lane holds steps of one role."""
    lanes = {ref.text.strip(): lane for lane in process.iter(f"{{{BPMN_NS}}}lane")
             for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef") if ref.text}
    problems: list[str] = []
    lane_roles: dict[str, tuple[Any, set[str]]] = {}
    for step in process.iter(*HUMAN_STEPS):
        where = f"{source} 第 {step.sourceline} 行,人工步骤 {_label(step)}"
        props = {p.get("name"): p.get("value") for p in step.iter(f"{{{SPIFF_NS}}}property")}
        if props.get("formKey") not in set(StepKey):
            problems.append(f"{where}:formKey「{props.get('formKey') or '未设置'}」不是督办的表单,"
                            f"应为 {'、'.join(StepKey)} 之一。")
        if props.get("role") not in roles:
            problems.append(f"{where}:role「{props.get('role') or '未设置'}」不是可办理步骤的角色,"
                            f"应为 {'、'.join(sorted(roles))} 之一。")
        lane = lanes.get(step.get("id", ""))
        if lane is None:
            problems.append(f"{where}:没有放入任何泳道,无法确定由哪一方办理。")
        elif props.get("role") in roles:
            lane_roles.setdefault(lane.get("id"), (lane, set()))[1].add(props["role"])
    for lane, found in lane_roles.values():
        if len(found) > 1:
            problems.append(f"{source} 第 {lane.sourceline} 行,泳道 {_label(lane)}:其中的步骤角色不一致"
                            f"({'、'.join(sorted(found))}),一个泳道只能对应一个角色。")
    return problems


def _extension_problems(process: Any, source: str) -> list[str]:
    """Extension elements Duban does not understand (another vendor's, or an unknown property)."""
    problems = []
    for extensions in process.iter(f"{{{BPMN_NS}}}extensionElements"):
        owner = extensions.getparent()
        for child in extensions:
            if not isinstance(child.tag, str):
                continue
            if child.tag not in KNOWN_EXTENSIONS:
                problems.append(f"{source} 第 {child.sourceline} 行,元素 {_label(owner)}:不支持的扩展 "
                                f"{etree.QName(child).localname}({etree.QName(child).namespace}),督办无法理解。")
            for prop in child.iter(f"{{{SPIFF_NS}}}property"):
                if prop.get("name") not in KNOWN_PROPERTIES:
                    problems.append(f"{source} 第 {prop.sourceline} 行,元素 {_label(owner)}:不支持的属性"
                                    f"「{prop.get('name')}」,只能是 {'、'.join(sorted(KNOWN_PROPERTIES))}。")
    return problems
