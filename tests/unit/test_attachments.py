"""Attachment storage: the type comes from the bytes, names are generated, limits hold."""
from __future__ import annotations

import io
import zipfile

import pytest

from app.errors import ValidationFailed
from app.services.infrastructure.attachments import sniff_type, store


def zip_with(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("data, name, expected", [
    (b"%PDF-1.7 ...", "a.pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n....", "photo.png", "image/png"),
    (b"\xff\xd8\xff\xe0....", "photo.jpeg", "image/jpeg"),
    (zip_with("word/document.xml"), "报告.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (zip_with("xl/workbook.xml"), "台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (zip_with("OFD.xml"), "通知.ofd", "application/ofd"),
    ("进展情况说明".encode("gb18030"), "说明.txt", "text/plain; charset=utf-8"),
])
def test_types_are_judged_from_the_bytes(data, name, expected):
    assert sniff_type(data, name)[0] == expected


def test_a_renamed_executable_is_refused(tmp_path):
    with pytest.raises(ValidationFailed, match="格式不受支持"):
        store(tmp_path, b"MZ\x90\x00\x03\x00\x00\x00" + bytes(100), "报告.pdf", 1024 * 1024)
    assert list(tmp_path.iterdir()) == []


def test_a_zip_that_is_not_an_office_file_is_refused(tmp_path):
    with pytest.raises(ValidationFailed):
        store(tmp_path, zip_with("evil.sh"), "材料.docx", 1024 * 1024)


def test_empty_and_oversize_files_are_refused(tmp_path):
    with pytest.raises(ValidationFailed, match="空文件"):
        store(tmp_path, b"", "a.pdf", 1024)
    with pytest.raises(ValidationFailed, match="1 MB"):
        store(tmp_path, b"%PDF-" + bytes(2 * 1024 * 1024), "a.pdf", 1024 * 1024)


def test_stored_names_are_generated_and_the_original_kept_for_display(tmp_path):
    stored = store(tmp_path / "task-7", b"%PDF-1.4 body", "../../etc/进展报告.pdf", 1024 * 1024)
    assert stored.original_name == "进展报告.pdf"
    assert stored.path.parent == tmp_path / "task-7" and stored.path.read_bytes() == b"%PDF-1.4 body"
    assert stored.stored_name.endswith(".pdf") and "进展" not in stored.stored_name
    assert len(stored.sha256) == 64 and stored.size == 13
