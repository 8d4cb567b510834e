"""Read a task table (任务分解表) from .xlsx, .csv or a .docx table into rows of text.

Merged cells are filled with their value and remembered, so the preview can say where they were.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .archive import DOCX, XLSX, check_archive
from .errors import DocumentError
from .reading import decode_text

#: Tells a header row from a title above it (table_plan.looks_like_header), or a task table's (names_tasks).
HeaderTest = Callable[[Sequence[str]], bool]

#: Rows and columns a task table may have; real ones have tens of rows and under ten columns.
MAX_ROWS = 1000
MAX_COLUMNS = 30
#: Rows above the header that may hold a title ("2023年重点工作任务分解表").
_HEADER_SEARCH = 10
_TABLE_SUFFIXES = (".xlsx", ".xlsm", ".csv")
_XLSX_PART = "xl/workbook.xml"


@dataclass
class Merge:
    """A merged cell in table coordinates (0-based data rows, 0-based columns), inclusive."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int


@dataclass
class RawTable:
    """A table's header and data rows as text, where it came from and its merged cells."""

    header: list[str]
    rows: list[list[str]]
    first_row: int = 2  # the sheet row number of rows[0], for messages ("第5行")
    title: str | None = None
    source: str = ""  # the sheet's or table's name
    merges: list[Merge] = field(default_factory=list)

    def to_json(self) -> str:
        """The table as stored in an import draft until it is confirmed."""
        return json.dumps({"header": self.header, "rows": self.rows, "first_row": self.first_row,
                           "title": self.title, "source": self.source,
                           "merges": [[m.first_row, m.first_column, m.last_row, m.last_column] for m in self.merges]},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RawTable:
        """The table a draft stored."""
        data = json.loads(text)
        return cls(data["header"], data["rows"], data["first_row"], data["title"], data["source"],
                   [Merge(*m) for m in data["merges"]])


def is_table_upload(data: bytes, filename: str) -> bool:
    """True for a spreadsheet upload (.xlsx, .csv); a .docx may hold a task table too, see docx_task_table."""
    name = filename.lower()
    return name.endswith(_TABLE_SUFFIXES) or (data.startswith(b"PK\x03\x04") and not name.endswith(".docx")
                                               and _XLSX_PART.encode() in data[:4096])


def read_table(data: bytes, filename: str, looks_like_header: HeaderTest) -> RawTable:
    """Read an .xlsx or .csv upload; ``looks_like_header(cells)`` tells the header row from a title above it.

    :raises DocumentError: unreadable, oversize, or empty.
    """
    if not data or not data.strip():
        raise DocumentError("文件为空，没有可导入的内容。")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_table(data, looks_like_header)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise DocumentError("该文件不是有效的 .xlsx 表格（不是 Excel 的压缩包格式），可能已损坏或被改了扩展名。"
                            "旧版 .xls 请在 Excel 中另存为 .xlsx。")
    return _csv_table(decode_text(data), looks_like_header)


def docx_task_table(data: bytes, names_tasks: HeaderTest) -> RawTable | None:
    """The first table of a .docx whose header ``names_tasks``, or None when the document has none."""
    import docx  # python-docx only for a .docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    check_archive(data, "word/document.xml", DOCX)
    try:
        document = docx.Document(io.BytesIO(data))
        for number, table in enumerate(document.tables, start=1):
            if len(table.rows) > MAX_ROWS + _HEADER_SEARCH:
                raise DocumentError(_too_many_rows())
            grid = [[(cell._tc, cell.text) for cell in row.cells][:MAX_COLUMNS] for row in table.rows]
            found = _from_grid(grid, names_tasks, f"表格{number}")
            if found is not None:
                return found
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise DocumentError("无法读取该 .docx 文档，文件可能已损坏。") from exc
    return None


def _from_grid(grid: Sequence[Sequence[tuple[object, str]]], looks_like_header: HeaderTest,
               source: str) -> RawTable | None:
    """A .docx table as (cell identity, text) per grid position: the same identity twice is a merged cell."""
    texts = [[_clean(text) for _, text in row] for row in grid]
    header_at = _header_row(texts, looks_like_header)
    if header_at is None or not looks_like_header(texts[header_at]):
        return None  # a table of the document's text, not a task table
    spans: dict[object, list[tuple[int, int]]] = {}  # by the cell's XML element, the same one for a merged cell
    for r, row in enumerate(grid[header_at + 1:]):
        for c, (owner, _) in enumerate(row):
            spans.setdefault(owner, []).append((r, c))
    merges = [Merge(min(r for r, _ in cells), min(c for _, c in cells), max(r for r, _ in cells),
                    max(c for _, c in cells)) for cells in spans.values() if len(cells) > 1]
    return _table(texts, header_at, header_at + 2, source, merges)


def _xlsx_table(data: bytes, looks_like_header: HeaderTest) -> RawTable:
    """The first sheet with a task header (else the first sheet) of an .xlsx."""
    check_archive(data, _XLSX_PART, XLSX)
    import openpyxl  # only for a spreadsheet upload

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and similar notes on files from other programs
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # any failure of the parser on a damaged or crafted file is a damaged file
        raise DocumentError("无法读取该 .xlsx 表格，文件可能已损坏。请在 Excel 中重新另存后上传。") from exc
    first: RawTable | None = None
    for sheet in book.worksheets:
        found = _sheet_table(sheet, looks_like_header)
        if found is not None and looks_like_header(found.header):
            return found
        first = first or found
    if first is None:
        raise DocumentError("该 .xlsx 表格中没有任何内容。")
    return first


def _sheet_table(sheet: Any, looks_like_header: HeaderTest) -> RawTable | None:
    """One worksheet as a table, merged cells filled from their top-left cell."""
    if sheet.max_row > MAX_ROWS + _HEADER_SEARCH and _has_content_after(sheet, MAX_ROWS + _HEADER_SEARCH):
        raise DocumentError(_too_many_rows())
    width = min(sheet.max_column, MAX_COLUMNS)
    texts = [[_cell_text(value) for value in row]
             for row in sheet.iter_rows(max_row=min(sheet.max_row, MAX_ROWS + _HEADER_SEARCH), max_col=width,
                                        values_only=True)]
    merges = []
    for merged in sheet.merged_cells.ranges:
        top, left = merged.min_row - 1, merged.min_col - 1
        value = texts[top][left] if top < len(texts) and left < width else ""
        for r in range(top, min(merged.max_row, len(texts))):
            for c in range(left, min(merged.max_col, width)):
                texts[r][c] = value
        merges.append((top, left, merged.max_row - 1, merged.max_col - 1))
    header_at = _header_row(texts, looks_like_header)
    if header_at is None:
        return None
    return _table(texts, header_at, header_at + 2, sheet.title,
                  [Merge(top - header_at - 1, left, bottom - header_at - 1, right)
                   for top, left, bottom, right in merges if top > header_at])


def _has_content_after(sheet: Any, row: int) -> bool:
    """True when any cell below ``row`` holds a value (formatting alone stretches max_row in some files)."""
    for values in sheet.iter_rows(min_row=row + 1, max_col=min(sheet.max_column, MAX_COLUMNS), values_only=True):
        if any(value not in (None, "") for value in values):
            return True
    return False


def _csv_table(text: str, looks_like_header: HeaderTest) -> RawTable:
    """A CSV (comma- or tab-separated, as Excel and WPS save it)."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        rows = []
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter):
            rows.append([_clean(cell) for cell in row[:MAX_COLUMNS]])
            if len(rows) > MAX_ROWS + _HEADER_SEARCH:
                raise DocumentError(_too_many_rows())
    except csv.Error as exc:
        raise DocumentError(f"无法按 CSV 格式读取该文件（{exc}）。请在 Excel 中另存为 CSV 或 .xlsx 后上传。") from exc
    header_at = _header_row(rows, looks_like_header)
    if header_at is None:
        raise DocumentError("该 CSV 文件中没有任何内容。")
    return _table(rows, header_at, header_at + 2, "CSV", [])


def _header_row(rows: Sequence[Sequence[str]], looks_like_header: HeaderTest) -> int | None:
    """The header: the first of the top rows that looks like one, else the first row of several cells."""
    filled = [index for index, row in enumerate(rows[:_HEADER_SEARCH]) if any(row)]
    for index in filled:
        if looks_like_header(rows[index]):
            return index
    several = [index for index in filled if len({cell for cell in rows[index] if cell}) >= 2]
    candidates = several or filled
    return candidates[0] if candidates else None


def _table(rows: Sequence[Sequence[str]], header_at: int, first_row: int, source: str,
           merges: list[Merge]) -> RawTable:
    """Cut the rows into title, header and data rows of equal width."""
    width = max((len(row) for row in rows), default=0)
    padded = [list(row) + [""] * (width - len(row)) for row in rows]
    above = [" ".join(cell for cell in dict.fromkeys(row) if cell) for row in padded[:header_at]]
    title = next((line for line in above if line), None)
    data = padded[header_at + 1:]
    while data and not any(data[-1]):
        data.pop()
    return RawTable(padded[header_at], data, first_row, title, source, merges)


def _too_many_rows() -> str:
    return f"表格超过 {MAX_ROWS} 行，不像一份任务分解表。请只保留任务所在的工作表和行后上传。"


def _cell_text(value: object) -> str:
    """A spreadsheet value as the preview shows it: dates as 2023-06-30, 3.0 as 3."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean("" if value is None else str(value))


def _clean(text: str) -> str:
    """Trim a cell; line breaks inside a cell stay (a task may have several paragraphs)."""
    lines = (re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)

