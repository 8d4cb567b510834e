"""Users: passwords, sign-in with lockout, creation and role changes."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from app.errors import DubanError, ValidationFailed
from app.extensions import db
from app.models import Role, Unit, User, UserRole
from app.models.base import as_dict, utcnow
from app.models.user import UNIT_ROLES
from app.services import audit

MIN_PASSWORD_LENGTH = 8
_AUDITED = ("username", "display_name", "email", "unit_id", "active", "must_change_password")


class LoginFailed(DubanError):
    """Sign-in refused; the message never says whether the user name exists."""

    http_status = 401
    error_code = "login_failed"


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (ARGON2_TIME_COST, ARGON2_MEMORY_KIB)."""
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_KIB"])


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def password_matches(user: User, password: str) -> bool:
    """True when ``password`` is the user's password (a hash made at another cost still verifies)."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(username: str) -> User | None:
    """The user with this login name (case-insensitive), or None."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str, max_failures: int, lock_minutes: int) -> User:
    """Check a sign-in; count failures and lock the account after ``max_failures`` in a row.

    :raises LoginFailed: wrong name or password, locked or disabled account.
    """
    now = utcnow()
    user = find_user(username)
    if user is None:
        raise LoginFailed("用户名或密码错误。")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginFailed(f"登录失败次数过多,账户已临时锁定,请在 {_minutes_left(user.locked_until, now)} 分钟后再试。")
    if not password_matches(user, password):
        _count_failure(user, now, max_failures, lock_minutes)
        raise LoginFailed(_failure_message(user, max_failures, lock_minutes))
    if not user.active:
        raise LoginFailed("该账户已停用,请联系系统管理员。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # the cost setting changed since it was hashed
    db.session.flush()
    return user


def _count_failure(user: User, now: datetime, max_failures: int, lock_minutes: int) -> None:
    user.failed_logins += 1
    if user.failed_logins >= max_failures:
        user.locked_until = now + timedelta(minutes=lock_minutes)
        user.failed_logins = 0
        audit.record(None, "user", user.id, "locked", after={"locked_until": user.locked_until.isoformat()})
    db.session.flush()


def _failure_message(user: User, max_failures: int, lock_minutes: int) -> str:
    if user.locked_until is not None and user.failed_logins == 0:
        return f"登录失败次数过多,账户已临时锁定 {lock_minutes} 分钟。"
    return "用户名或密码错误。"


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() // 60) + 1)


def check_password_rules(password: str, username: str) -> None:
    """Refuse passwords that are too short or trivial.

    :raises ValidationFailed: with the rule that was broken.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。")
    if password.lower() == username.lower() or password.isdigit() or password.isalpha():
        raise ValidationFailed("密码不能与用户名相同,且须同时包含字母和数字。")


def change_password(user: User, current: str, new: str) -> None:
    """The user replaces their own password.

    :raises ValidationFailed: the current password is wrong or the new one is too weak.
    """
    if not password_matches(user, current):
        raise ValidationFailed("当前密码不正确。")
    if current == new:
        raise ValidationFailed("新密码不能与当前密码相同。")
    check_password_rules(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    audit.record(user, "user", user.id, "password_changed")
    db.session.flush()


def reset_password(user: User, new: str, actor: User) -> User:
    """An administrator sets a temporary password the user must change at next sign-in."""
    check_password_rules(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "user", user.id, "password_reset")
    db.session.flush()
    return user


def create_user(
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    unit: Unit | None = None,
    email: str | None = None,
    must_change_password: bool = True,
    actor: User | None = None,
) -> User:
    """Create a user with its roles.

    :raises ValidationFailed: the name is taken, the password too weak, or a unit role has no unit.
    """
    username = username.strip()
    if find_user(username) is not None:
        raise ValidationFailed(f"用户名“{username}”已被使用。")
    check_password_rules(password, username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=(email or "").strip() or None,
        unit=unit,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    _set_roles(user, roles)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user", user.id, "created", after=_snapshot(user))
    return user


def update_user(
    user: User,
    display_name: str,
    email: str | None,
    unit: Unit | None,
    roles: Iterable[Role],
    active: bool,
    actor: User,
) -> User:
    """Change a user's details, unit, roles or active flag.

    :raises ValidationFailed: a unit role without a unit, or an administrator removing their own access.
    """
    before = _snapshot(user)
    new_roles = frozenset(roles)
    if user.id == actor.id and (Role.ADMIN not in new_roles or not active):
        raise ValidationFailed("不能取消自己的管理员角色或停用自己的账户。")
    user.display_name = display_name.strip()
    user.email = (email or "").strip() or None
    user.unit = unit
    user.active = active
    _set_roles(user, new_roles)
    db.session.flush()
    audit.record(actor, "user", user.id, "updated", before=before, after=_snapshot(user))
    return user


def _set_roles(user: User, roles: Iterable[Role]) -> None:
    wanted = frozenset(roles)
    if not wanted:
        raise ValidationFailed("至少需要选择一个角色。")
    if wanted & UNIT_ROLES and user.unit is None:
        raise ValidationFailed("单位联络员和单位负责人必须归属一个单位。")
    current = {row.role: row for row in user.role_rows}
    for role, row in current.items():
        if role not in wanted:
            user.role_rows.remove(row)
    for role in wanted - current.keys():
        user.role_rows.append(UserRole(role=role))


def _snapshot(user: User) -> dict[str, object]:
    data = as_dict(user, *_AUDITED)
    data["roles"] = sorted(role.value for role in user.roles)
    return data
