"""Text formatting shared by the services, the documents and the templates: pure, no Flask, no database."""
from __future__ import annotations

from decimal import Decimal

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (section numbers as plans write them)."""
    if not 0 < number < 100:
        return str(number)
    tens, ones = divmod(number, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return prefix + (_DIGITS[ones] if ones else "")


def plain_number(value: Decimal | int | float) -> str:
    """A number without trailing zeros: 230000.000000 → 230000, 0.500000 → 0.5."""
    return format(Decimal(str(value)).normalize(), "f")


def percent_text(value: float | Decimal | None) -> str:
    """A rate as shown and written: 40.0 → "40%", 66.7 → "66.7%", None → "—"."""
    return "—" if value is None else f"{plain_number(value)}%"


def file_size(size: int) -> str:
    """A byte count as a limit is stated: 10485760 → "10 MB", 1572864 → "1.5 MB", 65536 → "64 KB"."""
    mb = 1024 * 1024
    return f"{plain_number(round(size / mb, 1))} MB" if size >= mb else f"{max(size // 1024, 1)} KB"
