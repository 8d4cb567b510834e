"""Who is calling the API: the page's session cookie, or ``Authorization: Bearer <token>``.

CSRF. The blueprint is exempt from CSRFProtect's global check (which runs before
anyone is known) and checks again here, once Flask-Login knows how the caller
signed in:

* A request authenticated by a bearer token needs no CSRF token. A browser never
  adds an Authorization header by itself, and another site cannot make it send
  one, so a forged cross-site request cannot carry the token.
* A request authenticated by the session cookie is exactly what CSRF forges: the
  browser attaches the cookie to any request. Unsafe methods (POST, DELETE…) must
  therefore carry the session's CSRF token in the ``X-CSRFToken`` header, the
  same token the pages embed in their forms, checked by Flask-WTF. Without it
  the request is refused with 400 ``csrf_failed``.

Scopes. A token holds some of read / act / admin (app/services/infrastructure/api_tokens.py).
Each view needs one: ``read`` for GET, ``act`` for any other method, unless the view names
another with ``@needs_scope``. A session-signed request needs no scope: the pages' user may do
what the pages allow, and the view's role rule and services still apply to every caller.

Rate limit. Each token has its own budget (API_RATE_LIMIT, counted by the sign-in limiter of
app/auth/throttle.py in RATELIMIT_STORAGE_URI); past it the answer is 429 with a Chinese message
and Retry-After. Session requests are not counted: the pages' own user is not a client program.

When a request carries both a signed-in session and a bearer token, the session
wins (Flask-Login tries it first) and the CSRF header is required. Tokens
authenticate /api requests only; the pages ignore them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from werkzeug.wrappers import Request, Response

from app.api import bp
from app.auth.throttle import THROTTLED, limiter, retry_at, wait_text
from app.errors import wants_json
from app.extensions import csrf, login_manager
from app.models import User
from app.services.infrastructure import api_tokens

BEARER = "bearer "
#: Methods that only read: a ``read`` token may call them.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., object])


def needs_scope(scope: str) -> Callable[[F], F]:
    """Mark a view as needing ``scope`` of a token instead of the method's default (read / act)."""
    def decorate(view: F) -> F:
        view.api_scope = scope  # type: ignore[attr-defined]
        return view

    return decorate


def scope_of_request() -> str:
    """The scope this request's view needs."""
    view = current_app.view_functions.get(request.endpoint or "")
    default = api_tokens.READ if request.method in READING_METHODS else api_tokens.ACT
    return getattr(view, "api_scope", default)


def init_auth() -> None:
    """Let tokens sign in API requests, and move the blueprint's CSRF check after sign-in."""
    login_manager.request_loader(load_user_from_token)
    csrf.exempt(bp)


def bearer_secret(header: str) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    if header[: len(BEARER)].lower() != BEARER:
        return None
    return header[len(BEARER):].strip() or None


def load_user_from_token(req: Request) -> User | None:
    """Flask-Login request_loader: the user of a live bearer token on an API request."""
    secret = bearer_secret(req.headers.get("Authorization", "")) if wants_json() else None
    token = api_tokens.recognise(secret) if secret else None
    if token is None:
        return None
    g.api_token_id = token.id
    g.api_token = token
    return token.user


def token_authenticated() -> bool:
    """True when this request was signed in by a bearer token (not by the session cookie)."""
    return g.get("api_token_id") is not None


def _signed_by_token() -> bool:
    return bool(current_user.is_authenticated) and token_authenticated()  # loads the user first


def _token_key() -> str:
    """The rate-limit key: the token (part of its digest, never its id, which a new database reuses)."""
    token = g.get("api_token")
    return f"api-token:{token.token_sha256[:32] if token else '-'}"


#: One budget per token, shared by every view of the API; requests of the pages' session are not counted.
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=_token_key,
                     exempt_when=lambda: not _signed_by_token())(bp)


@bp.errorhandler(RateLimitExceeded)
def token_throttled(error: RateLimitExceeded) -> tuple[Response, int, dict[str, str]]:
    """429 in Chinese with the wait, for a token past its budget."""
    seconds = max(1, int(retry_at() - time.time()) + 1)
    message = f"请求过于频繁:该令牌在规定时间内的调用次数已达上限,请在 {wait_text(seconds)}后再试。"
    return jsonify(error_code="too_many_requests", message=message), THROTTLED, {"Retry-After": str(seconds)}


@bp.before_request
def protect_session_requests() -> None:
    """Blueprint before_request: unsafe requests signed in by the session need the CSRF header.

    :raises CSRFError: the X-CSRFToken header is missing or wrong (answered as 400 csrf_failed).
    """
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
        return
    if not _signed_by_token():
        csrf.protect()


@bp.before_request
def check_scope() -> None:
    """Blueprint before_request: a token request needs the scope its view asks for.

    :raises PermissionDenied: the token lacks that scope (403, in Chinese).
    """
    if _signed_by_token():
        api_tokens.ensure_scope(g.api_token, scope_of_request())
