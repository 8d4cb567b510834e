"""The 台账, the 通报 and the CLI: every cell and number against the scenario; LibreOffice opens each without repair."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import select

from app.exports import XLSX, bulletin_docx, jobs, ledger_xlsx
from app.extensions import db
from app.models import Plan
from app.services.scoring import assessment
from tests.conftest import login
from tests.dashboard_scenario import AS_OF, build_scenario

LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(
    LIBREOFFICE is None and os.environ.get("CI") != "true", reason="LibreOffice 未安装(CI 中必须安装)")


@pytest.fixture
def scenario(demo):
    built = build_scenario(demo)
    db.session.commit()
    return built


def convert(source: Path, target_format: str, tmp_path: Path) -> Path:
    """Convert with headless LibreOffice (its own profile, so parallel runs do not collide)."""
    assert LIBREOFFICE, "LibreOffice is required in CI"
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [LIBREOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target_format,
         "--outdir", str(tmp_path / "out"), str(source)], capture_output=True, text=True, timeout=180)
    extension = target_format.split(":")[0]
    converted = tmp_path / "out" / f"{source.stem}.{extension}"
    assert converted.exists(), result.stdout + result.stderr
    return converted


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
POINTS_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float


def pdf_pages_and_words(pdf: Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """Each page's size and every word's box, in millimetres from the top-left corner (poppler's pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    sizes, words = [], []
    for number, page in enumerate(html.split("<page ")[1:]):
        width, height = (float(v) / POINTS_PER_MM for v in re.findall(r'(?:width|height)="([\d.]+)"', page)[:2])
        sizes.append((width, height))
        for box, text in re.findall(r'<word ([^>]*)>([^<]*)</word>', page):
            x0, y0, x1, y1 = (float(v) / POINTS_PER_MM for v in re.findall(r'="([\d.]+)"', box))
            words.append(Word(number, text, x0, y0, x1, y1))
    return sizes, words


def keep_first_page_png(pdf: Path, name: str, tmp_path: Path) -> Path:
    """The first page as PNG, kept in test-artifacts/ for a person to look at."""
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(tmp_path / name)], check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    kept = ARTIFACTS / f"{name}.png"
    shutil.copyfile(next(tmp_path.glob(f"{name}-*1.png")), kept)
    return kept


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_ledger_cells(scenario):
    plan = db.session.get(Plan, scenario.plan_id)
    sheet = load_workbook(io.BytesIO(ledger_xlsx.build(plan, AS_OF))).active
    assert sheet["A1"].value == "2023年全省市场监管工作要点 督查台账(统计截至 2023年10月9日)"
    assert [c.value for c in sheet[2]] == [h for h, _ in ledger_xlsx.COLUMNS]
    assert [c.value for c in sheet[3]] == [
        "督〔2023〕1号", 1, "一", "第1项重点任务", None, "注册处", "科信处", sheet["H3"].value, "推进中",
        "红",
        "80%:第二批抽检过半(已退回)", "督审处退回:材料不全", None]
    assert sheet["H3"].value.date() == date(2023, 12, 31)
    m1b = [c.value for c in sheet[5]]
    assert m1b[4:7] == ["节点M1b", "注册处", "科信处"] and m1b[8] == "已逾期" and m1b[11] == "督审处退回:材料不全"
    assert [row[0].value for row in sheet.iter_rows(min_row=3)].count("督〔2023〕4号") == 1
    assert sheet.freeze_panes == "E3" and sheet.auto_filter.ref == "A2:M11"
    assert sheet.column_dimensions["D"].width == 40 and sheet["A2"].font.bold


def test_bulletin_text(scenario):
    plan = db.session.get(Plan, scenario.plan_id)
    text = _docx_text(bulletin_docx.build(plan, AS_OF))
    assert text.startswith("督查通报\n第1期\n湖北省市场监督管理局督审处\t2023年10月9日\n")
    assert "关于2023年全省市场监管工作要点落实情况的通报" in text
    assert "截至2023年10月9日，现将《2023年全省市场监管工作要点》各项任务落实情况通报如下：" in text
    assert "一、总体进展" in text and "二、分部分进展" in text and "三、逾期事项" in text and "四、表扬与督促" in text
    assert ("全年共4项重点任务，已办结1项；分解工作节点5个，已完成2个，完成率40%；应完成节点3个，按期完成1个，"
            "按期完成率33.3%；逾期未完成1个，七日内到期1个。") in text
    assert "（一）优化营商环境：共2项任务，工作节点5个，已完成2个（完成率40%），逾期1个。" in text
    assert "（二）强化质量安全：共2项任务，工作节点0个，已完成0个（完成率—），逾期0个。" in text
    assert "共有1个工作节点逾期未完成" in text and "节点M1b" in text and "\n9\n" in text + "\n"
    assert "本期暂无按期完成全部应完成节点的单位。" in text
    assert "注册处有1个工作节点逾期未完成，请抓紧推进，于五个工作日内报送整改措施。" in text
    assert "等逾期单位" not in text
    paragraphs = text.split("\n序号\n")[0]  # the table's cells follow the paragraphs
    assert paragraphs.rstrip().endswith(
        "湖北省市场监督管理局督审处\n2023年10月9日\n\n抄送：局领导，各责任单位。\n湖北省市场监督管理局督审处\t2023年10月9日印发")
    assert "━" not in text and not any(mark in text for mark in (",", ":", ";", "(", ")"))


def test_bulletin_urges_several_units_in_one_sentence():
    from app.services.dashboards.overview import Progress

    def unit(name: str, overdue: int) -> Progress:
        return Progress(id=0, name=name, tasks=1, milestones=3, approved=0, due=overdue, on_time=0, overdue=overdue)
    assert bulletin_docx._urge([unit("科信处", 1), unit("注册处", 2)]) == (
        "注册处、科信处分别有2个、1个工作节点逾期未完成，请以上单位抓紧推进，于五个工作日内报送整改措施。")


def test_bulletin_numbers_continue_per_organisation_and_year(scenario):
    """A new day gets the next 期号; the same day keeps its number; a new year starts again at 第1期."""
    from app.models import BulletinIssue
    from app.services.dashboards.bulletin_issues import issue_number

    plan = db.session.get(Plan, scenario.plan_id)
    assert [issue_number(plan, day) for day in (date(2023, 10, 9), date(2023, 10, 16), date(2023, 10, 9))] == [1, 2, 1]
    assert issue_number(plan, date(2024, 1, 8)) == 1
    assert "\n第3期\n" in _docx_text(bulletin_docx.build(plan, date(2023, 11, 1)))
    assert db.session.query(BulletinIssue).filter_by(plan_id=plan.id).count() == 4


def test_bulletin_is_a4_per_gbt_9704_with_a_red_rule_and_sized_columns(scenario):
    from docx.shared import Mm

    doc = Document(io.BytesIO(bulletin_docx.build(db.session.get(Plan, scenario.plan_id), AS_OF)))
    section = doc.sections[0]
    def mm(length: int) -> float:  # stored in twips: within a tenth of a millimetre
        return round(length / Mm(1), 1)
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.left_margin)) == (37, 28)
    assert mm(section.page_width - section.left_margin - section.right_margin) == 156
    assert mm(section.page_height - section.top_margin - section.bottom_margin) == 225
    rule = doc.paragraphs[2]._p.find(".//{*}pBdr/{*}bottom")
    assert rule is not None and rule.get(qn("w:color")) == "C00000"
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert title.runs[0].font.size.pt == 22 and title.runs[0].font.name == bulletin_docx.TITLE_FONT
    body = next(p for p in doc.paragraphs if p.text.startswith("截至"))
    assert body.runs[0].font.size.pt == 16 and "仿宋" in body.runs[0].font.name
    widths = [column.width for column in doc.tables[0].columns]
    assert abs(sum(widths) - Mm(156)) < Mm(1)
    task, unit, milestone = widths[1], widths[2], widths[3]
    assert task > milestone > unit and widths[0] < unit  # the task title takes the room, 序号 the least


def test_cli_writes_the_same_documents(app, scenario, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["export", "ledger", "--plan", str(scenario.plan_id), "--as-of", "2023-10-09",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = db.session.get(Plan, scenario.plan_id)
    cli_rows = [[c.value for c in row] for row in load_workbook(out).active.iter_rows()]
    sheet = load_workbook(io.BytesIO(ledger_xlsx.build(plan, AS_OF))).active
    web_rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cli_rows == web_rows
    missing = runner.invoke(args=["export", "bulletin", "--plan", "999999", "--out", str(tmp_path / "x.docx")])
    assert missing.exit_code != 0 and "找不到编号为 999999 的工作计划" in missing.output


@needs_libreoffice
def test_libreoffice_opens_the_ledger_and_reads_its_numbers(app, scenario, tmp_path):
    source = tmp_path / "督查台账.xlsx"
    source.write_bytes(ledger_xlsx.build(db.session.get(Plan, scenario.plan_id), AS_OF))
    assert convert(source, "pdf", tmp_path).read_bytes().startswith(b"%PDF")
    csv = convert(source, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path).read_text("utf-8")
    assert "督〔2023〕1号" in csv and "节点M1b" in csv and "督审处退回:材料不全" in csv


def test_ledger_is_set_up_to_print_and_colours_its_lights(scenario):
    sheet = load_workbook(io.BytesIO(ledger_xlsx.build(db.session.get(Plan, scenario.plan_id), AS_OF))).active
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == 9 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0)  # 1 wide is the default, left out
    assert sheet.print_title_rows == "$2:$2"
    red = sheet["J3"]
    assert red.value == "红" and red.fill.fgColor.rgb.endswith("FFC7CE") and red.font.color.rgb.endswith("9C0006")
    task_title = sheet["D3"].value  # a wrapped cell makes its row taller than a one-line row
    assert sheet.row_dimensions[3].height == ledger_xlsx.row_height([task_title] + [""] * 12) >= 17


@needs_libreoffice
def test_ledger_prints_one_page_wide(app, scenario, tmp_path):
    """All thirteen columns on one landscape A4 page (without fit-to-width they take two)."""
    source = tmp_path / "督查台账.xlsx"
    source.write_bytes(ledger_xlsx.build(db.session.get(Plan, scenario.plan_id), AS_OF))
    pdf = convert(source, "pdf", tmp_path)
    assert keep_first_page_png(pdf, "ledger-first-page", tmp_path).stat().st_size > 0
    sizes, words = pdf_pages_and_words(pdf)
    assert len(sizes) == 1 and abs(sizes[0][0] - 297) < 0.5 and abs(sizes[0][1] - 210) < 0.5
    text = "".join(w.text for w in words)
    assert "督办编号" in text and "最近审核意见" in text
    assert max(w.right for w in words) < 297


@needs_libreoffice
def test_libreoffice_opens_the_bulletin_and_reads_its_numbers(app, scenario, tmp_path):
    source = tmp_path / "督查通报.docx"
    source.write_bytes(bulletin_docx.build(db.session.get(Plan, scenario.plan_id), AS_OF))
    assert convert(source, "pdf", tmp_path).read_bytes().startswith(b"%PDF")
    text = convert(source, "txt:Text (encoded):UTF8", tmp_path).read_text("utf-8-sig")
    assert "督查通报" in text and "已完成2个，完成率40%" in text and "按期完成率33.3%" in text


@needs_libreoffice
def test_bulletin_renders_as_a4_within_its_margins(app, scenario, tmp_path):
    """LibreOffice's PDF: A4 pages; the text starts at the 37 mm / 28 mm margins and no line leaves the 版心."""
    source = tmp_path / "督查通报.docx"
    source.write_bytes(bulletin_docx.build(db.session.get(Plan, scenario.plan_id), AS_OF))
    pdf = convert(source, "pdf", tmp_path)
    assert keep_first_page_png(pdf, "bulletin-first-page", tmp_path).stat().st_size > 0
    sizes, words = pdf_pages_and_words(pdf)
    assert sizes and all(abs(w - 210) < 0.5 and abs(h - 297) < 0.5 for w, h in sizes)
    outside = [w for w in words if w.left < 28 - 0.5 or w.right > 28 + 156 + 0.5
               or w.top < 37 - 1 or w.bottom > 37 + 225 + 1]
    assert outside == []
    first = [w for w in words if w.page == 0]
    assert abs(min(w.left for w in first) - 28) < 2  # 发文机关 and the table start at the left margin
    assert max(w.right for w in first) > 28 + 156 - 2  # the date ends at the right one
    assert min(w.top for w in first) < 37 + 12  # the 发文机关标志 opens the 版心
    assert "第1期" in "".join(w.text for w in first)


def test_assessment_sheet_matches_the_scores_and_the_dashboard(scenario):
    from app.exports import assessment_xlsx
    from app.services.scoring import assessment

    sheet = load_workbook(io.BytesIO(assessment_xlsx.build(db.session.get(Plan, scenario.plan_id), AS_OF))).active
    assert sheet["A1"].value == "2023年全省市场监管工作要点 考核评分（统计截至2023年10月9日）"
    assert sheet["A2"].value == "名次" and sheet["B2"].value == "并列" and sheet.freeze_panes == "D3"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    scores = assessment.unit_scores(scenario.plan_id, AS_OF)
    assert [(r[2], r[3], r[4], r[9]) for r in rows] == [
        (s.unit_name, s.lead_task_count, s.cooperating_task_count, float(s.score)) for s in scores]
    assert [r[9] for r in rows] == sorted((r[9] for r in rows), reverse=True) and rows[0][0] == 1
    zhuce = next(r for r in rows if r[2] == "注册处")
    assert zhuce[5:9] == (4, 1, 1, 50.0)


def _appeals_on(scenario) -> None:
    """Three appeals of 注册处 on the scenario's first task: accepted by AS_OF, decided after it, filed after it."""
    from app.models import Appeal, AppealStatus, User

    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    dushen = db.session.scalar(select(User).where(User.username == "dushen"))
    task_id = scenario.task_ids[0]

    def appeal(event_id: int, reason: str, filed: datetime, status: AppealStatus, decided: datetime | None,
               points: str | None, note: str | None) -> Appeal:
        return Appeal(plan_task_id=task_id, unit_id=scenario.zhuce_id, category="returns", event_kind="work_item",
                      event_id=event_id, line_points=Decimal(-2), line_text="进展报送被督审处审核退回一次,扣 2 分",
                      reason=reason, filed_by_id=zhuce.id, filed_at=filed, status=status,
                      decided_by_id=dushen.id if decided else None, decided_at=decided,
                      adjusted_points=Decimal(points) if points else None, decision_note=note)
    db.session.add_all([
        appeal(1, "=退回系系统原因", datetime(2023, 10, 8, 2, tzinfo=UTC), AppealStatus.ACCEPTED,
               datetime(2023, 10, 9, 3, tzinfo=UTC), "0", "经核实属实"),
        appeal(2, "材料已按时报送", datetime(2023, 10, 9, 4, tzinfo=UTC), AppealStatus.REJECTED,
               datetime(2023, 10, 20, 2, tzinfo=UTC), None, "退回理由成立"),
        appeal(3, "统计日之后提出", datetime(2023, 10, 12, 2, tzinfo=UTC), AppealStatus.OPEN, None, None, None)])
    db.session.commit()


def test_assessment_sheet_lists_the_appeals_as_they_stood_on_the_day(scenario):
    from app.exports import assessment_xlsx

    plan = db.session.get(Plan, scenario.plan_id)
    empty = load_workbook(io.BytesIO(assessment_xlsx.build(plan, AS_OF)))["申诉情况"]
    assert empty["A3"].value == "截至统计日无评分申诉。"
    _appeals_on(scenario)
    book = load_workbook(io.BytesIO(assessment_xlsx.build(plan, AS_OF)))
    assert book.sheetnames == ["考核评分", "申诉情况"] and book.active.title == "考核评分"
    sheet = book["申诉情况"]
    assert sheet["A1"].value == "2023年全省市场监管工作要点 评分申诉情况（统计截至2023年10月9日）"
    assert [c.value for c in sheet[2]] == ["单位", "任务", "得分明细", "申诉理由", "状态", "处理结果", "处理日期"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 2  # the appeal filed after the day is not listed
    accepted, waiting = rows
    assert accepted[0] == "注册处" and accepted[2] == "进展报送被督审处审核退回一次,扣 2 分（-2 分）"
    assert accepted[3] == "=退回系系统原因" and sheet["D3"].data_type == "s"  # text stays text
    assert accepted[4:6] == ("已采纳", "该条按 0 分计(调整 +2 分)。意见:经核实属实")
    assert accepted[6].date() == date(2023, 10, 9) and sheet["G3"].number_format == "yyyy-mm-dd"
    assert waiting[3:] == ("材料已按时报送", "待处理", None, None)  # decided after the day
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == 9 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$2" and sheet["A2"].fill.fgColor.rgb.endswith("9F1C1C")


@needs_libreoffice
def test_libreoffice_prints_the_appeals_one_page_wide(app, scenario, tmp_path):
    from app.exports import assessment_xlsx

    _appeals_on(scenario)
    source = tmp_path / "考核评分.xlsx"
    source.write_bytes(assessment_xlsx.build(db.session.get(Plan, scenario.plan_id), AS_OF))
    pdf = convert(source, "pdf", tmp_path)
    sizes, words = pdf_pages_and_words(pdf)
    assert len(sizes) == 2 and all(abs(w - 297) < 0.5 and abs(h - 210) < 0.5 for w, h in sizes)
    second = "".join(w.text for w in words if w.page == 1)
    assert "评分申诉情况" in second and "退回理由成立" not in second and "处理日期" in second
    assert max(w.right for w in words if w.page == 1) < 297


def test_assessment_sheet_marks_a_shared_rank_tied():
    from app.exports.assessment_xlsx import shared_ranks
    from app.services.scoring.assessment import UnitScore

    scores = [UnitScore(n, f"单位{n}", None, 1, 0, False, rank) for n, rank in enumerate([1, 1, 3, 4, 4, 6, None])]
    assert shared_ranks(scores) == {1, 4}
    assert shared_ranks([]) == set()


def test_bulletin_commends_units_that_delivered_everything_on_time(scenario):
    text = _docx_text(bulletin_docx.build(db.session.get(Plan, scenario.plan_id), date(2023, 7, 4)))
    assert "对按期完成全部应完成节点的注册处予以通报表扬。" in text and "本期无逾期单位。" in text
    assert "截至统计日，无逾期未完成事项。" in text and "2023年7月4日" in text


def test_ledger_styles_each_line(scenario):
    """Task lines bold on grey, milestone lines plain; every body cell bordered, wrapped; dates as dates."""
    plan = db.session.get(Plan, scenario.plan_id)
    sheet = load_workbook(io.BytesIO(ledger_xlsx.build(plan, AS_OF))).active
    task, milestone = sheet[3], sheet[4]
    light = ledger_xlsx.LIGHT_COLUMN  # coloured by its light (test_ledger_is_set_up_to_print_and_colours_its_lights)
    task_cells, milestone_cells = task[:light] + task[light + 1:], milestone[:light] + milestone[light + 1:]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("F2F2F2") for c in task_cells)
    assert not any(c.font.bold for c in milestone_cells) and all(c.fill.fill_type is None for c in milestone_cells)
    assert all(c.border.left.style == "thin" and c.alignment.wrap_text for c in (*task, *milestone))
    assert task[7].number_format == milestone[7].number_format == "yyyy-mm-dd"
    assert task[0].number_format == "General"


def _until_ready(client, url: str, seconds: float = 120.0) -> str:
    """The job page once it offers the file (it refreshes itself every 2 s meanwhile)."""
    waited = 0.0
    while waited < seconds:
        page = client.get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if "文件已生成" in html:
            return html
        assert "生成失败" not in html and "请重新生成" not in html, html
        assert 'http-equiv="refresh"' in html and "生成进度" in html
        time.sleep(0.2)
        waited += 0.2
    raise AssertionError("the document was not ready in time")


def test_a_large_plans_ledger_is_prepared_in_the_background(app, signed_in, scenario, monkeypatch):
    monkeypatch.setattr(jobs, "DIRECT_TASKS", 0)  # the scenario's plan counts as large
    client = signed_in("dushen")
    response = client.get(f"/dashboards/export/ledger?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    html = _until_ready(client, job_url)
    assert "下载" in html
    other = app.test_client()
    assert login(other, "leader").status_code == 302
    assert other.get(job_url).status_code == 403 and other.get(job_url + "/file").status_code == 403
    download = client.get(job_url + "/file")
    assert download.status_code == 200 and download.mimetype == XLSX
    assert "attachment" in download.headers["Content-Disposition"]
    direct = ledger_xlsx.build(db.session.get(Plan, scenario.plan_id), AS_OF)
    prepared, expected = (load_workbook(io.BytesIO(data)).active for data in (download.data, direct))
    assert [[c.value for c in row] for row in prepared.iter_rows()] == \
        [[c.value for c in row] for row in expected.iter_rows()]


def test_a_failed_job_says_so_and_offers_to_try_again(app, signed_in, scenario, monkeypatch):
    monkeypatch.setattr(jobs, "DIRECT_TASKS", 0)

    def broken(plan, as_of, progress):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulletin_docx, "build", broken)
    client = signed_in("dushen")
    job_url = client.get(f"/dashboards/export/bulletin?plan_id={scenario.plan_id}").headers["Location"]
    for _ in range(600):
        html = client.get(job_url).get_data(as_text=True)
        if "请重新生成" in html:
            break
        time.sleep(0.1)
    assert "生成文件时出错" in html and "重新生成" in html
    assert client.get(job_url + "/file").status_code == 404


def test_a_large_plans_assessment_is_computed_in_the_background(app, signed_in, scenario, monkeypatch):
    monkeypatch.setattr(jobs, "DIRECT_TASKS", 0)
    client = signed_in("leader")
    url = f"/plans/{scenario.plan_id}/assessment"
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    for _ in range(600):
        html = client.get(url).get_data(as_text=True)
        if 'data-testid="computed-at"' in html:
            break
        assert "计算中" in html and 'http-equiv="refresh"' in html
        time.sleep(0.1)
    expected = assessment.unit_scores(scenario.plan_id)
    assert expected and [s.unit_name for s in expected] == re.findall(r'/assessment/units/\d+[^"]*">([^<]+)</a>', html)
    assert client.get(url + "?refresh=1").status_code == 302  # asks for a fresh computation
