"""Duban's error hierarchy and the handlers that turn errors into Chinese pages."""
from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from app.extensions import db


class DubanError(Exception):
    """A rule said no; ``message`` is shown to the user as it is, in Chinese."""

    http_status = 400
    error_code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationFailed(DubanError):
    """The input breaks a business rule (a name already taken, a bad combination)."""

    error_code = "validation_failed"


class PermissionDenied(DubanError):
    """The user may not do this, or not for this unit."""

    http_status = 403
    error_code = "permission_denied"


class NotFound(DubanError):
    """The thing asked for does not exist (or is not visible to this user)."""

    http_status = 404
    error_code = "not_found"


class InvalidTransition(DubanError):
    """The thing is not in a state that allows this action (stale form, double submit)."""

    http_status = 409
    error_code = "invalid_transition"


_ERROR_TITLES = {
    400: "请求有误",
    403: "无权访问",
    404: "页面不存在",
    405: "请求方式不允许",
    409: "操作冲突",
    413: "上传内容过大",
    500: "系统内部错误",
}

_ERROR_TEXTS = {
    400: "提交的内容无法处理,请返回重试。若是表单已过期,请刷新页面后重新提交。",
    403: "您没有访问此页面或执行此操作的权限。如需开通,请联系系统管理员。",
    404: "您要找的页面不存在,可能已被移动或删除。",
    405: "不支持以这种方式访问此地址。",
    409: "该事项的状态已经改变,请刷新后查看最新情况。",
    413: "上传的文件超过了允许的大小。",
    500: "系统出现了意外错误,已记录。请稍后重试,或联系系统管理员。",
}


def render_error(status: int, message: str | None = None) -> tuple[str, int]:
    """The Chinese error page for ``status``."""
    status = status if status in _ERROR_TITLES else 500
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=_ERROR_TITLES[status],
            message=message or _ERROR_TEXTS[status],
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    """Show every HTTP error and every uncaught DubanError as a Chinese page."""

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> tuple[str, int]:
        if error.code == 400 and "CSRF" in (error.description or ""):
            return render_error(400, "表单已过期或来源无法验证(CSRF 校验失败),请刷新页面后重新提交。")
        return render_error(error.code or 500)

    @app.errorhandler(DubanError)
    def handle_duban(error: DubanError) -> tuple[str, int]:
        db.session.rollback()
        return render_error(error.http_status, error.message)

    @app.errorhandler(500)
    def handle_internal(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        return render_error(500)
