"""Storing uploaded attachments: an allow-list by extension *and* content, generated names, limits.

A file is accepted only when its extension is on the allow-list and its bytes are what that
extension promises (PDF starts with ``%PDF-``, Office Open XML and OFD are zips with their main
part, legacy Office and WPS are OLE compound files, images carry their magic number, text decodes).
Anything that looks like HTML or script in its first kilobyte is refused whatever it is called,
so a polyglot cannot pass as a PDF. Files live under the instance folder
(``attachments/task-<id>/``) with names the system generates, so an uploaded name never reaches
the file system; the original name is kept only for display and download.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from app.errors import ValidationFailed
from app.plan_parser.errors import DocumentError
from app.plan_parser.reading import decode_text

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: How far into a file the HTML/script sniffing looks (browsers sniff about as far).
SNIFF_BYTES = 1024
#: Markup that makes a browser (or mshta) run a file as a page, whatever its name.
_ACTIVE_CONTENT = re.compile(
    rb"<\s*(!doctype|html|head|body|script|iframe|frame|svg|object|embed|meta|link|style|hta:"
    rb"|\?xml-stylesheet)"
    rb"|javascript:|vbscript:", re.IGNORECASE)
#: Said in every refusal and on every upload form.
ACCEPTED = "PDF、OFD、Word(.doc/.docx)、Excel(.xls/.xlsx)、PowerPoint(.ppt/.pptx)、WPS(.wps/.et)、" \
           "图片(.png/.jpg/.jpeg/.gif)或纯文本(.txt/.csv)"

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _starts(*magics: bytes) -> Callable[[bytes], bool]:
    return lambda data: data.startswith(magics)


def _zip_with(part: str) -> Callable[[bytes], bool]:
    """A zip archive that holds ``part`` (Office Open XML's main part, OFD's OFD.xml)."""
    def check(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            return part in zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return False
    return check


def _is_text(data: bytes) -> bool:
    """Plain text: no NUL bytes, and UTF-8 or GB18030 that reads as such (Big5 or mixed would be mojibake)."""
    return b"\x00" not in data and _decoded(data) is not None


def _decoded(data: bytes) -> str | None:
    try:
        return decode_text(data)
    except DocumentError:
        return None


#: Extension → (content type served, content check). Nothing else is accepted.
ALLOWED: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".pdf": ("application/pdf", _starts(b"%PDF-")),
    ".ofd": ("application/ofd", _zip_with("OFD.xml")),
    ".docx": (_DOCX, _zip_with("word/document.xml")),
    ".xlsx": (_XLSX, _zip_with("xl/workbook.xml")),
    ".pptx": (_PPTX, _zip_with("ppt/presentation.xml")),
    ".doc": ("application/msword", _starts(_OLE_MAGIC)),
    ".xls": ("application/vnd.ms-excel", _starts(_OLE_MAGIC)),
    ".ppt": ("application/vnd.ms-powerpoint", _starts(_OLE_MAGIC)),
    ".wps": ("application/vnd.ms-works", _starts(_OLE_MAGIC)),
    ".et": ("application/vnd.ms-excel", _starts(_OLE_MAGIC)),
    ".png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    ".txt": ("text/plain; charset=utf-8", _is_text),
    ".csv": ("text/csv; charset=utf-8", _is_text),
}
#: What a stored file of an unknown or no longer allowed kind is served as.
OPAQUE = "application/octet-stream"


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
    """(content type, extension) when the extension is allowed and the bytes match it; else None."""
    extension = Path(filename).suffix.lower()
    allowed = ALLOWED.get(extension)
    if allowed is None or looks_active(data):
        return None
    content_type, matches = allowed
    return (content_type, extension) if matches(data) else None


def looks_active(data: bytes) -> bool:
    """True when the start of the file is HTML or script a browser would run."""
    head = data[:SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return _ACTIVE_CONTENT.search(head) is not None


def _as_utf8(data: bytes) -> bytes:
    """Text stored as UTF-8, as its content type says; GB18030 is converted with a BOM so Excel reads it."""
    if data.startswith(codecs.BOM_UTF8) or _is_utf8(data):
        return data
    return codecs.BOM_UTF8 + decode_text(data).encode("utf-8")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_submission(uploads: Sequence[tuple[str, int]], max_files: int, max_total_bytes: int) -> None:
    """At most ``max_files`` files and ``max_total_bytes`` in all per submission ((name, size) each).

    :raises ValidationFailed: naming the limit.
    """
    if len(uploads) > max_files:
        raise ValidationFailed(f"一次最多上传 {max_files} 个附件,本次选择了 {len(uploads)} 个,请精简后再提交。")
    total = sum(size for _, size in uploads)
    if total > max_total_bytes:
        raise ValidationFailed(
            f"本次附件合计 {_mb(total)} MB,超过每次提交 {_mb(max_total_bytes)} MB 的上限,请分次或压缩后再提交。")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def store(folder: Path, data: bytes, filename: str, max_bytes: int) -> StoredFile:
    """Check and write one upload under ``folder`` with a generated name.

    :raises ValidationFailed: empty, too large, or not of an allowed type (by extension and content).
    """
    original = Path((filename or "附件").replace("\\", "/")).name[:255] or "附件"
    if not data:
        raise ValidationFailed(f"附件“{original}”是空文件。")
    if len(data) > max_bytes:
        raise ValidationFailed(f"附件“{original}”超过 {max_bytes // (1024 * 1024)} MB 的上限。")
    kind = sniff_type(data, original)
    if kind is None:
        raise ValidationFailed(f"附件“{original}”的格式不受支持(或内容与扩展名不符),只能上传 {ACCEPTED}。")
    content_type, extension = kind
    if content_type.startswith("text/"):
        data = _as_utf8(data)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex + extension
    path = folder / stored_name
    path.write_bytes(data)
    return StoredFile(path, stored_name, original, content_type, len(data), hashlib.sha256(data).hexdigest())


def served_type(stored_name: str) -> str:
    """The content type a stored file is served with: the allow-list's, by the extension given when stored."""
    allowed = ALLOWED.get(Path(stored_name).suffix.lower())
    return allowed[0] if allowed else OPAQUE


def download_name(original_name: str, stored_name: str) -> str:
    """The name a download is saved under: the original, but always with the checked extension.

    Files stored before the allow-list existed (a ``.bat`` or ``.html`` kept as ``.txt``) are
    therefore saved as harmless text, never under a name the desktop would run.
    """
    extension = Path(stored_name).suffix.lower() if served_type(stored_name) != OPAQUE else ".bin"
    original = Path(original_name)
    return original_name if original.suffix.lower() == extension else f"{original.stem or '附件'}{extension}"


def content_disposition(attachment_id: int, original_name: str, stored_name: str) -> str:
    """``attachment`` with the UTF-8 name (RFC 5987) and an ASCII fallback for older clients."""
    name = download_name(original_name, stored_name)
    plain = name.isascii() and name.isprintable() and not set(name) & set('"\\;%')
    fallback = name if plain else f"attachment-{attachment_id}{Path(name).suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
