"""Refuse input no page may accept, before any view or database sees it.

PostgreSQL cannot store a NUL character in text and answers such a query with an error, so a NUL
anywhere in the URL, the query string, a form, an upload's file name or a JSON body is refused here,
once for every route (the sign-in form included).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request

from app.errors import ValidationFailed

NUL = "\x00"
_REFUSAL = "提交的内容含有空字符(NUL),无法处理。请删除该字符后重新提交。"


def refuse_nul_bytes() -> None:
    """before_request hook.

    :raises ValidationFailed: (400) a NUL character somewhere in the request's text.
    """
    if NUL in request.path or _has_nul(request.args.items(multi=True)) or _has_nul(_form_items()):
        raise ValidationFailed(_REFUSAL)
    if request.is_json and _json_has_nul(_json_body()):
        raise ValidationFailed(_REFUSAL)


def _form_items() -> Iterable[tuple[str, str]]:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return ()
    files = ((name, upload.filename or "") for name, upload in request.files.items(multi=True))
    return [*request.form.items(multi=True), *files]


def _has_nul(pairs: Iterable[tuple[str, str]]) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def _json_body() -> Any:
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise ValidationFailed("请求体的 JSON 嵌套层数过多,无法处理。") from None


def _json_has_nul(body: Any) -> bool:
    """Walks the JSON without recursion: a deep body must not exhaust the stack here either."""
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
