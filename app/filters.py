"""Jinja filters: Beijing time and Chinese labels for stored codes."""
from __future__ import annotations

from datetime import datetime
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
}


def localtime(value: datetime | None) -> str:
    """A UTC timestamp as Beijing time, to the minute."""
    if value is None:
        return ""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def audit_label(code: str) -> str:
    """The Chinese word for an audit entity or action code (the code itself if unknown)."""
    return _AUDIT_LABELS.get(code, code)


def register_filters(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(localtime)
    app.add_template_filter(audit_label)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
