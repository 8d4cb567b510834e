"""Sends users who must change their password to the password page first."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.errors import PermissionDenied, wants_json

#: Endpoints a user who must change the password may still reach.
_ALLOWED = frozenset({"auth.password", "auth.logout", "auth.login", "static", "main.health"})


def enforce_password_change() -> Response | None:
    """before_request hook: in production, seeded and reset accounts change their password first."""
    if not current_app.config["FORCE_PASSWORD_CHANGE"] or request.endpoint in _ALLOWED:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        if wants_json():
            raise PermissionDenied("首次登录或密码被重置后,须先在网页上修改密码,才能使用接口。")
        flash("首次登录或密码被重置后,请先修改密码。", "warning")
        return redirect(url_for("auth.password"))
    return None
