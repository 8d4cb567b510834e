"""HTTP headers that every response carries, and the one check for redirect targets (`next`)."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Response, current_app, request
from flask_login import current_user

#: Our own resources only; forms post and <base> point only to this site.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'"
)
#: One year, as browsers' preload lists expect; sent in production only (served over HTTPS there).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
#: Longest redirect target followed; anything longer is not one of our links.
MAX_NEXT_LENGTH = 2000
#: Percent-decoding rounds checked, so "%252F%252F" is judged as "//" too.
_DECODE_ROUNDS = 3
#: Responses that carry a signed-in user's data and must not be kept by browsers or proxies.
_PRIVATE_TYPES = frozenset({"text/html", "application/json"})


def set_security_headers(response: Response) -> Response:
    """Forbid framing and MIME sniffing, keep pages to our own resources, and signed-in pages uncached."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if current_app.config["DUBAN_ENV"] == "production":
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if _private(response) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def _private(response: Response) -> bool:
    """A page or JSON answer for a signed-in user (static files are never private)."""
    if response.mimetype not in _PRIVATE_TYPES or request.endpoint == "static":
        return False
    return bool(current_user.is_authenticated)


def is_same_site_path(target: str) -> bool:
    """True when ``target`` is a path on this site that every browser reads as such.

    Refused: anything not starting with one "/", "//" and "/\\" (browsers read both as another host),
    backslashes anywhere, control characters and whitespace but an inner space (browsers drop tab, CR, LF, so
    "/<tab>/evil.example" becomes "//evil.example"), a scheme or host, and the same after percent-decoding.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return False
    candidate = target
    for _ in range(_DECODE_ROUNDS + 1):
        if not _plain_path(candidate):
            return False
        decoded = unquote(candidate)
        if decoded == candidate:
            return True
        candidate = decoded
    return False  # still changing after several rounds: not a link we made


def _plain_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    if value != value.strip() or any(_hidden(char) for char in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def _hidden(char: str) -> bool:
    """Control, format and separator characters, and every whitespace but the plain space."""
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} or (char.isspace() and char != " ")


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a same-site path, else ``fallback``: every `next` in Duban goes through here."""
    return target if target is not None and is_same_site_path(target) else fallback
