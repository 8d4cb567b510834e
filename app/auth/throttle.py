"""Sign-in throttling that cannot lock a victim out.

Failed sign-ins are counted per account *and* client address, never per account alone: an attacker
who guesses someone's password only slows down their own attempts, and the owner signing in from
another client is not affected. The windows of LOGIN_RATE_LIMIT nest (5 a minute, 10 in 15 minutes,
15 an hour, 20 in 6 hours, 25 a day), so each wait is longer than the last instead of a hard lock.
Counts live in RATELIMIT_STORAGE_URI: Redis in production (shared by every worker), memory otherwise.
"""
from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import cast

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask.sansio.blueprints import BlueprintSetupState
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.wrappers import Response

from app.errors import wants_json
from app.services.timing.workdays import BEIJING

#: Status of a throttled sign-in (Too Many Requests).
THROTTLED = 429


def _account_and_client() -> str:
    """The throttling key: the user name typed (hashed, case-insensitive) and the client address."""
    name = (request.form.get("username") or "").strip().lower()[:64]
    return f"{hashlib.sha256(name.encode('utf-8')).hexdigest()[:32]}@{request.remote_addr or '-'}"


limiter = Limiter(
    key_func=_account_and_client,
    strategy="moving-window",
    fail_on_first_breach=False,  # evaluate every window, so the wait stated is the longest one
    in_memory_fallback_enabled=True,  # Redis down: throttle per worker rather than refuse to sign in
)


def mark_failed() -> None:
    """Count this sign-in against its account and client (called by the view on a refused password)."""
    g.sign_in_failed = True


def _failed(response: Response) -> bool:
    return bool(g.get("sign_in_failed"))


#: Decorates the sign-in view: only failed POSTs count; successful sign-ins cost nothing.
limit_sign_in = limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_failed
)


def init_throttle(state: BlueprintSetupState) -> None:
    """Bind the limiter to the app (RATELIMIT_STORAGE_URI) when the auth blueprint is registered."""
    app = cast(Flask, state.app)  # Flask types the setup state's app as its sansio base class
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "duban-sign-in")
    limiter.init_app(app)
    if app.config["DUBAN_ENV"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        app.logger.warning("RATELIMIT_STORAGE_URI 未设置:登录失败次数仅在本进程内计数,多个进程时请使用 Redis。")
    app.register_error_handler(RateLimitExceeded, _throttled)


def retry_at() -> float:
    """When the longest window this request breached frees a place (a Unix time)."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    return max((limit.reset_at for limit in breached), default=time.time() + 60)


def wait_text(seconds: int) -> str:
    """A wait in Chinese: "45 秒", "3 分 5 秒", "1 小时 2 分"."""
    seconds = max(1, seconds)
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds % 60 else f"{seconds // 60} 分钟"
    return f"{seconds // 3600} 小时 {seconds % 3600 // 60} 分"


def throttle_message(at: float) -> str:
    """The Chinese refusal naming when to try again."""
    seconds = int(at - time.time()) + 1
    clock = datetime.fromtimestamp(at, UTC).astimezone(BEIJING).strftime("%H:%M:%S")
    return (
        f"登录失败次数过多,本机对该账户的登录已暂停,请在 {wait_text(seconds)}后(北京时间 {clock} 以后)再试。"
        "其他电脑上的登录不受影响;如忘记密码,请联系系统管理员重置。"
    )


def _throttled(error: RateLimitExceeded) -> tuple[str | Response, int, dict[str, str]]:
    at = retry_at()
    message = throttle_message(at)
    headers = {"Retry-After": str(max(1, int(at - time.time()) + 1))}
    if wants_json():
        return jsonify(error_code="too_many_requests", message=message), THROTTLED, headers
    if request.endpoint == "auth.login":
        from app.auth.forms import LoginForm
        from app.auth.sso_routes import sign_in_options

        form = LoginForm()
        form.password.errors = [message]
        page = render_template("auth/login.html", form=form, sso_options=sign_in_options(request.args.get("next")))
        return page, THROTTLED, headers
    page = render_template("errors/error.html", status=THROTTLED, title="请求过于频繁", message=message)
    return page, THROTTLED, headers


def register(bp: Blueprint) -> None:
    """Hook the limiter into the blueprint's registration (no edit to the app factory needed)."""
    bp.record_once(init_throttle)
