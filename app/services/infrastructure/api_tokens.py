"""API tokens: issue (the token is shown once), revoke, and recognise a presented token."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
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

READ, ACT, ADMIN = "read", "act", "admin"
#: The scopes a token may hold, with the words the refusals use.
SCOPE_LABELS = {READ: "只读(查询)", ACT: "办理(提交与变更)", ADMIN: "管理(用户与单位)"}
#: What a token gets when its issuer names no scopes: what every token could do before scopes existed.
DEFAULT_SCOPES = (READ, ACT)


@dataclass(frozen=True)
class IssuedToken:
    """A new token row and the token itself, which exists only in this object."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    """The sha256 (hex) under which a token is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def checked_scopes(user: User, scopes: Iterable[str] | None) -> str:
    """The scopes as stored (space-separated, in a fixed order); none named: DEFAULT_SCOPES.

    :raises ValidationFailed: an unknown scope, an empty list, or admin for a user who is no administrator.
    """
    chosen = set(DEFAULT_SCOPES if scopes is None else scopes)
    unknown = chosen - SCOPE_LABELS.keys()
    if unknown or not chosen:
        raise ValidationFailed(f"令牌权限范围只能是 {'、'.join(SCOPE_LABELS)} 中的一项或几项。")
    if ADMIN in chosen and not user.has_role(Role.ADMIN):
        raise ValidationFailed("只有系统管理员的令牌可以具有管理(admin)权限范围。")
    return " ".join(scope for scope in SCOPE_LABELS if scope in chosen)


def issue_token(user: User, name: str | None, actor: User | None,
                scopes: Iterable[str] | None = None) -> IssuedToken:
    """Create a token acting as ``user`` within ``scopes`` (None: DEFAULT_SCOPES).

    :raises ValidationFailed: no name, a name too long, a disabled user, or scopes ``checked_scopes`` refuses.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"请填写令牌用途(1 到 {MAX_NAME_LENGTH} 个字)。")
    if not user.active:
        raise ValidationFailed("该用户已停用,不能签发令牌。")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_sha256=digest(secret), scopes=checked_scopes(user, scopes))
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token", token.id, "issued", after=as_dict(token, "user_id", "name", "scopes"))
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


def ensure_scope(token: ApiToken, scope: str) -> None:
    """Refuse a request the token's scopes do not cover.

    :raises PermissionDenied: naming the scope needed and the token's own.
    """
    if scope not in token.scope_set:
        held = "、".join(SCOPE_LABELS[s] for s in SCOPE_LABELS if s in token.scope_set)
        raise PermissionDenied(f"该令牌没有{SCOPE_LABELS[scope]}权限(令牌的权限范围:{held}),"
                               "请使用具有相应权限范围的令牌。")
