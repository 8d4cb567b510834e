"""Assessment scores per unit as .xlsx, from app.services.scoring.assessment (scores are never computed here)."""
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
from app.services.scoring import assessment

COLUMNS = (("名次", 6), ("单位", 18), ("牵头任务数", 10), ("配合任务数", 10), ("工作节点", 10), ("已完成", 8),
           ("逾期", 8), ("按期完成率(%)", 12), ("考核得分", 10), ("是否定稿", 10))


def build(plan: Plan, as_of: date, report: Callable[[int], None] = silent) -> bytes:
    """The assessment sheet of ``plan``: each unit's score beside its progress figures as of ``as_of``."""
    progress = {p.id: p for p in overview.unit_progress(plan.id, as_of)}
    report(20)
    book = Workbook()
    sheet = book.active
    sheet.title = "考核评分"
    sheet.append(cells.row(sheet, [header for header, _ in COLUMNS]))
    for score in assessment.unit_scores(plan.id, as_of):
        p = progress.get(score.unit_id)
        values: list[object] = [score.rank, score.unit_name, score.lead_task_count, score.cooperating_task_count,
                  p.milestones if p else 0, p.approved if p else 0, p.overdue if p else 0,
                  p.on_time_rate if p else None,
                  float(score.score) if score.score is not None else "未到考核节点", "是" if score.final else "否"]
        sheet.append(cells.row(sheet, values))
    report(90)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="9F1C1C")
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{sheet.max_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
