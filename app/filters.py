"""Jinja filters: Beijing time and Chinese labels for stored codes."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask

BEIJING = ZoneInfo("Asia/Shanghai")

_AUDIT_LABELS = {
    "unit": "单位",
    "unit_group": "单位组",
    "user": "用户",
    "created": "新建",
    "updated": "修改",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "locked": "登录失败过多被锁定",
    "plan": "计划",
    "imported": "导入",
    "archived": "归档",
}


def localtime(value: datetime | None) -> str:
    """A UTC timestamp as Beijing time, to the minute."""
    if value is None:
        return ""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def audit_label(code: str) -> str:
    """The Chinese word for an audit entity or action code (the code itself if unknown)."""
    return _AUDIT_LABELS.get(code, code)


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


def register_filters(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(localtime)
    app.add_template_filter(audit_label)
    app.add_template_filter(chinese_numeral)
    app.add_template_filter(plain_number)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
