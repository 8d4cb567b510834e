"""Views of the auth blueprint."""
from __future__ import annotations

from functools import partial

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME
from werkzeug.wrappers import Response

from app.access import public, signed_in
from app.auth import bp
from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.sso_routes import provider_logout_offer, remember_provider_logout, sign_in_options
from app.auth.throttle import limit_sign_in, mark_failed
from app.errors import on_refusal
from app.security import safe_next
from app.services.infrastructure import accounts


@bp.route("/login", methods=["GET", "POST"])
@public
@limit_sign_in
def login() -> str | Response | tuple[str, int]:
    """Sign in; repeated failures from one client slow that client down (app/auth/throttle.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    page = partial(render_template, "auth/login.html", form=form, sso_options=sign_in_options(request.args.get("next")))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data)
        except accounts.LoginFailed as failure:
            mark_failed()
            form.password.errors.append(failure.message)
            return page(), 200
        login_user(user, remember=form.remember.data)
        flash(f"欢迎,{user.display_name}。", "success")
        return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return page(provider_logout=provider_logout_offer())


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """Sign out everywhere: every session and remember-me cookie of this user ends."""
    accounts.end_sessions(current_user._get_current_object())
    logout_user()
    remember_provider_logout()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> str | Response:
    """Change one's own password; other sessions end, this one goes on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        on_refusal(field=form.new, render=partial(render_template, "auth/password.html", form=form))
        accounts.change_password(current_user, form.current.data, form.new.data)
        # The version was raised: sign this browser in again under the new one.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
        login_user(current_user._get_current_object(), remember=remembered)
        flash("密码已修改。", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
