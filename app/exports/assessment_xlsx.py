"""Assessment scores per unit as .xlsx, from app.services.scoring.assessment (scores are never computed here).

A title row names the plan and the statistics day; units are listed best first with their 名次, equal standing
sharing one (1, 1, 3) and marked 并列, then those with nothing due yet (未到考核节点), unranked. A second
sheet lists the appeals filed by that day, each as it stood then (a later decision still shows 待处理).
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.exports import cells, silent
from app.models import Appeal, Plan
from app.services.dashboards import overview
from app.services.plans.plan_scope import PlanIds, Scope, as_scope
from app.services.scoring import appeals, assessment
from app.services.scoring.evaluation import num
from app.services.scoring.evaluation_events import beijing_date

COLUMNS = (("名次", 6), ("并列", 6), ("单位", 18), ("牵头任务数", 10), ("配合任务数", 10), ("工作节点", 10),
           ("已完成", 8), ("逾期", 8), ("按期完成率(%)", 12), ("考核得分", 10), ("是否定稿", 10))
APPEAL_COLUMNS = (("单位", 14), ("任务", 30), ("得分明细", 34), ("申诉理由", 34), ("状态", 8), ("处理结果", 34),
                  ("处理日期", 12))


def build(subject: Plan | Scope, as_of: date, report: Callable[[int], None] = silent) -> bytes:
    """The assessment sheet of a plan or a scope: each unit's score beside its progress figures as of ``as_of``."""
    scope = as_scope(subject)
    plan_ids = scope.plan_ids
    progress = {p.id: p for p in overview.unit_progress(plan_ids, as_of)}
    report(20)
    book = Workbook()
    sheet = book.active
    sheet.title = "考核评分"
    _title(sheet, f"{scope.title} 考核评分（统计截至{as_of.year}年{as_of.month}月{as_of.day}日）", COLUMNS)
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
    report(80)
    _print_ready(sheet, COLUMNS, "D3")
    _appeals_sheet(book.create_sheet("申诉情况"), scope.title, plan_ids, as_of)
    report(90)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _appeals_sheet(sheet: Worksheet, title: str, plan_ids: PlanIds, as_of: date) -> None:
    """The appeals on the scope's tasks filed by ``as_of``, as they stood at the end of that day."""
    _title(sheet, f"{title} 评分申诉情况（统计截至{as_of.year}年{as_of.month}月{as_of.day}日）", APPEAL_COLUMNS)
    found = appeals.filed_by(plan_ids, assessment.moment_of(as_of))
    for then in found:
        appeal = then.appeal
        sheet.append(cells.row(sheet, [
            appeal.unit.name, f"{appeal.task.supervision_number or ''} {appeal.task.title}".strip(),
            f"{appeal.line_text}（{num(appeal.line_points)} 分）", appeal.reason, then.status.label,
            _decision(appeal) if then.decided else "",
            beijing_date(appeal.decided_at) if then.decided and appeal.decided_at else None]))
        sheet.cell(sheet.max_row, len(APPEAL_COLUMNS)).number_format = "yyyy-mm-dd"
    if not found:
        sheet.append(cells.row(sheet, ["截至统计日无评分申诉。"]))
    for line in sheet.iter_rows(min_row=3):
        for cell in line:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    _print_ready(sheet, APPEAL_COLUMNS, "C3")


def _decision(appeal: Appeal) -> str:
    """What 督审处 decided, in the words the appeal page uses."""
    note = f"意见:{appeal.decision_note}" if appeal.decision_note else ""
    if appeal.adjusted_points is None:
        return note
    change = appeal.adjusted_points - appeal.line_points
    return f"该条按 {num(appeal.adjusted_points)} 分计(调整 {'+' if change > 0 else ''}{num(change)} 分)。{note}"


def _title(sheet: Worksheet, text: str, columns: tuple[tuple[str, int], ...]) -> None:
    """The title row over the whole width, then the header row."""
    sheet.append(cells.row(sheet, [text]))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(cells.row(sheet, [header for header, _ in columns]))


def _print_ready(sheet: Worksheet, columns: tuple[tuple[str, int], ...], freeze: str) -> None:
    """Widths, the styled header repeated on every page, a filter, landscape A4 one page wide."""
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="9F1C1C")
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{sheet.max_row}"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation, sheet.page_setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def shared_ranks(scores: list[assessment.UnitScore]) -> set[int]:
    """The 名次 more than one unit holds (并列); the ranks themselves come from ``assessment.unit_scores``."""
    ranks = [s.rank for s in scores if s.rank is not None]
    return {rank for rank in ranks if ranks.count(rank) > 1}
