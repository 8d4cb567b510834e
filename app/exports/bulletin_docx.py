"""督查通报 as .docx: a dated bulletin in the usual layout (red masthead, numbered sections, signature)."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from app.exports import silent
from app.formatting import chinese_numeral
from app.models import Plan
from app.services.dashboards import lists, overview

#: The bulletin lists this many of the most overdue items; the ledger has them all.
OVERDUE_LISTED = 30
RED = RGBColor(0xC0, 0x00, 0x00)
BODY_FONT, TITLE_FONT = "仿宋", "方正小标宋简体"


def issuing_office(plan: Plan) -> str:
    """The office that issues the bulletin."""
    return f"{plan.organisation.name}督审处"


def chinese_date(day: date) -> str:
    """2023年10月9日."""
    return f"{day.year}年{day.month}月{day.day}日"


def build(plan: Plan, as_of: date, progress: Callable[[int], None] = silent) -> bytes:
    """The bulletin on ``plan`` as of ``as_of``, as .docx bytes; ``progress`` hears how far it is."""
    doc = Document()
    _masthead(doc, plan, as_of)
    _heading(doc, f"关于{plan.year}年工作要点落实情况的通报", size=18, font=TITLE_FONT)
    totals = overview.totals(plan.id, as_of)
    _para(doc, f"截至{chinese_date(as_of)},现将《{plan.title}》各项任务落实情况通报如下:", indent=True)
    _section(doc, 1, "总体进展")
    _para(doc, _overall(totals), indent=True)
    _section(doc, 2, "分部分进展")
    for number, section in enumerate(overview.section_progress(plan.id, as_of), start=1):
        _para(doc, f"({chinese_numeral(number)}){_section_line(section)}", indent=True)
    progress(40)
    _section(doc, 3, "逾期事项")
    _overdue_table(doc, lists.overdue(plan.id, as_of))
    progress(70)
    _section(doc, 4, "表扬与督促")
    _praise_and_urge(doc, overview.units_by_on_time_rate(plan.id, as_of))
    _signature(doc, plan, as_of)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _font(run: Run, name: str = BODY_FONT, size: float = 16, bold: bool = False, colour: RGBColor | None = None) -> Run:
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _para(doc: DocxDocument, text: str, indent: bool = False, align: WD_ALIGN_PARAGRAPH | None = None,
          size: float = 16) -> Paragraph:
    paragraph = doc.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(text), size=size)
    return paragraph


def _heading(doc: DocxDocument, text: str, size: float, font: str,
             colour: RGBColor | None = None) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), name=font, size=size, bold=True, colour=colour)


def _masthead(doc: DocxDocument, plan: Plan, as_of: date) -> None:
    _heading(doc, "督查通报", size=36, font=TITLE_FONT, colour=RED)
    line = doc.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(line.add_run(f"{issuing_office(plan)}        {chinese_date(as_of)}"), size=14)
    rule = doc.add_paragraph()
    _font(rule.add_run("━" * 26), size=14, colour=RED)
    rule.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _section(doc: DocxDocument, number: int, title: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    _font(paragraph.add_run(f"{chinese_numeral(number)}、{title}"), name="黑体", size=16, bold=True)


def _overall(totals: overview.Totals) -> str:
    done = f"{totals.percent_done}%" if totals.percent_done is not None else "—"
    rate = f"{totals.on_time_rate}%" if totals.on_time_rate is not None else "—"
    return (f"全年共{totals.tasks}项重点任务,已办结{totals.closed_tasks}项;分解工作节点{totals.milestones}个,"
            f"已完成{totals.approved}个,完成率{done};应完成节点{totals.due}个,按期完成{totals.on_time}个,"
            f"按期完成率{rate};逾期未完成{totals.overdue}个,七日内到期{totals.due_soon}个。")


def _section_line(section: overview.Progress) -> str:
    done = f"{section.percent_done}%" if section.percent_done is not None else "—"
    return (f"{section.name.split('、', 1)[-1]}:共{section.tasks}项任务,工作节点{section.milestones}个,"
            f"已完成{section.approved}个(完成率{done}),逾期{section.overdue}个。")


def _overdue_table(doc: DocxDocument, items: list[lists.ListedItem]) -> None:
    if not items:
        _para(doc, "截至统计日,无逾期未完成事项。", indent=True)
        return
    more = f"现列出逾期最久的{OVERDUE_LISTED}个,其余详见督查台账" if len(items) > OVERDUE_LISTED else "具体如下"
    _para(doc, f"截至统计日,共有{len(items)}个工作节点逾期未完成,{more}:", indent=True)
    table = doc.add_table(rows=1, cols=6)
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    headers = ("序号", "任务", "责任单位", "工作节点", "完成时限", "逾期天数")
    for cell, header in zip(table.rows[0].cells, headers, strict=False):
        _font(cell.paragraphs[0].add_run(header), name="黑体", size=11, bold=True)
    for number, item in enumerate(items[:OVERDUE_LISTED], start=1):
        values = (str(number), f"{item.task_number}. {item.task_title}", item.unit_name, item.title,
                  item.due_date.isoformat() if item.due_date else "", str(item.days_late))
        for cell, value in zip(table.add_row().cells, values, strict=False):
            _font(cell.paragraphs[0].add_run(value), size=11)


def _praise_and_urge(doc: DocxDocument, units: list[overview.Progress]) -> None:
    praised = [u.name for u in units if u.on_time_rate == 100.0 and u.overdue == 0]
    urged = [f"{u.name}({u.overdue}个)" for u in sorted(units, key=lambda u: -u.overdue) if u.overdue]
    _para(doc, ("对按期完成全部应完成节点的" + "、".join(praised) + "予以通报表扬。") if praised
          else "本期暂无按期完成全部应完成节点的单位。", indent=True)
    _para(doc, ("请" + "、".join(urged) + "等逾期单位抓紧推进,于五个工作日内报送整改措施。") if urged
          else "本期无逾期单位。", indent=True)


def _signature(doc: DocxDocument, plan: Plan, as_of: date) -> None:
    doc.add_paragraph()
    _para(doc, issuing_office(plan), align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, chinese_date(as_of), align=WD_ALIGN_PARAGRAPH.RIGHT)
