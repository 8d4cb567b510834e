"""统一身份认证: who a provider's answer signs in as, and the users it creates (待分配).

A provider vouches for a stable subject (OIDC ``sub``, the CAS user) and a user name. The subject
bound to a user wins; a first sign-in binds the subject to the user of the same name; an unknown
person becomes a user without unit or roles (待分配) only where the provider's setting allows it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services.infrastructure import audit
from app.services.infrastructure.accounts import find_user

#: The user names a created account may take: what the administrator's form accepts.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
#: Longest subject stored (the column's width).
MAX_SUBJECT_LENGTH = 255
#: Where an SSO-only user has no password: no argon2 hash verifies against it.
NO_PASSWORD = ""


class ExternalSignInRefused(ValidationFailed):
    """The provider signed someone in whom Duban will not let in; the message says why, in Chinese."""

    error_code = "sso_refused"


@dataclass(frozen=True)
class ExternalIdentity:
    """What a provider vouched for: ``provider`` ("oidc" or "cas"), its stable ``subject``, and the person."""

    provider: str
    subject: str
    username: str | None
    display_name: str | None = None
    email: str | None = None


def sign_in(identity: ExternalIdentity, may_create: bool) -> User:
    """The active user ``identity`` signs in as, binding or creating them as the rules say.

    :raises ExternalSignInRefused: no subject, a disabled user, a name bound to another subject of the
        same provider, or an unknown person where creating users is off (or whose name is unusable).
    """
    subject = identity.subject.strip()
    if not subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise ExternalSignInRefused("统一身份认证未返回有效的用户标识,无法登录。")
    user = db.session.scalar(select(User).where(User.sso_provider == identity.provider, User.sso_subject == subject))
    if user is None:
        user = _match_by_name(identity, subject) or _create(identity, subject, may_create)
    if not user.active:
        raise ExternalSignInRefused("该账户已停用,请联系系统管理员。")
    user.last_login_at = utcnow()
    db.session.flush()
    audit.record(user, "user", user.id, "signed_in_externally", after={"provider": identity.provider})
    return user


def _match_by_name(identity: ExternalIdentity, subject: str) -> User | None:
    """The user of the same name, bound to this subject now unless already bound to this provider."""
    username = (identity.username or "").strip()
    user = find_user(username) if username else None
    if user is None:
        return None
    if user.sso_provider == identity.provider:
        # Bound to another subject of this provider: a reused or renamed account must not take it over.
        raise ExternalSignInRefused(f"用户名“{user.username}”已关联另一个统一身份账户,请联系系统管理员。")
    if user.sso_provider is None:
        user.sso_provider, user.sso_subject = identity.provider, subject
        db.session.flush()
        audit.record(user, "user", user.id, "sso_bound", after={"provider": identity.provider, "subject": subject})
    return user


def _create(identity: ExternalIdentity, subject: str, may_create: bool) -> User:
    """A new 待分配 user (no unit, no roles) named as the provider says."""
    if not may_create:
        raise ExternalSignInRefused("您的统一身份账户在本系统中还没有对应的用户,请联系系统管理员开通。")
    username = (identity.username or "").strip()
    if not USERNAME_PATTERN.fullmatch(username):
        raise ExternalSignInRefused("统一身份认证返回的用户名不能用作本系统的用户名,请联系系统管理员开通。")
    user = User(
        username=username,
        display_name=(identity.display_name or "").strip()[:64] or username,
        email=(identity.email or "").strip()[:200] or None,
        password_hash=NO_PASSWORD,
        sso_provider=identity.provider,
        sso_subject=subject,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(None, "user", user.id, "created", after={"username": username, "provider": identity.provider})
    return user


def awaiting_assignment_count() -> int:
    """How many active users wait for an administrator to assign a unit and roles (待分配)."""
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.active.is_(True), ~User.role_rows.any())
    ) or 0
