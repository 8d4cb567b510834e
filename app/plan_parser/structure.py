"""Find the plan's outline: which numbered paragraphs are tasks, which are sections."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .header import is_footer_line, parse_date
from .numbering import ARABIC, Numbered, classify
from .responsibility import has_annotation
from .text import strip_end_punct

_APPENDIX = re.compile(r"^附件\s*[:：\d一二三四五六七八九十]")
_SENTENCE_END = re.compile(r"[。！？；;!?\n]")


@dataclass
class Heading:
    """A numbered paragraph above task level, at its position in the document."""

    index: int
    numbered: Numbered


@dataclass
class RawTask:
    """A task's paragraphs before responsibility and targets are read."""

    numbered: Numbered
    last_index: int
    paragraphs: list[str]
    ancestors: dict[int, Heading] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The task text without its own number."""
        return "\n".join([self.numbered.rest, *self.paragraphs[1:]])


@dataclass
class Outline:
    """Front matter, tasks and section headings found in one document."""

    front: list[str] = field(default_factory=list)
    tasks: list[RawTask] = field(default_factory=list)
    section_rank: int | None = None
    warnings: list[str] = field(default_factory=list)


def first_sentence(text: str) -> str:
    """The text up to its first sentence end, without the end mark."""
    match = _SENTENCE_END.search(text)
    return strip_end_punct(text[:match.start()] if match else text)


def classify_paragraphs(paragraphs: list[str]) -> list[Numbered | None]:
    """Classify every paragraph's numbering, tracking the arabic sequence for glued numbers."""
    result: list[Numbered | None] = []
    last_arabic: int | None = None
    for paragraph in paragraphs:
        expected = None if last_arabic is None else last_arabic + 1
        numbered = classify(paragraph, expected)
        if numbered and numbered.rank == ARABIC:
            last_arabic = numbered.number
        result.append(numbered)
    return result


def _block_end(numbering: list[Numbered | None], start: int, rank: int) -> int:
    """Index after the block of the item at `start`: up to the next item of rank <= its own."""
    for index in range(start + 1, len(numbering)):
        other = numbering[index]
        if other is not None and other.rank <= rank:
            return index
    return len(numbering)


def choose_task_rank(numbering: list[Numbered | None], annotated: list[bool]) -> tuple[int, bool] | None:
    """Pick the numbering level that holds tasks; the flag says whether annotations decided it."""
    in_block: Counter[int] = Counter()  # items with an annotation anywhere in their block
    own: Counter[int] = Counter()  # items with an annotation before any deeper number
    sizes: Counter[int] = Counter()
    for index, numbered in enumerate(numbering):
        if numbered is None:
            continue
        sizes[numbered.rank] += 1
        in_block[numbered.rank] += any(annotated[index:_block_end(numbering, index, numbered.rank)])
        own[numbered.rank] += any(annotated[index:_block_end(numbering, index, 99)])
    if any(in_block.values()):
        # Most annotated items wins. Ties: sub-items (1)(2) lose to their task (fewer of them
        # are annotated); a section holding one task loses to the task (which carries the
        # annotation itself, or is simply the nearer level).
        return min(sizes, key=lambda rank: (-in_block[rank], -in_block[rank] / sizes[rank],
                                            -own[rank], -rank)), True
    # Without annotations, a level made only of short headings ("一、工作任务") holds no tasks.
    candidates = {n.rank for n in numbering if n is not None and not _bare_heading(n)}
    if candidates:
        return min(candidates, key=lambda rank: (-sizes[rank], -rank)), False
    return None


def _bare_heading(numbered: Numbered) -> bool:
    """A short numbered line without sentence punctuation: a heading, not a task."""
    return len(numbered.rest) <= 30 and not re.search(r"[。；;！？]", numbered.rest)


def _ends_task(paragraphs: list[str], index: int, closed: bool) -> bool:
    """Does an unnumbered paragraph end the current task rather than continue it?"""
    paragraph = paragraphs[index]
    if closed or _APPENDIX.match(paragraph):
        return True
    if has_annotation(paragraph):
        # "（A牵头，B负责）" on a line of its own closes the task it belongs to.
        return False
    if is_footer_line(paragraph):
        return True
    following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
    # An organisation name on its own line just above the date is the signature.
    return len(paragraph) <= 30 and parse_date(following) is not None


def build_outline(paragraphs: list[str]) -> Outline:
    """Split paragraphs into front matter and tasks, remembering each task's headings."""
    outline = Outline()
    numbering = classify_paragraphs(paragraphs)
    annotated = [has_annotation(p) for p in paragraphs]
    chosen = choose_task_rank(numbering, annotated)
    if chosen is None:
        outline.front = list(paragraphs)
        return outline
    task_rank, by_annotation = chosen
    if not by_annotation:
        outline.warnings.append("全文未找到责任单位标注，已按出现最多的编号层级识别任务，请核对")
    _collect_tasks(outline, paragraphs, numbering, annotated, task_rank)
    return outline


def _collect_tasks(outline: Outline, paragraphs: list[str], numbering: list[Numbered | None],
                   annotated: list[bool], task_rank: int) -> None:
    """Walk the paragraphs once, opening a task at each task-level number."""
    headings: dict[int, Heading] = {}
    current: RawTask | None = None
    seen_number = False
    for index, paragraph in enumerate(paragraphs):
        numbered = numbering[index]
        if numbered is not None and numbered.rank <= task_rank:
            seen_number = True
            current = None
            headings = {r: h for r, h in headings.items() if r < numbered.rank}
            if numbered.rank < task_rank:
                headings[numbered.rank] = Heading(index, numbered)
                continue
            current = RawTask(numbered, index, [paragraph], dict(headings))
            outline.tasks.append(current)
        elif current is not None and (numbered is not None or not _ends_task(
                paragraphs, index, annotated[current.last_index])):
            current.paragraphs.append(paragraph)
            current.last_index = index
        else:
            current = None
            if not seen_number:
                outline.front.append(paragraph)


def assign_sections(outline: Outline) -> list[tuple[Heading, int]]:
    """Choose the section level and number each section; returns (heading, number) pairs."""
    coverage = Counter(rank for task in outline.tasks for rank in task.ancestors)
    # The level that encloses most tasks; on a tie the deeper (nearer) one.
    ranks = sorted(coverage, key=lambda rank: (-coverage[rank], -rank))
    for rank in ranks:
        headings = _headings_at(outline, rank)
        numbers = [h.numbered.number for h in headings]
        if len(set(numbers)) == len(numbers):
            outline.section_rank = rank
            return list(zip(headings, numbers, strict=False))
    if not ranks:
        return []
    # Section numbers repeat (e.g. （一） under each 一、): number them in document order.
    outline.section_rank = ranks[0]
    outline.warnings.append("部分编号在不同层级下重复出现，已按全文顺序为各部分重新编号")
    headings = _headings_at(outline, ranks[0])
    return list(zip(headings, range(1, len(headings) + 1), strict=True))


def _headings_at(outline: Outline, rank: int) -> list[Heading]:
    """Distinct headings at a rank that contain tasks, in document order."""
    seen: dict[int, Heading] = {}
    for task in outline.tasks:
        heading = task.ancestors.get(rank)
        if heading is not None:
            seen.setdefault(heading.index, heading)
    return list(seen.values())


def task_numbers(outline: Outline) -> list[int]:
    """The task numbers to publish: as written, or 1..N when the document repeats them."""
    written = [task.numbered.number for task in outline.tasks]
    if len(set(written)) == len(written):
        missing = sorted(set(range(1, max(written, default=0) + 1)) - set(written))
        if missing:
            shown = "、".join(str(n) for n in missing[:10])
            outline.warnings.append(f"任务编号不连续，缺少第{shown}项，请核对是否漏识别")
        return written
    outline.warnings.append("任务编号在各部分内重新开始，已按全文顺序重新编号")
    return list(range(1, len(written) + 1))
