"""督查通报 as .docx, laid out per GB/T 9704 (党政机关公文格式) so it can be sent as it is.

A4 with the 版心 of 156 × 225 mm (top margin 37 mm, left 28 mm); 版头 with the 发文机关标志, 期号 (第N期, numbered
per organisation and year), 发文机关 and date above a red rule; the title in 2号小标宋, the body in 3号仿宋 at
22 lines a page; 版记 with 抄送 and 印发 lines at the end. Fonts are named as recipients' Word has them
(方正小标宋简体, 仿宋_GB2312, 黑体); a machine without them substitutes its own CJK font when rendering.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from app.exports import silent
from app.exports.cells import display_width
from app.formatting import chinese_numeral, percent_text
from app.models import Plan
from app.services.dashboards import bulletin_issues, lists, overview
from app.services.plans.plan_scope import Scope, as_scope, source_labels

#: The bulletin lists this many of the most overdue items; the ledger has them all.
OVERDUE_LISTED = 30
RED = RGBColor(0xC0, 0x00, 0x00)
TITLE_FONT, BODY_FONT, HEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"
#: Chinese type sizes in points: 初号, 2号 (title), 3号 (body), 4号 (版记), 5号 (table).
SIZE_MASTHEAD, SIZE_TITLE, SIZE_BODY, SIZE_RECORD, SIZE_TABLE = 42, 22, 16, 14, 10.5
#: GB/T 9704: A4, 版心 156 × 225 mm, 37 mm from the top edge and 28 mm from the left.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
TEXT_WIDTH, TEXT_HEIGHT = Mm(156), Mm(225)
MARGIN_TOP, MARGIN_LEFT = Mm(37), Mm(28)
#: 22 lines of body text fill the 225 mm 版心.
LINE_PITCH = Pt(225 / 22 * 72 / 25.4)
#: Word's default cell padding, left plus right.
CELL_PADDING_MM = 3.8
#: Columns of the overdue table that take the width their longest value needs (up to a cap); the others share the rest.
NARROW_COLUMNS_CAP_MM = 36


def issuing_office(scope: Scope) -> str:
    """The office that issues the bulletin."""
    return f"{scope.organisation.name}督审处"


def chinese_date(day: date) -> str:
    """2023年10月9日."""
    return f"{day.year}年{day.month}月{day.day}日"


def build(subject: Plan | Scope, as_of: date, progress: Callable[[int], None] = silent) -> bytes:
    """The bulletin on a plan, or on the plans and items of a scope, as of ``as_of``, as .docx bytes; gives it
    the next 期号 of its year the first time; ``progress`` hears how far it is."""
    scope = as_scope(subject)
    plan_ids = scope.plan_ids
    doc = Document()
    _page_and_body_style(doc)
    # 期号 are kept per plan: a bulletin over several plans and items takes the number of the first it covers.
    _masthead(doc, scope, as_of, bulletin_issues.issue_number(scope.plan or scope.plans[0], as_of))
    if scope.plan is not None and not scope.plan.kind.is_item:
        _title(doc, f"关于{scope.plan.title}落实情况的通报")
        covered = f"《{scope.title}》"
    else:
        _title(doc, f"关于{scope.year}年督办事项落实情况的通报")
        covered = f"{scope.label}（{'、'.join(_covered(scope))}）"
    _para(doc, f"截至{chinese_date(as_of)}，现将{covered}各项任务落实情况通报如下：", indent=True)
    _section(doc, 1, "总体进展")
    _para(doc, _overall(overview.totals(plan_ids, as_of)), indent=True)
    _section(doc, 2, "分部分进展")
    for number, section in enumerate(overview.section_progress(plan_ids, as_of), start=1):
        _para(doc, f"（{chinese_numeral(number)}）{_section_line(section)}", indent=True)
    progress(40)
    _section(doc, 3, "逾期事项")
    _overdue_table(doc, lists.overdue(plan_ids, as_of), source_labels(scope) if scope.several else None)
    progress(70)
    _section(doc, 4, "表扬与督促")
    units = overview.units_by_on_time_rate(plan_ids, as_of)
    _para(doc, _praise(units), indent=True)
    _para(doc, _urge(units), indent=True)
    _signature(doc, scope, as_of)
    _record(doc, scope, as_of)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _covered(scope: Scope) -> list[str]:
    """What a bulletin on several plans and items covers: each plan's title, then items counted by source."""
    plans = [f"《{plan.title}》" for plan in scope.plans if not plan.kind.is_item]
    sources: dict[str, int] = {}
    for plan in scope.plans:
        if plan.kind.is_item:
            sources[plan.kind.label] = sources.get(plan.kind.label, 0) + 1
    return plans + [f"{label}{count}件" for label, count in sources.items()]


def _page_and_body_style(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.left_margin = MARGIN_TOP, MARGIN_LEFT
    section.right_margin = Length(PAGE_WIDTH - MARGIN_LEFT - TEXT_WIDTH)
    section.bottom_margin = Length(PAGE_HEIGHT - MARGIN_TOP - TEXT_HEIGHT)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(SIZE_BODY)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH


def _font(run: Run, name: str = BODY_FONT, size: float = SIZE_BODY, colour: RGBColor | None = None) -> Run:
    run.font.name, run.font.size = name, Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _border(paragraph: Paragraph, side: str, eighths_of_point: int, colour: str = "000000") -> None:
    """A rule along one side of the paragraph, as wide as the 版心 (added before any other paragraph property)."""
    borders = paragraph._p.get_or_add_pPr().find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        paragraph._p.get_or_add_pPr().append(borders)
    rule = OxmlElement(f"w:{side}")
    for key, value in (("val", "single"), ("sz", str(eighths_of_point)), ("space", "1"), ("color", colour)):
        rule.set(qn(f"w:{key}"), value)
    borders.append(rule)


def _para(doc: DocxDocument, text: str, indent: bool = False, align: WD_ALIGN_PARAGRAPH | None = None,
          font: str = BODY_FONT, size: float = SIZE_BODY) -> Paragraph:
    paragraph = doc.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), name=font, size=size)
    return paragraph


def _spread(doc: DocxDocument, left: str, right: str, size: float, borders: tuple[tuple[str, int, str], ...]) -> None:
    """One line with ``left`` at the left edge and ``right`` at the right edge of the 版心, ruled as asked."""
    paragraph = doc.add_paragraph()
    for side, width, colour in borders:
        _border(paragraph, side, width, colour)
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _font(paragraph.add_run(f"{left}\t{right}"), size=size)


def _masthead(doc: DocxDocument, scope: Scope, as_of: date, number: int) -> None:
    """版头: 发文机关标志 in red, 期号, then 发文机关 and date above the red rule."""
    mark = _para(doc, "督查通报", align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=SIZE_MASTHEAD)
    mark.runs[0].font.color.rgb = RED
    mark.paragraph_format.line_spacing = Pt(SIZE_MASTHEAD * 1.4)
    mark.paragraph_format.space_after = Pt(SIZE_BODY)
    _para(doc, f"第{number}期", align=WD_ALIGN_PARAGRAPH.CENTER)
    _spread(doc, issuing_office(scope), chinese_date(as_of), SIZE_BODY, (("bottom", 12, "C00000"),))
    doc.add_paragraph()


def _title(doc: DocxDocument, text: str) -> None:
    title = _para(doc, text, align=WD_ALIGN_PARAGRAPH.CENTER, font=TITLE_FONT, size=SIZE_TITLE)
    title.paragraph_format.line_spacing = Pt(SIZE_TITLE * 1.5)
    doc.add_paragraph()


def _section(doc: DocxDocument, number: int, title: str) -> None:
    _para(doc, f"{chinese_numeral(number)}、{title}", indent=True, font=HEADING_FONT)


def _overall(totals: overview.Totals) -> str:
    done, rate = percent_text(totals.percent_done), percent_text(totals.on_time_rate)
    return (f"全年共{totals.tasks}项重点任务，已办结{totals.closed_tasks}项；分解工作节点{totals.milestones}个，"
            f"已完成{totals.approved}个，完成率{done}；应完成节点{totals.due}个，按期完成{totals.on_time}个，"
            f"按期完成率{rate}；逾期未完成{totals.overdue}个，七日内到期{totals.due_soon}个。")


def _section_line(section: overview.Progress) -> str:
    done = percent_text(section.percent_done)
    return (f"{section.name.split('、', 1)[-1]}：共{section.tasks}项任务，工作节点{section.milestones}个，"
            f"已完成{section.approved}个（完成率{done}），逾期{section.overdue}个。")


def _praise(units: list[overview.Progress]) -> str:
    praised = [u.name for u in units if u.on_time_rate == 100.0 and u.overdue == 0]
    if not praised:
        return "本期暂无按期完成全部应完成节点的单位。"
    return f"对按期完成全部应完成节点的{'、'.join(praised)}予以通报表扬。"


def _urge(units: list[overview.Progress]) -> str:
    late = sorted((u for u in units if u.overdue), key=lambda u: -u.overdue)
    deadline = "于五个工作日内报送整改措施。"
    if not late:
        return "本期无逾期单位。"
    if len(late) == 1:
        return f"{late[0].name}有{late[0].overdue}个工作节点逾期未完成，请抓紧推进，{deadline}"
    names, counts = "、".join(u.name for u in late), "、".join(f"{u.overdue}个" for u in late)
    return f"{names}分别有{counts}工作节点逾期未完成，请以上单位抓紧推进，{deadline}"


def _overdue_table(doc: DocxDocument, items: list[lists.ListedItem], sources: dict[int, str] | None) -> None:
    """The overdue milestones; covering several plans, each task is named by its 督办编号 and source."""
    if not items:
        _para(doc, "截至统计日，无逾期未完成事项。", indent=True)
        return
    more = f"现列出逾期最久的{OVERDUE_LISTED}个，其余详见督查台账" if len(items) > OVERDUE_LISTED else "具体如下"
    _para(doc, f"截至统计日，共有{len(items)}个工作节点逾期未完成，{more}：", indent=True)
    headers = ("序号", "任务", "责任单位", "工作节点", "完成时限", "逾期天数")
    rows = [(str(number), f"{item.task_number}. {item.task_title}" if sources is None else
             f"{item.supervision_number} {item.task_title}（{sources.get(item.plan_id or 0, '')}）", item.unit_name,
             item.title, item.due_date.isoformat() if item.due_date else "", str(item.days_late))
            for number, item in enumerate(items[:OVERDUE_LISTED], start=1)]
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
    for line, values in zip(table.rows, [headers, *rows], strict=True):
        for cell, value in zip(line.cells, values, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if values is headers else None
            _font(paragraph.add_run(value), name=HEADING_FONT if values is headers else BODY_FONT, size=SIZE_TABLE)
    _size_columns(table, column_widths_mm([headers, *rows], wide=(1, 3)))


def column_widths_mm(lines: list[tuple[str, ...]], wide: tuple[int, ...]) -> list[float]:
    """Column widths filling the 版心: each narrow column as wide as its longest value (up to a cap), the ``wide``
    columns (long titles) sharing what is left in proportion to their longest values."""
    half_char_mm = SIZE_TABLE / 2 * 25.4 / 72
    natural = [max(display_width(line[column]) for line in lines) * half_char_mm + CELL_PADDING_MM
               for column in range(len(lines[0]))]
    widths = [width if column in wide else min(width, NARROW_COLUMNS_CAP_MM) for column, width in enumerate(natural)]
    left = TEXT_WIDTH.mm - sum(width for column, width in enumerate(widths) if column not in wide)
    wanted = sum(natural[column] for column in wide)
    for column in wide:
        widths[column] = left * natural[column] / wanted
    return widths


def _size_columns(table: Table, widths_mm: list[float]) -> None:
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def _signature(doc: DocxDocument, scope: Scope, as_of: date) -> None:
    doc.add_paragraph()
    for text in (issuing_office(scope), chinese_date(as_of)):
        paragraph = _para(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph.paragraph_format.right_indent = Pt(SIZE_BODY * 4)
    doc.add_paragraph()


def _record(doc: DocxDocument, scope: Scope, as_of: date) -> None:
    """版记: 抄送 between two rules, then 印发机关 and 印发日期 above the closing rule."""
    copy = doc.add_paragraph()
    _border(copy, "top", 8, "000000")
    _border(copy, "bottom", 4, "000000")
    copy.paragraph_format.left_indent = copy.paragraph_format.right_indent = Pt(SIZE_RECORD)
    _font(copy.add_run("抄送：局领导，各责任单位。"), size=SIZE_RECORD)
    _spread(doc, issuing_office(scope), f"{chinese_date(as_of)}印发", SIZE_RECORD,
            (("bottom", 8, "000000"),))
