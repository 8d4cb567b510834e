"""Views of the auth blueprint."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.access import public, signed_in
from app.auth import bp
from app.auth.forms import ChangePasswordForm, LoginForm
from app.errors import ValidationFailed
from app.services import accounts


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    """Sign in; repeated failures lock the account for a while."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.username.data,
                form.password.data,
                current_app.config["LOGIN_MAX_FAILURES"],
                current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except accounts.LoginFailed as failure:
            form.password.errors.append(failure.message)
            return render_template("auth/login.html", form=form), 200
        login_user(user, remember=form.remember.data)
        flash(f"欢迎,{user.display_name}。", "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _safe_next(target: str | None) -> str:
    """Only follow a same-site path after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """Sign out."""
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def password() -> str | Response:
    """Change one's own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except ValidationFailed as error:
            form.new.errors.append(error.message)
        else:
            flash("密码已修改。", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
