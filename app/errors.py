"""Duban's error hierarchy and the handlers that turn errors into Chinese pages.

Under /api the same errors answer as JSON ``{"error_code": …, "message": …}`` with the
same status; everywhere else they stay Chinese HTML pages. Every refusal (a DubanError, or
the database saying someone else did it first) reaches ``answer_refusal``, which rolls the
request back and answers the way the view asked with ``on_refusal``; views never catch one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from wtforms import Field

from app.extensions import db
from app.fields import leaf_fields
from app.formatting import file_size
from app.security import is_same_site_path


class DubanError(Exception):
    """A rule said no; ``message`` is shown to the user as it is, in Chinese."""

    http_status = 400
    error_code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def payload(self) -> dict[str, Any]:
        """The JSON body the API answers with."""
        return {"error_code": self.error_code, "message": self.message}


class ValidationFailed(DubanError):
    """The input breaks a business rule (a name already taken, a bad combination)."""

    error_code = "validation_failed"


class FormInvalid(ValidationFailed):
    """A submitted form failed its field checks; ``fields`` holds each field's messages (the API shows them)."""

    error_code = "form_invalid"

    def __init__(self, fields: dict[str, Any], message: str = "提交的内容未通过校验,请按各字段的提示修改。"):
        super().__init__(message)
        self.fields = fields

    def payload(self) -> dict[str, Any]:
        """The message and, per field, what is wrong."""
        return {**super().payload(), "fields": self.fields}


class FieldRefused(FormInvalid):
    """A business rule refused the value of one field (named as the form posts it, e.g. ``milestones-0-due_date``):
    the page shows the message on that field, the API under ``fields``."""

    def __init__(self, field: str, message: str):
        super().__init__({field: [message]}, message)
        self.field = field


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


class ConcurrentChange(InvalidTransition):
    """Someone else changed the same thing first (a lost race); the view may say so in its own words."""


_ERROR_TITLES = {
    400: "请求有误",
    401: "未登录",
    403: "无权访问",
    404: "页面不存在",
    405: "请求方式不允许",
    409: "操作冲突",
    413: "上传内容过大",
    500: "系统内部错误",
    503: "系统繁忙",
}

_ERROR_TEXTS = {
    400: "提交的内容无法处理,请返回重试。若是表单已过期,请刷新页面后重新提交。",
    401: "请先登录。",
    403: "您没有访问此页面或执行此操作的权限。如需开通,请联系系统管理员。",
    404: "您要找的页面不存在,可能已被移动或删除。",
    405: "不支持以这种方式访问此地址。",
    409: "该事项的状态已经改变,请刷新后查看最新情况。",
    413: "上传的文件超过了允许的大小。",
    500: "系统出现了意外错误,已记录。请稍后重试,或联系系统管理员。",
    503: "系统正忙,本次请求未能在限定时间内完成,未做任何更改。请稍后重试。",
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


def too_large_message() -> str:
    """What a too-large upload is told: the limit, and that nothing was saved."""
    limit = file_size(current_app.config["MAX_CONTENT_LENGTH"])
    return (f"上传的文件超过了允许的大小(每次提交合计不超过 {limit}),本次提交未保存任何内容。"
            f"请压缩文件或减少附件后重新提交。")



def form_page() -> str | None:
    """The page of this site the submitted form was on (the Referer), as a path; None when unknown."""
    parts = urlsplit(request.referrer or "")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc != request.host or not is_same_site_path(target):
        return None
    return target


#: For the API: an HTTP status's error_code, and its message where the page's text would not fit.
_API_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 409: "invalid_transition", 413: "payload_too_large", 500: "internal_error",
    503: "busy",
}
_API_TEXTS = {
    401: "请先登录,或在请求头 Authorization 中提供有效的 API 令牌(Bearer)。",
    404: "请求的资源不存在。",
}
_CSRF_TEXT = "来源无法验证(CSRF 校验失败)。请刷新页面后重新提交;接口调用请在请求头 X-CSRFToken 中提供令牌。"
API_PREFIX = "/api"


def wants_json() -> bool:
    """True for requests to the JSON API (everything under /api): errors answer in JSON there."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def json_error(status: int, error_code: str, message: str, **extra: Any) -> Response:
    """An API error response; a 401 also says how to authenticate."""
    response = jsonify({"error_code": error_code, "message": message, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="duban"'
    return response


def _http_json(error: HTTPException) -> Response:
    status = error.code if error.code in _API_CODES else 500
    if isinstance(error, CSRFError):
        return json_error(400, "csrf_failed", _CSRF_TEXT)
    return json_error(status, _API_CODES[status], _API_TEXTS.get(status, _ERROR_TEXTS[status]))


def register_error_handlers(app: Flask) -> None:
    """Show every HTTP error and every uncaught DubanError as a Chinese page, or as JSON under /api."""

    @app.errorhandler(405)
    def handle_method_not_allowed(error: HTTPException) -> Response:
        """handle_http's 405 page or JSON answer, still naming the allowed methods in ``Allow`` (RFC 9110)."""
        response = app.make_response(handle_http(error))
        response.headers.update((k, v) for k, v in error.get_headers() if k == "Allow")
        return response

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> tuple[str, int] | Response:
        g.refused = True
        if wants_json():
            return _http_json(error)
        if error.code == 400 and "CSRF" in (error.description or ""):
            return render_error(400, "表单已过期或来源无法验证(CSRF 校验失败),请刷新页面后重新提交。")
        return render_error(error.code or 500)

    @app.errorhandler(RequestEntityTooLarge)
    def handle_too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
        """Back to the form the upload came from, saying the limit; its body was never read, so nothing changed."""
        g.refused = True
        if wants_json():
            return _http_json(error)
        flash(too_large_message(), "danger")
        back = form_page()
        return redirect(back, 303) if back else render_error(413, too_large_message())

    app.register_error_handler(DubanError, answer_refusal)
    for race in (IntegrityError, OperationalError, StaleDataError):
        app.register_error_handler(race, _database_refusal)

    @app.errorhandler(500)
    def handle_internal(error: Exception) -> tuple[str, int] | Response:
        db.session.rollback()
        g.refused = True
        if wants_json():
            return json_error(500, "internal_error", _ERROR_TEXTS[500])
        return render_error(500)


# --- Refusals: the one place that undoes a refused request and answers it -------------------------------

#: What the loser of a race is told when the view gave no words of its own.
CONFLICT_TEXT = "该事项已由他人同时办理,本次提交未生效。请刷新后查看最新情况。"
_log = logging.getLogger(__name__)


#: Where a refused action goes: a same-site path, or a function of the refusal giving one (or None).
Target = str | Callable[[DubanError], str | None]


@dataclass(frozen=True)
class RefusalPlan:
    """How the current view answers a refusal (set with ``on_refusal``; read only by ``answer_refusal``)."""

    redirect_to: Target | None = None
    field: Field | None = None
    render: Callable[[], ResponseReturnValue] | None = None
    conflict: str | None = None
    form: Any = None


def on_refusal(redirect_to: Target | None = None, *, field: Field | None = None,
               render: Callable[[], ResponseReturnValue] | None = None, conflict: str | None = None,
               form: Any = None) -> None:
    """Say how this request answers a refusal; the view itself never catches one.

    ``redirect_to`` (a same-site path): a refused or stale action flashes its message and goes there.
    ``field`` and ``render``: a broken rule is shown on ``field`` and the form rendered again with
    what the user typed; a refusal naming one of ``form``'s fields (``FieldRefused``) is shown on that field
    instead. ``conflict``: what the loser of a race is told. Without a plan
    a refusal is the Chinese error page with its status, as it is for every other error.
    """
    g.refusal_plan = RefusalPlan(redirect_to, field, render, conflict, form)


def refused() -> bool:
    """True once this request answered a refusal or an error: it must not commit."""
    return bool(g.get("refused"))


def lost_race(error: Exception) -> bool:
    """The database says someone else did it first: a unique/integrity violation, a stale version,
    SQLite's write lock, or PostgreSQL's serialization failure or deadlock."""
    if isinstance(error, (IntegrityError, StaleDataError, ConcurrentChange)):
        return True
    if isinstance(error, OperationalError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        return sqlstate in {"40001", "40P01"} or "database is locked" in str(error.orig)
    return False


def answer_refusal(error: Exception) -> ResponseReturnValue:
    """Roll back everything the request did, mark it refused, and say why in the view's way."""
    db.session.rollback()
    g.refused = True
    plan: RefusalPlan = g.get("refusal_plan") or RefusalPlan()
    error = _as_refusal(error, plan)
    if wants_json():
        return json_error(error.http_status, **error.payload())
    if isinstance(error, ValidationFailed) and plan.field is not None and plan.render is not None:
        field = _named_field(plan.form, error.field) if isinstance(error, FieldRefused) else None
        target_field = field or plan.field
        target_field.errors = [*target_field.errors, error.message]
        return plan.render()
    target = plan.redirect_to(error) if callable(plan.redirect_to) else plan.redirect_to
    if isinstance(error, (ValidationFailed, InvalidTransition)) and target and is_same_site_path(target):
        flash(error.message, "warning")
        return redirect(target)
    return render_error(error.http_status, error.message)


def _named_field(form: Any, name: str) -> Field | None:
    """The field of ``form`` (inside lists and sub-forms too) posted as ``name``."""
    return next((field for field in leaf_fields(form) if field.name == name), None) if form is not None else None


def _as_refusal(error: Exception, plan: RefusalPlan) -> DubanError:
    """The error itself, or for a lost race the view's words for it (logged, in case it hides a bug)."""
    if isinstance(error, DubanError) and not isinstance(error, ConcurrentChange):
        return error
    _log.warning("refused as a lost race: %s %s: %r", request.method, request.path, error)
    return InvalidTransition(plan.conflict or CONFLICT_TEXT)


#: PostgreSQL's SQLSTATE for a statement cancelled by ``statement_timeout`` (or by an operator).
_QUERY_CANCELED = "57014"


def _database_refusal(error: Exception) -> ResponseReturnValue:
    """A database error that means a lost race is a refusal; a statement cancelled by the request's
    statement timeout is a 503 (busy, nothing changed); any other stays a 500."""
    if isinstance(error, OperationalError) and getattr(error.orig, "sqlstate", None) == _QUERY_CANCELED:
        db.session.rollback()
        g.refused = True
        _log.warning("statement timeout: %s %s", request.method, request.path)
        answer = json_error(503, "busy", _ERROR_TEXTS[503]) if wants_json() else render_error(503)
        response = current_app.make_response(answer)
        response.headers["Retry-After"] = "30"
        return response
    if not lost_race(error):
        raise error
    return answer_refusal(error)
