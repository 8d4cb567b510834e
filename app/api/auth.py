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

When a request carries both a signed-in session and a bearer token, the session
wins (Flask-Login tries it first) and the CSRF header is required. Tokens
authenticate /api requests only; the pages ignore them.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.wrappers import Request

from app.api import bp
from app.errors import wants_json
from app.extensions import csrf, login_manager
from app.models import User
from app.services.infrastructure import api_tokens

BEARER = "bearer "


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
    return token.user


def token_authenticated() -> bool:
    """True when this request was signed in by a bearer token (not by the session cookie)."""
    return g.get("api_token_id") is not None


@bp.before_request
def protect_session_requests() -> None:
    """Blueprint before_request: unsafe requests signed in by the session need the CSRF header.

    :raises CSRFError: the X-CSRFToken header is missing or wrong (answered as 400 csrf_failed).
    """
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
        return
    signed_by_token = current_user.is_authenticated and token_authenticated()  # loads the user first
    if not signed_by_token:
        csrf.protect()
