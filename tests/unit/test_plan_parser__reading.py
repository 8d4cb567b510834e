"""Bytes to text: encodings, .docx, and every kind of bad input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from app.plan_parser import DocumentError, parse_document, read_document

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
SAMPLE = "一、工作任务\n1.推进市场主体登记便利化，新增市场主体10万户。（注册处牵头，科信处分工负责）\n"


@pytest.mark.parametrize("encode", [
    lambda s: s.encode("utf-8"),
    lambda s: s.encode("utf-8-sig"),
    lambda s: s.encode("gb18030"),
    lambda s: s.encode("gbk"),
    lambda s: s.encode("utf-16"),
], ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-bom"])
def test_text_encodings_are_detected_from_bytes(encode) -> None:
    # The name says nothing about the encoding: detection looks at the bytes only.
    assert read_document(encode(SAMPLE), "plan.txt") == SAMPLE
    assert read_document(encode(SAMPLE), "no-extension") == SAMPLE


def test_gb18030_fixture_decodes_characters_outside_gbk() -> None:
    text = read_document((PLANS / "gb18030-plan.txt").read_bytes(), "gb18030-plan.txt")
    assert "𠮷祥社区" in text


def test_bom_fixture_loses_its_bom() -> None:
    text = read_document((PLANS / "lead-rule-labels-bom.txt").read_bytes(), "x.txt")
    assert text.startswith("关于印发")


def _docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "甲", "乙"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_with_typed_numbering() -> None:
    data = _docx_bytes("一、工作任务", "1.推进甲工作。（A处负责）", "2.推进乙工作。（B处负责）")
    assert read_document(data, "plan.docx").split("\n") == [
        "一、工作任务", "1.推进甲工作。（A处负责）", "2.推进乙工作。（B处负责）", "甲\t乙"]
    plan = parse_document(data, "plan.docx")
    assert [t.responsibility.lead_units for t in plan.tasks] == [["A处"], ["B处"]]


def test_docx_is_recognised_by_content_not_name() -> None:
    data = _docx_bytes("1.推进甲工作。（A处负责）")
    assert len(parse_document(data, "upload.bin").tasks) == 1


def _zip(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "filename", "fragment"), [
    (b"", "plan.txt", "文件为空"),
    (b" \r\n\t ", "plan.txt", "文件为空"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "plan.pdf", "PDF"),
    (b"%PDF-1.4 disguised", "plan.txt", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "scan.png", "PNG 图片"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.jpg", "JPEG 图片"),
    (b"GIF89a\x01\x00\x01\x00", "scan.gif", "GIF 图片"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "plan.doc", ".docx"),
    (bytes(range(256)) * 4, "plan.txt", "二进制"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08" * 64, "plan.txt", "二进制"),
    (SAMPLE.encode("utf-8"), "plan.docx", "不是有效的 .docx"),
    (b"PK\x03\x04 truncated zip", "plan.docx", "压缩包已损坏"),
    (_zip(**{"readme.txt": "hello"}), "plan.docx", "不是 Word 文档"),
    (_zip(**{"word/document.xml": "<not-xml"}), "plan.docx", "无法读取"),
    ("一、工作任务\n没有编号的任务。".encode(), "plan.txt", "未在文档中找到编号的任务"),
    (_docx_bytes("只有一段文字，没有任务。"), "plan.docx", "未在文档中找到编号的任务"),
])
def test_bad_input_raises_document_error_in_chinese(data: bytes, filename: str, fragment: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(data, filename)
    assert fragment in caught.value.message
    assert str(caught.value) == caught.value.message


def test_undecodable_text() -> None:
    # Valid in neither UTF-8 nor GB18030 (0xFF is never a GB18030 lead byte).
    with pytest.raises(DocumentError, match="编码"):
        read_document("一、任务".encode("gbk") + b"\xff\xff\xff", "plan.txt")


def test_file_over_the_limit_names_the_limit_in_mb() -> None:
    data = SAMPLE.encode("utf-8") * 10
    with pytest.raises(DocumentError) as caught:
        parse_document(data, "plan.txt", max_bytes=len(data) - 1)
    assert "MB" in caught.value.message
    with pytest.raises(DocumentError, match="不能超过 10 MB"):
        parse_document(b"1" * (10 * 1024 * 1024 + 1), "plan.txt")
    with pytest.raises(DocumentError, match="不能超过 2 MB"):
        parse_document(b"1" * (2 * 1024 * 1024 + 1), "plan.txt", max_bytes=2 * 1024 * 1024)


def test_document_error_is_an_exception_with_a_message() -> None:
    error = DocumentError("文件为空")
    assert isinstance(error, Exception) and error.message == "文件为空"
