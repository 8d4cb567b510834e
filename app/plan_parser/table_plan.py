"""Turn a task table into a ParsedPlan: guess what each column is, then read one task per row."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .deadlines import find_deadline, read_deadline_cell
from .model import ParsedPlan, Reason, Responsibility, Section, Task
from .numbering import CN, PAREN_CN, classify
from .structure import first_sentence
from .tables import Merge, RawTable, docx_task_table, is_table_upload, read_table
from .targets import find_targets
from .text import cn_to_int, strip_end_punct
from .units import split_units

NUMBER, TASK, LEAD, COOPERATING, DEADLINE, TARGET = "number", "task", "lead", "cooperating", "deadline", "target"
#: The roles a column can play, as the preview names them.
ROLES: dict[str, str] = {NUMBER: "序号", TASK: "任务", LEAD: "牵头单位", COOPERATING: "配合单位",
                         DEADLINE: "完成时限", TARGET: "目标"}
#: Header words for each role, most telling first.
_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    NUMBER: ("序号", "编号", "序", "No.", "No"),
    TASK: ("任务", "工作任务", "重点任务", "主要任务", "具体任务", "任务内容", "工作内容", "重点工作", "工作事项",
           "事项", "工作措施", "内容", "措施"),
    LEAD: ("牵头单位", "牵头部门", "牵头处室", "牵头", "责任单位", "责任部门", "责任处室", "主责单位", "主办单位",
           "承办单位", "责任"),
    COOPERATING: ("配合单位", "配合部门", "配合处室", "协办单位", "参与单位", "配合", "协办"),
    DEADLINE: ("完成时限", "完成时间", "时限", "时间节点", "截止时间", "完成期限", "期限", "时间"),
    TARGET: ("目标", "工作目标", "预期目标", "量化指标", "指标", "预期成效", "成效"),
}

Columns = Mapping[str, int | None]


def _header_score(header: str, role: str) -> int:
    """How strongly a header cell names a role: exact words beat words it merely contains."""
    cell = re.sub(r"\s+", "", header)
    words = _HEADER_WORDS[role]
    for rank, word in enumerate(words):
        if cell == word:
            return 200 - rank
    for rank, word in enumerate(words):
        if word in cell:
            return 100 - rank
    return 0


def guess_columns(header: Sequence[str]) -> dict[str, int | None]:
    """Which column plays which role, from the header; each column plays at most one."""
    pairs = sorted(((_header_score(cell, role), role, index) for role in ROLES for index, cell in enumerate(header)),
                   key=lambda pair: -pair[0])
    chosen: dict[str, int | None] = dict.fromkeys(ROLES)
    used: set[int] = set()
    for score, role, index in pairs:
        if score and chosen[role] is None and index not in used:
            chosen[role] = index
            used.add(index)
    return chosen


def looks_like_header(cells: Sequence[str]) -> bool:
    """A row of several headings naming at least two roles is the table's header (not a title above it)."""
    guessed = guess_columns(cells)
    return len({cell for cell in cells if cell}) >= 2 and sum(index is not None for index in guessed.values()) >= 2


def names_tasks(cells: Sequence[str]) -> bool:
    """A header that names a task column: a Word table with one is a task table, not part of the text."""
    return looks_like_header(cells) and guess_columns(cells)[TASK] is not None


@dataclass
class _Row:
    """One data row with its sheet row number."""

    line: int
    cells: list[str]

    def get(self, column: int | None) -> str:
        return self.cells[column] if column is not None and column < len(self.cells) else ""


def task_table_of(data: bytes, filename: str) -> RawTable | None:
    """The upload's task table: an .xlsx or .csv, or the first .docx table with a task column; None for a
    document to read as text.

    :raises DocumentError: an unreadable or oversize table.
    """
    if is_table_upload(data, filename):
        return read_table(data, filename, looks_like_header)
    if filename.lower().endswith(".docx") and data.startswith(b"PK\x03\x04"):
        return docx_task_table(data, names_tasks)
    return None


def table_plan(table: RawTable, columns: Columns, plan_year: int | None, fallback_title: str) -> ParsedPlan:
    """Read one task per row; anything that needs the clerk goes into errors (blocking) or warnings."""
    plan = ParsedPlan(title=table.title or fallback_title)
    if not _check_columns(table, columns, plan):
        return plan
    rows = [_Row(table.first_row + index, cells) for index, cells in enumerate(table.rows)]
    empty = [row.line for row in rows if not any(row.cells)]
    if empty:
        plan.warnings.append(f"第{_lines(empty)}行为空行，已跳过。")
    plan.warnings += _merge_notes(table, columns, plan)
    numbers: dict[int, list[int]] = {}
    for row in (row for row in rows if any(row.cells)):
        if _section_row(row, columns, plan):
            continue
        task = _task(row, columns, plan, plan_year)
        if task is not None:
            numbers.setdefault(task.number, []).append(row.line)
            plan.tasks.append(task)
    for number, lines in numbers.items():
        if len(lines) > 1:
            plan.errors.append(f"序号 {number} 重复出现（第{_lines(lines)}行），请修改表格后重新上传。")
    if not plan.tasks and not plan.errors:
        plan.errors.append("表格中没有任何任务行。")
    return plan


def _check_columns(table: RawTable, columns: Columns, plan: ParsedPlan) -> bool:
    """The mapping names a task column and uses each column once."""
    if columns.get(TASK) is None:
        plan.errors.append("表格中没有“任务”列（表头中找不到“任务”“工作内容”等字样）。"
                           "请在“列对应”中指定哪一列是任务内容。")
        return False
    used = [index for index in columns.values() if index is not None]
    if len(set(used)) != len(used):
        plan.errors.append("同一列被指定为两种内容，请在“列对应”中为每一列只选一种。")
        return False
    if any(index >= len(table.header) for index in used):
        plan.errors.append("“列对应”中指定的列在表格中不存在，请重新选择。")
        return False
    return True


def _merge_notes(table: RawTable, columns: Columns, plan: ParsedPlan) -> list[str]:
    """Say where merged cells were and how they were read; a task cell merged over rows is an error."""
    names = {index: ROLES[role] for role, index in columns.items() if index is not None}
    notes = []
    for merge in table.merges:
        if _whole_row(merge, table):
            continue  # a section heading spread over the row
        lines = f"第{table.first_row + merge.first_row}–{table.first_row + merge.last_row}行" \
            if merge.last_row > merge.first_row else f"第{table.first_row + merge.first_row}行"
        covered = [names[c] for c in range(merge.first_column, merge.last_column + 1) if c in names]
        if not covered:
            continue
        if merge.last_row > merge.first_row and names.get(columns.get(TASK) or -1) in covered:
            plan.errors.append(f"{lines}的“任务”是合并单元格：每项任务应单独占一行，请拆分后重新上传。")
            continue
        value = table.rows[merge.first_row][merge.first_column] if merge.first_row < len(table.rows) else ""
        notes.append(f"{lines}的“{'、'.join(covered)}”是合并单元格，已把“{_short(value)}”用于每一行，请核对。")
    return notes


def _whole_row(merge: Merge, table: RawTable) -> bool:
    return merge.first_row == merge.last_row and merge.last_column - merge.first_column + 1 >= len(table.header) - 1


def _section_row(row: _Row, columns: Columns, plan: ParsedPlan) -> bool:
    """A row with one text across it ("一、优化营商环境") heads a section rather than being a task."""
    values = {cell for cell in row.cells if cell}
    if len(values) != 1:
        return False
    text = next(iter(values))
    numbered = classify(text)
    if not (numbered and numbered.rank in (CN, PAREN_CN)) and row.get(columns.get(TASK)):
        return False
    number = numbered.number if numbered else len(plan.sections) + 1
    plan.sections.append(Section(number, strip_end_punct(numbered.rest if numbered else text),
                                 numbered.label if numbered else ""))
    return True


def _task(row: _Row, columns: Columns, plan: ParsedPlan, plan_year: int | None) -> Task | None:
    """The task on one row, or None (with an error) when the row cannot be one."""
    body = row.get(columns.get(TASK))
    if not body:
        plan.errors.append(f"第{row.line}行有内容但“任务”为空，请补全或删去该行后重新上传。")
        return None
    number = _number(row, columns, plan)
    if number is None:
        return None
    goal = row.get(columns.get(TARGET))
    text = body if not goal or goal in body else f"{body}\n目标：{goal}"
    leads, cooperating = split_units(row.get(columns.get(LEAD))), split_units(row.get(columns.get(COOPERATING)))
    responsibility = Responsibility(
        lead_units=list(leads.units), responsible_units=list(leads.units),
        cooperating_units=[u for u in cooperating.units if u not in leads.units],
        unit_groups=list(dict.fromkeys(leads.groups + cooperating.groups)),
        annotation="；".join(filter(None, (row.get(columns.get(role)) for role in (LEAD, COOPERATING)))))
    for name in responsibility.roles():
        column = ROLES[LEAD] if name in leads.order else ROLES[COOPERATING]
        responsibility.reasons[name] = [Reason(f"table-{LEAD if name in leads.order else COOPERATING}-column",
                                               f"填在表格的“{column}”列")]
    task = Task(number=number, section=plan.sections[-1].number if plan.sections else None,
                title=first_sentence(body) or strip_end_punct(body)[:40], text=text, label=f"{number}.",
                responsibility=responsibility, targets=find_targets(text))
    if not (leads.units or leads.groups):
        plan.warnings.append(f"任务{number}：未填写牵头单位")
    _deadline(task, row, columns, plan, plan_year)
    return task


def _number(row: _Row, columns: Columns, plan: ParsedPlan) -> int | None:
    """The 序号 as written (1, 1.0, 一, （一）); rows are counted when the table has no 序号 column."""
    if columns.get(NUMBER) is None:
        return len(plan.tasks) + 1
    written = row.get(columns.get(NUMBER))
    cleaned = re.sub(r"^[(（]|[)）.、．\s]+$|[)）]$", "", written)
    number = int(cleaned) if cleaned.isdigit() else cn_to_int(cleaned)
    if not written or not number:
        plan.errors.append(f"第{row.line}行的序号“{written}”不是数字，请修改表格后重新上传。" if written
                           else f"第{row.line}行没有序号，请补全后重新上传。")
        return None
    return number


def _deadline(task: Task, row: _Row, columns: Columns, plan: ParsedPlan, plan_year: int | None) -> None:
    """The 完成时限 column, else a deadline phrase in the task's text, becomes its suggested due date."""
    written = row.get(columns.get(DEADLINE))
    if written:
        task.deadline = read_deadline_cell(written, plan_year)
        if task.deadline is None:
            plan.warnings.append(f"第{row.line}行的完成时限“{_short(written)}”不是日期，也不是“6月底前”“年底前”"
                                 "这类时限，该任务暂无建议完成时限。")
        return
    task.deadline = find_deadline(task.text, plan_year)


def _lines(lines: list[int]) -> str:
    """Row numbers as a list: 3、5、9."""
    return "、".join(str(line) for line in lines)


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
