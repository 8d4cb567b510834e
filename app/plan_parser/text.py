"""Text helpers shared by the parser: normalisation, paragraphs, Chinese numerals."""

from __future__ import annotations

import re

# Invisible characters that Word and web pages leave in pasted text.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
# Horizontal whitespace variants, folded to a plain space.
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "零〇○一二两三四五六七八九十百千"


def split_paragraphs(text: str) -> list[str]:
    """Split text into stripped, non-empty paragraphs (one per line)."""
    text = text.translate(_INVISIBLE)
    lines = _LINE_BREAKS.split(text)
    return [p for p in (_SPACES.sub(" ", line).strip() for line in lines) if p]


def squeeze(text: str) -> str:
    """Remove all whitespace; Chinese unit names never contain meaningful spaces."""
    return re.sub(r"\s+", "", text.translate(_INVISIBLE))


def cn_to_int(numeral: str) -> int | None:
    """Convert a Chinese numeral such as 三十九 or 一百零二 to an int (None if malformed)."""
    if not numeral or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in numeral):
        return None
    total, digit = 0, None
    for ch in numeral:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            # A bare 十 at the start means 一十 (十一 = 11).
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def int_to_cn(value: int) -> str:
    """Render a positive int below 10000 as a Chinese numeral (used for Word list numbering)."""
    if value <= 0 or value >= 10000:
        return str(value)
    digits = "零一二三四五六七八九"
    parts: list[str] = []
    for unit_value, unit_name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, value = divmod(value, unit_value)
        if digit:
            parts.append(digits[digit] + unit_name)
        elif parts and value and parts[-1] != "零":
            parts.append("零")
    rendered = "".join(parts)
    # Convention: 10-19 are written 十, 十一 … rather than 一十一.
    return rendered[1:] if rendered.startswith("一十") else rendered


def strip_end_punct(text: str) -> str:
    """Drop trailing sentence punctuation and spaces from a heading or title."""
    return re.sub(r"[\s。．.；;，,:：、]+$", "", text)
