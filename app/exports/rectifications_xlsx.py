"""整改台账 as .xlsx: every rectification of the list being looked at, one row each, ready to filter and print."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.exports import cells
from app.models import Rectification
from app.services.scoring.evaluation_events import beijing_date

COLUMNS = (("序号", 6), ("重点任务", 30), ("工作节点", 22), ("责任单位", 14), ("问题来源", 10), ("存在问题", 36),
           ("整改要求", 30), ("整改期限", 12), ("状态", 12), ("发起日期", 12), ("办结日期", 12))


def build(rectifications: list[Rectification], title: str, day: date) -> bytes:
    """The 整改台账 of ``rectifications`` (newest first, as listed), titled ``title`` as of ``day``."""
    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    sheet.append(cells.row(sheet, [f"{title}（导出日期{day.year}年{day.month}月{day.day}日）"]))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(cells.row(sheet, [header for header, _ in COLUMNS]))
    for number, found in enumerate(rectifications, start=1):
        problems = "\n".join(f"{index}. {problem.text}" for index, problem in enumerate(found.problems, start=1))
        sheet.append(cells.row(sheet, [
            number, found.task.title, found.milestone.title if found.milestone else "（整个任务）", found.unit.name,
            found.source.label, problems, found.requirement, found.due_date, found.status.label,
            beijing_date(found.opened_at), beijing_date(found.closed_at) if found.closed_at else None]))
    _layout(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _layout(sheet: Worksheet) -> None:
    """Widths, wrapped top-aligned cells, frozen header, filter; A4 landscape one page wide, header on every page."""
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="9F1C1C")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.freeze_panes = "C3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, 2)}"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
