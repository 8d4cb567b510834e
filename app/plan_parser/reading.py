"""Turn uploaded bytes into text: sniff the format, detect the encoding, unpack .docx."""

from __future__ import annotations

import codecs
import re

from .errors import DocumentError

_UNSUPPORTED_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "该文件是 PNG 图片，不是文字文档"),
    (b"\xff\xd8\xff", "该文件是 JPEG 图片，不是文字文档"),
    (b"GIF87a", "该文件是 GIF 图片，不是文字文档"),
    (b"GIF89a", "该文件是 GIF 图片，不是文字文档"),
    (b"II*\x00", "该文件是 TIFF 图片，不是文字文档"),
    (b"MM\x00*", "该文件是 TIFF 图片，不是文字文档"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "该文件是旧版 Word/Excel（.doc/.xls）格式，请在 Word 中另存为 .docx"),
    (b"{\\rtf", "该文件是 RTF 格式，请在 Word 中另存为 .docx"),
)
_SUPPORTED_HINT = "请上传 .docx 或 .txt（UTF-8 或 GB18030 编码）格式的计划文档。"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Control characters other than tab/newline/form feed never occur in a real plan's text.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


def check_size(data: bytes, max_bytes: int) -> None:
    """Raise DocumentError if the upload exceeds max_bytes."""
    if len(data) > max_bytes:
        raise DocumentError(f"文件过大（{_mb(len(data))} MB），导入文件不能超过 {_mb(max_bytes)} MB。")


def _mb(size: int) -> str:
    """Format a byte count in MB without a useless trailing .0."""
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def read_document(data: bytes, filename: str) -> str:
    """Decode a .txt upload or extract a .docx's text; raises DocumentError for bad input."""
    if not data or not data.strip():
        raise DocumentError("文件为空，没有可导入的内容。")
    _reject_unsupported(data)
    if data.startswith(_ZIP_MAGIC):
        from .wordml import docx_text  # python-docx and lxml only for a .docx

        return docx_text(data)
    if filename.lower().endswith((".docx", ".docm", ".dotx")):
        raise DocumentError("该文件不是有效的 .docx 文档（不是 Word 文档的压缩包格式），可能已损坏或被改了扩展名。")
    return decode_text(data)


def _reject_unsupported(data: bytes) -> None:
    """Refuse PDFs, images and old Office formats with a message saying what they are."""
    # PDF writers may put a few bytes (or a BOM) before %PDF; readers accept it in the first KB.
    if b"%PDF-" in data[:1024]:
        raise DocumentError("该文件是 PDF，无法提取计划文字。" + _SUPPORTED_HINT)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise DocumentError("该文件是 WebP 图片，不是文字文档。" + _SUPPORTED_HINT)
    for magic, message in _UNSUPPORTED_FORMATS:
        if data.startswith(magic):
            raise DocumentError(f"{message}。{_SUPPORTED_HINT}")


def decode_text(data: bytes) -> str:
    """Decode text bytes, detecting UTF-8 (with or without BOM), UTF-16 (BOM) or GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data[len(codecs.BOM_UTF8):], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16")
    elif b"\x00" in data:
        raise DocumentError("文件内容不是文字（疑似二进制文件）。" + _SUPPORTED_HINT)
    else:
        # Strict UTF-8 first: GBK bytes almost never form valid UTF-8, the reverse is common.
        text = _try_decode(data, "utf-8")
        if text is None:
            text = _decode(data, "gb18030")
    if len(_CONTROL.findall(text)) > max(2, len(text) // 200):
        raise DocumentError("文件内容不是文字（疑似二进制文件）。" + _SUPPORTED_HINT)
    return text


def _try_decode(data: bytes, encoding: str) -> str | None:
    """Decode strictly, or return None if the bytes are not valid in that encoding."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _decode(data: bytes, encoding: str) -> str:
    """Decode strictly, turning failure into a DocumentError."""
    text = _try_decode(data, encoding)
    if text is None:
        raise DocumentError("无法识别文件的文字编码（既不是 UTF-8 也不是 GB18030/GBK）。"
                            "请将文件另存为 UTF-8 编码后重试。")
    return text
