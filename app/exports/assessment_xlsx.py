"""Assessment scores per unit as .xlsx, from app.services.scoring.assessment (scores are never computed here).

A title row names the plan and the statistics day; units are listed best first with their 名次, equal standing
sharing one (1, 1, 3) and marked 并列, then those with nothing due yet (未到考核节点), unranked.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.exports import cells, silent
from app.models import Plan
from app.services.dashboards import overview
from app.services.plans.plan_scope import Scope, as_scope
from app.services.scoring import assessment

COLUMNS = (("名次", 6), ("并列", 6), ("单位", 18), ("牵头任务数", 10), ("配合任务数", 10), ("工作节点", 10),
           ("已完成", 8), ("逾期", 8), ("按期完成率(%)", 12), ("考核得分", 10), ("是否定稿", 10))


def build(subject: Plan | Scope, as_of: date, report: Callable[[int], None] = silent) -> bytes:
    """The assessment sheet of a plan or a scope: each unit's score beside its progress figures as of ``as_of``."""
    scope = as_scope(subject)
    plan_ids = scope.plan_ids
    progress = {p.id: p for p in overview.unit_progress(plan_ids, as_of)}
    report(20)
    book = Workbook()
    sheet = book.active
    sheet.title = "考核评分"
    sheet.append(cells.row(sheet, [f"{scope.title} 考核评分（统计截至{as_of.year}年{as_of.month}月{as_of.day}日）"]))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(cells.row(sheet, [header for header, _ in COLUMNS]))
    scores = assessment.unit_scores(plan_ids, as_of)
    shared = shared_ranks(scores)
    for score in scores:
        p = progress.get(score.unit_id)
        values: list[object] = [
            score.rank, "并列" if score.rank in shared else "", score.unit_name, score.lead_task_count,
            score.cooperating_task_count, p.milestones if p else 0, p.approved if p else 0, p.overdue if p else 0,
            p.on_time_rate if p else None, float(score.score) if score.score is not None else "未到考核节点",
            "是" if score.final else "否"]
        sheet.append(cells.row(sheet, values))
    report(90)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="9F1C1C")
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "D3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{sheet.max_row}"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shared_ranks(scores: list[assessment.UnitScore]) -> set[int]:
    """The 名次 more than one unit holds (并列); the ranks themselves come from ``assessment.unit_scores``."""
    ranks = [s.rank for s in scores if s.rank is not None]
    return {rank for rank in ranks if ranks.count(rank) > 1}
