"""Recognise the numbering at the start of a paragraph (一、 / （一） / 1. / （1） / ①)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import CN_NUMERAL_CHARS, cn_to_int

# Ranks follow the official-document convention (GB/T 9704): 一、 > （一） > 1. > （1）.
CN, PAREN_CN, ARABIC, PAREN_ARABIC, CIRCLED = 0, 1, 2, 3, 4

_CN = f"[{CN_NUMERAL_CHARS}]{{1,5}}"
_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (PAREN_CN, re.compile(rf"^[(（]\s*({_CN})\s*[)）][、.．，,]?\s*")),
    (PAREN_ARABIC, re.compile(r"^[(（]\s*(\d{1,3})\s*[)）][、.．，,]?\s*")),
    (CN, re.compile(rf"^({_CN})\s*[、.．，,]\s*")),
    # "1." / "1、" / "1．"; a bare "1 推进…" (space, no dot) only in sequence, see below.
    (ARABIC, re.compile(r"^(\d{1,3})(?:\s*[.．、]|\s+(?=[\u4e00-\u9fff（(“\"]))\s*")),
    (CIRCLED, re.compile(r"^([\u2460-\u2473])\s*")),
)


@dataclass(frozen=True)
class Numbered:
    """A paragraph's numbering: its style rank, number, label as written and the rest."""

    rank: int
    number: int
    label: str
    rest: str


def _number_of(rank: int, token: str) -> int | None:
    """Turn the captured numbering token into an int."""
    if rank in (CN, PAREN_CN):
        return cn_to_int(token)
    if rank == CIRCLED:
        return ord(token) - 0x2460 + 1
    return int(token)


def classify(paragraph: str, expected_arabic: int | None = None) -> Numbered | None:
    """Return the paragraph's numbering, or None for an unnumbered paragraph."""
    for rank, pattern in _PATTERNS:
        match = pattern.match(paragraph)
        if not match:
            continue
        number = _number_of(rank, match.group(1))
        if number is None or number == 0:
            return None
        rest = paragraph[match.end():]
        if rank == ARABIC and not _plausible_arabic(match, rest, number, expected_arabic):
            return None
        return Numbered(rank, number, paragraph[:match.end()].strip(), rest)
    return None


def _plausible_arabic(match: re.Match[str], rest: str, number: int, expected: int | None) -> bool:
    """Reject arabic "numbering" that is really a quantity at the start of a sentence."""
    separator = match.group(0)[len(match.group(1)):].strip()
    if not separator:
        # "1 推进…" without a dot is numbering only when it is exactly the number expected next.
        return expected is not None and number == expected
    if rest[:1].isdigit() or re.match(r"^[万亿千百%％个项名家]", rest):
        # "11.121人才梯队项目" is task 11, but "2.5亿元…" is a quantity: only accept the
        # glued form when it continues the sequence.
        return expected is None or number in (expected, 1)
    return True
