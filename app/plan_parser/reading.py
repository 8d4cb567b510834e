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
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "该文件是旧版 Word/Excel（.doc/.xls）格式，请在 Word 中另存为 .docx，或在 Excel 中另存为 .xlsx"),
    (b"{\\rtf", "该文件是 RTF 格式，请在 Word 中另存为 .docx"),
)
_SUPPORTED_HINT = "请上传 .docx 或 .txt（UTF-8 或 GB18030 编码）格式的计划文档，或 .xlsx、.csv 格式的任务分解表。"
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
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one told by its NULs)
    or GB18030. Big5, mixed encodings and anything else that would only decode to mojibake are refused."""
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data[len(codecs.BOM_UTF8):], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16")
    elif b"\x00" in data:
        text = _utf16_without_bom(data)
    else:
        # Strict UTF-8 first: GBK bytes almost never form valid UTF-8, the reverse is common.
        utf8 = _try_decode(data, "utf-8")
        text = utf8 if utf8 is not None else _decode_gb18030(data)
    if len(_CONTROL.findall(text)) > max(2, len(text) // 200):
        raise DocumentError("文件内容不是文字（疑似二进制文件）。" + _SUPPORTED_HINT)
    return text


def _utf16_without_bom(data: bytes) -> str:
    """UTF-16 text saved without a BOM shows its byte order by where the NULs of ASCII characters fall."""
    little_endian = data[1::2].count(0) >= data[0::2].count(0)
    for encoding in ("utf-16-le", "utf-16-be") if little_endian else ("utf-16-be", "utf-16-le"):
        text = _try_decode(data, encoding) if len(data) % 2 == 0 else None
        if text is not None and _plausible(text):
            return text
    raise DocumentError("文件内容不是文字（疑似二进制文件）。" + _SUPPORTED_HINT)


def _decode_gb18030(data: bytes) -> str:
    """GB18030 decodes nearly any bytes: a file that is really Big5, or part UTF-8, must not pass as it."""
    if _has_utf8_line(data):
        raise DocumentError("文件中混用了多种文字编码（部分为 UTF-8，部分不是），无法可靠识别。"
                            "请将文件整体另存为 UTF-8 编码后重试。")
    text = _decode(data, "gb18030")
    if not _plausible(text):
        raise DocumentError("无法可靠识别文件的文字编码（疑似 Big5 繁体或其他编码，按 GB18030 解读会成为乱码）。"
                            "请将文件另存为 UTF-8 编码后重试。")
    return text


def _has_utf8_line(data: bytes) -> bool:
    """True when some line with Chinese text is valid UTF-8 (the whole file is not)."""
    for line in data.split(b"\n"):
        text = _try_decode(line, "utf-8")
        if text is not None and sum(ord(c) > 0x7F for c in text) >= 2:
            return True
    return False


def _plausible(text: str) -> bool:
    """Chinese plan text: nearly every non-ASCII character is a common (GB2312) hanzi or CJK punctuation.

    Big5 read as GB18030 turns about half its characters into rare hanzi and kana; real plans hold a
    handful of rare characters (names) at most.
    """
    wide = [c for c in text if ord(c) > 0x7F]
    odd = sum(not _common(c) for c in wide)
    return odd <= max(2, len(wide) // 50)


def _common(char: str) -> bool:
    code = ord(char)
    if 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or 0x2000 <= code <= 0x206F:
        return True
    if 0x4E00 <= code <= 0x9FFF:
        try:
            char.encode("gb2312")
            return True
        except UnicodeEncodeError:
            return False
    return code in _COMMON_SYMBOLS


#: Symbols of real plans outside the CJK punctuation blocks: ·, ×, ÷, №, ℃, ①–⑳, ≤, ≥, ‰, ㎡.
_COMMON_SYMBOLS = frozenset([0xA0, 0xB7, 0xD7, 0xF7, 0x2116, 0x2103, 0x2264, 0x2265, 0x2030, 0x33A1,
                             0x25CB, 0x25CF, 0x25A0, 0x25A1, *range(0x2460, 0x2474), *range(0x2160, 0x216C)])


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
