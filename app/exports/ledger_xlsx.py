"""督查台账 as .xlsx: one row per task and per milestone, styled header, frozen panes, filter."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.models import Plan
from app.services.dashboard.ledger import LedgerRow, ledger_rows

#: (header, width in characters) of each column, in order.
COLUMNS = (
    ("督办编号", 14), ("任务序号", 8), ("所属部分", 8), ("重点任务", 40), ("工作节点", 30), ("牵头单位", 16),
    ("配合单位", 20), ("完成时限", 12), ("状态", 10), ("灯号", 6), ("最新进展", 40), ("最近审核意见", 30),
)
HEADER_FILL = PatternFill("solid", fgColor="9F1C1C")
TASK_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="BFBFBF")


def build(plan: Plan, as_of: date) -> bytes:
    """The ledger of ``plan`` as of ``as_of``, as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = "督查台账"
    sheet.append([f"{plan.title} 督查台账(统计截至 {as_of.year}年{as_of.month}月{as_of.day}日)"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([header for header, _ in COLUMNS])
    for row in ledger_rows(plan.id, as_of):
        sheet.append(_cells(row))
        if row.milestone_id is None:
            for cell in sheet[sheet.max_row]:
                cell.fill, cell.font = TASK_FILL, Font(bold=True)
    _style(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(row: LedgerRow) -> list[object]:
    return [row.supervision_number or "", row.task_number, row.section, row.task_title if row.milestone_id is None else "",
            row.milestone_title or "", row.lead, row.cooperating, row.due_date, row.state, row.light,
            row.latest_progress, row.last_review]


def _style(sheet: Worksheet) -> None:
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
            if cell.row > 2:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "E3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{sheet.max_row}"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
