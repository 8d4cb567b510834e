"""Task tables (任务分解表) made in code for the tests: .xlsx with openpyxl, .docx tables with python-docx, CSV."""
from __future__ import annotations

import io
from collections.abc import Sequence

import docx
import openpyxl

HEADER = ["序号", "工作任务", "牵头单位", "配合单位", "完成时限", "工作目标"]
#: Three tasks under one section, with units of the demo directory, a spreadsheet date and deadline phrases.
ROWS: list[list[object]] = [
    ["一、优化营商环境"],
    [1, "深化商事制度改革，推进经营主体登记便利化。", "注册处", "科信处、信用处", "6月底前",
     "新增经营主体不少于50万户"],
    [2, "推进信用风险分类管理。", "信用处", "", "三季度", ""],
    [3, "开展质量提升行动，年底前完成质量比对。", "质量发展处", "计量处", None, "组织质量比对20项"],
]
TITLE = "2023年重点工作任务分解表"


def xlsx_bytes(rows: Sequence[Sequence[object]] = ROWS, header: Sequence[str] = HEADER, title: str | None = TITLE,
               merges: Sequence[str] = ()) -> bytes:
    """A workbook: an optional title row merged over the header's width, the header, then ``rows``."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
        if len(row) == 1:  # a section heading spread over the row
            sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=len(header))
    for cells in merges:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_table_bytes(rows: Sequence[Sequence[object]] = ROWS[1:], header: Sequence[str] = HEADER,
                     intro: str = "各处室、各单位:现将2023年重点工作任务分解如下。") -> bytes:
    """A Word document: a paragraph, then the task table."""
    document = docx.Document()
    document.add_paragraph(intro)
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    for column, heading in enumerate(header):
        table.cell(0, column).text = heading
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            table.cell(index, column).text = "" if value is None else str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csv_text(rows: Sequence[Sequence[object]] = ROWS[1:], header: Sequence[str] = HEADER) -> str:
    """The table as CSV (commas inside cells quoted, as Excel writes them)."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()
