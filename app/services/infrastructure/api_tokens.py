"""API tokens: issue (the token is shown once), revoke, and recognise a presented token."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import ApiToken, Role, User
from app.models.base import as_dict, utcnow
from app.services.infrastructure import audit

#: Marks Duban tokens, so secret scanners and people recognise a leaked one.
TOKEN_PREFIX = "duban_"
MAX_NAME_LENGTH = 100
#: last_used_at is written at most this often, so reads do not update the row on every request.
USE_RECORDING_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token row and the token itself, which exists only in this object."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    """The sha256 (hex) under which a token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(user: User, name: str | None, actor: User | None) -> IssuedToken:
    """Create a token acting as ``user``.

    :raises ValidationFailed: no name, a name too long, or a disabled user.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"请填写令牌用途(1 到 {MAX_NAME_LENGTH} 个字)。")
    if not user.active:
        raise ValidationFailed("该用户已停用,不能签发令牌。")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_sha256=digest(secret))
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token", token.id, "issued", after=as_dict(token, "user_id", "name"))
    return IssuedToken(token, secret)


def revoke_token(token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token; its owner or an administrator may (``actor`` None: the command line).

    :raises PermissionDenied: another user's token.
    :raises InvalidTransition: revoked already.
    """
    if actor is not None and actor.id != token.user_id and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("只能吊销自己的令牌。")
    if token.is_revoked:
        raise InvalidTransition("该令牌已被吊销。")
    token.revoked_at = utcnow()
    audit.record(actor, "api_token", token.id, "revoked", after=as_dict(token, "revoked_at"))
    db.session.flush()
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(query))


def recognise(secret: str) -> ApiToken | None:
    """The live token behind ``secret`` whose user is active, or None; records the use."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(secret)))
    if token is None or token.is_revoked or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= USE_RECORDING_INTERVAL:
        token.last_used_at = now
    return token
