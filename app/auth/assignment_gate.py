"""Keeps 待分配 users (signed in by 统一身份认证, no unit or roles yet) on the page that says so."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.errors import PermissionDenied, wants_json

#: Endpoints a user awaiting assignment may still reach.
_ALLOWED = frozenset({"auth.pending", "auth.logout", "auth.login", "static", "main.health"})


def enforce_assignment() -> Response | None:
    """before_request hook: a user without roles sees only the 待分配 page until an administrator assigns them."""
    if request.endpoint in _ALLOWED or not current_user.is_authenticated or not current_user.awaiting_assignment:
        return None
    if wants_json():
        raise PermissionDenied("您的账户待分配:系统管理员为您分配所属单位和角色后才能使用本系统。")
    return redirect(url_for("auth.pending"))
