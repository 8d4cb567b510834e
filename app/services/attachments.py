"""Storing uploaded attachments: type from the bytes, generated names, a size limit.

Files live under the instance folder (``attachments/task-<id>/``) with names the
system generates, so an uploaded name can never reach the file system; the
original name is kept only for display and download.
"""
from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.errors import ValidationFailed

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
#: Office Open XML and OFD (版式文件, common in government offices) are zip files told apart by their parts.
_ZIP_KINDS = (
    ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    ("OFD.xml", "application/ofd", ".ofd"),
)
_OLE_KINDS = {".doc": ("application/msword", ".doc"), ".xls": ("application/vnd.ms-excel", ".xls")}
ACCEPTED = "PDF、OFD、Word、Excel、PowerPoint、JPG/PNG 图片或纯文本"


@dataclass(frozen=True)
class StoredFile:
    """What was written: where, under which generated name, and what it is."""

    path: Path
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def sniff_type(data: bytes, filename: str) -> tuple[str, str] | None:
    """(content type, extension) judged from the bytes; None for a type we do not accept."""
    for magic, content_type, extension in _MAGIC:
        if data.startswith(magic):
            return content_type, extension
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(_OLE_MAGIC):
        return _OLE_KINDS.get(Path(filename).suffix.lower())
    if _is_text(data):
        return "text/plain; charset=utf-8", ".txt"
    return None


def _zip_kind(data: bytes) -> tuple[str, str] | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return None
    for part, content_type, extension in _ZIP_KINDS:
        if part in names:
            return content_type, extension
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:4096]:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def store(folder: Path, data: bytes, filename: str, max_bytes: int) -> StoredFile:
    """Check and write one upload under ``folder`` with a generated name.

    :raises ValidationFailed: empty, too large, or of a type not accepted.
    """
    original = Path(filename or "附件").name[:255] or "附件"
    if not data:
        raise ValidationFailed(f"附件“{original}”是空文件。")
    if len(data) > max_bytes:
        raise ValidationFailed(f"附件“{original}”超过 {max_bytes // (1024 * 1024)} MB 的上限。")
    kind = sniff_type(data, original)
    if kind is None:
        raise ValidationFailed(f"附件“{original}”的格式不受支持,请上传 {ACCEPTED}。")
    content_type, extension = kind
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex + extension
    path = folder / stored_name
    path.write_bytes(data)
    return StoredFile(path, stored_name, original, content_type, len(data), hashlib.sha256(data).hexdigest())
