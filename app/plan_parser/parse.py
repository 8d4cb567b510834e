"""Assemble a ParsedPlan from text: outline, header, responsibility and targets."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .deadlines import find_deadline
from .errors import DocumentError
from .header import parse_header
from .model import ParsedPlan, Responsibility, Section, Task
from .reading import check_size, read_document
from .responsibility import LEAD_RULE, ParsedAnnotation, find_annotations, merge, parse_annotation, resolve
from .structure import Heading, Outline, RawTask, assign_sections, build_outline, first_sentence, task_numbers
from .targets import find_targets
from .text import split_paragraphs, strip_end_punct
from .units import is_fragment

# Names longer than this are usually two units the splitter could not separate.
_LONG_NAME = 20
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def parse_text(text: str, known: Iterable[str] = ()) -> ParsedPlan:
    """Parse plan text (pasted or read from a file) into a ParsedPlan; never raises.

    ``known`` are unit and group names the directory knows; one written with 、 inside is kept whole.
    """
    names = frozenset(name for name in known if "、" in name or "/" in name)
    paragraphs = split_paragraphs(text)
    outline = build_outline(paragraphs)
    header = parse_header(outline.front, paragraphs)
    plan = ParsedPlan(title=header.title, issuing_body=header.issuing_body,
                      issuing_date=header.issuing_date, document_number=header.document_number)
    rule_at, plan.lead_rule = _lead_rule(paragraphs)
    pairs = assign_sections(outline)
    section_of = {heading.index: number for heading, number in pairs}
    plan.sections = [Section(number, _heading_title(heading), heading.numbered.label)
                     for heading, number in pairs]
    for raw, number in zip(outline.tasks, task_numbers(outline), strict=False):
        rule = plan.lead_rule if rule_at is not None and rule_at <= raw.last_index else None
        plan.tasks.append(_build_task(raw, number, _section_of(raw, outline, section_of), rule, plan, names))
    plan.warnings = outline.warnings + plan.warnings
    year = guess_year(plan)
    for task in plan.tasks:
        task.deadline = find_deadline(task.text, year)
    return plan


def guess_year(plan: ParsedPlan) -> int | None:
    """The plan year: "2023年…" in the title, else the year it was issued."""
    match = re.search(r"(20\d\d)\s*年", plan.title or "")
    if match:
        return int(match.group(1))
    return plan.issuing_date.year if plan.issuing_date else None


def parse_document(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedPlan:
    """Read and parse an uploaded plan; raises DocumentError for unusable input."""
    check_size(data, max_bytes)
    plan = parse_text(read_document(data, filename))
    if not plan.tasks:
        raise DocumentError("未在文档中找到编号的任务（如以“1.”“（一）”“一、”开头的条目），"
                            "请确认上传的是工作计划正文。")
    return plan


def _lead_rule(paragraphs: list[str]) -> tuple[int | None, str | None]:
    """Where the document first says "the first-listed unit leads", and its wording."""
    for index, paragraph in enumerate(paragraphs):
        match = LEAD_RULE.search(paragraph)
        if match:
            return index, match.group(0)
    return None, None


def _heading_title(heading: Heading) -> str:
    """A section's title: the first sentence of its heading paragraph."""
    rest = heading.numbered.rest
    return first_sentence(rest) or strip_end_punct(rest)


def _section_of(raw: RawTask, outline: Outline, section_of: dict[int, int]) -> int | None:
    """The section number a task belongs to, or None before the first section."""
    if outline.section_rank is None:
        return None
    heading = raw.ancestors.get(outline.section_rank)
    return None if heading is None else section_of.get(heading.index)


def _build_task(raw: RawTask, number: int, section: int | None, rule: str | None,
                plan: ParsedPlan, known: frozenset[str]) -> Task:
    """Read one task's responsibility and targets, adding its warnings to the plan."""
    text = raw.text
    annotations = [(start, end, inner, parsed) for start, end, inner in find_annotations(text)
                   if (parsed := parse_annotation(inner, known)) is not None]
    spans = [(start, end) for start, end, _, _ in annotations]
    task = Task(number=number, section=section, title=_task_title(text, spans), text=text,
                label=raw.numbered.label, targets=find_targets(text, spans))
    prefix = f"任务{number}："
    if not annotations:
        plan.warnings.append(prefix + "未找到责任单位标注（如“（XX牵头，XX分工负责）”）")
        return task
    if len(annotations) > 1:
        plan.warnings.append(prefix + f"有{len(annotations)}处责任单位标注，已合并")
    parsed = merge([p for _, _, _, p in annotations])
    task.responsibility, notes = resolve(parsed, rule)
    task.responsibility.annotation = "；".join(inner for _, _, inner, _ in annotations)
    task.responsibility.span = spans[-1]
    plan.warnings += [prefix + note for note in notes + _annotation_notes(parsed, task.responsibility)]
    return task


def _task_title(text: str, spans: list[tuple[int, int]]) -> str:
    """The first sentence of the task, with responsibility annotations cut out."""
    kept, cursor = [], 0
    for start, end in sorted(spans):
        kept.append(text[cursor:start])
        cursor = end
    kept.append(text[cursor:])
    body = "".join(kept).strip()
    return first_sentence(body) or strip_end_punct(body)[:40]


def _annotation_notes(parsed: ParsedAnnotation, resp: Responsibility) -> list[str]:
    """Warnings about anything in the annotation that needs a person's judgement."""
    notes = []
    if parsed.unassigned:
        notes.append(f"“{'、'.join(parsed.unassigned)}”未注明是牵头、负责还是配合，请核对")
    if parsed.open_ended:
        notes.append("单位列表以“等”结尾，还有未列明的单位，请补充")
    if not (resp.responsible_units or resp.cooperating_units):
        notes.append(f"未列出具体单位，只有单位组“{'、'.join(resp.unit_groups)}”，请指定")
    notes += [f"单位名称“{name}”较长，请核对是否应拆分" for name in
              resp.responsible_units + resp.cooperating_units if len(name) > _LONG_NAME]
    notes += [f"“{name}”只是行政区划名称，像是从“各区、县级市”这类名称中拆出的片段，请核对原文" for name in
              resp.roles() if is_fragment(name)]
    return notes
