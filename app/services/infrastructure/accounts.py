"""Users: passwords and their policy, sign-in, ending sessions, creation and role changes."""
from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import joinedload

from app.errors import DubanError, ValidationFailed
from app.extensions import db
from app.models import LeaderUnit, Organisation, Role, Unit, User, UserRole
from app.models.base import as_dict, utcnow
from app.models.user import UNIT_ROLES
from app.services.infrastructure import audit, visibility

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "common_passwords.txt"
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


def authenticate(username: str, password: str) -> User:
    """Check a sign-in.

    An unknown name costs the same argon2 verification as a known one, so response times do not
    tell which names exist. Repeated failures are throttled per account and client by the sign-in
    view (app/auth/throttle.py), never by locking the account: anyone could lock anyone out.

    :raises LoginFailed: wrong name or password, or a disabled account.
    """
    user = find_user(username)
    if user is None:
        _verify_dummy(password)
        raise LoginFailed("用户名或密码错误。")
    if not password_matches(user, password):
        raise LoginFailed("用户名或密码错误。")  # nothing written: a write would make known names slower
    if not user.active:
        raise LoginFailed("该账户已停用,请联系系统管理员。")
    user.failed_logins = 0
    user.last_login_at = utcnow()
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # the cost setting changed since it was hashed
    db.session.flush()
    return user


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    """A hash of a random secret at the configured cost, verified when the user name is unknown."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib).hash(secrets.token_hex(16))


def _verify_dummy(password: str) -> None:
    config = current_app.config
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher().verify(_dummy_hash(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"]), password)


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` (they carry the version raised here)."""
    user.session_version = User.session_version + 1  # atomic in SQL
    db.session.flush()


#: Every request asks the signed-in user's roles: read them in the same statement.
_WITH_ROLES = [joinedload(User.role_rows)]


def session_user(identity: str) -> User | None:
    """The active user a session or remember-me cookie names ("id:version"), if that version is current.

    Cookies from before a sign-out, a password change or disabling carry an older version (or the
    bare id of earlier releases) and name nobody.
    """
    user_id, _, version = identity.partition(":")
    if not (user_id.isdecimal() and version.isdecimal() and 0 < int(user_id) < 2**63):
        return None
    user = db.session.get(User, int(user_id), options=_WITH_ROLES)
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case), app/data/common_passwords.txt."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password_rules(password: str, username: str) -> None:
    """Refuse passwords that are short, common, the user name, or without both letters and digits.

    :raises ValidationFailed: naming every rule the password breaks.
    """
    broken = []
    if len(password) < MIN_PASSWORD_LENGTH:
        broken.append(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    lowered = password.lower()
    if lowered == username.strip().lower():
        broken.append("不能与用户名相同")
    elif lowered in common_passwords():
        broken.append("不能使用常见密码")
    if password.isdigit() or password.isalpha():
        broken.append("须同时包含字母和数字")
    if broken:
        raise ValidationFailed(";".join(broken) + "。")


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
    end_sessions(user)
    audit.record(user, "user", user.id, "password_changed")
    db.session.flush()


def reset_password(user: User, new: str, actor: User) -> User:
    """An administrator sets a temporary password the user must change at next sign-in."""
    check_password_rules(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
    audit.record(actor, "user", user.id, "password_reset")
    db.session.flush()
    return user


def users_of_organisation(organisation_id: int) -> list[User]:
    """The organisation's users (those of its units, and those without a unit it names), in creation order."""
    without_unit = User.organisation_id == organisation_id
    if organisation_id == visibility.root_organisation_id():
        without_unit = or_(without_unit, User.organisation_id.is_(None))
    query = select(User).where(or_(User.unit_id.in_(select(Unit.id).where(Unit.organisation_id == organisation_id)),
                                   and_(User.unit_id.is_(None), without_unit)))
    return list(db.session.scalars(query.order_by(User.id)))


def create_user(
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    unit: Unit | None = None,
    email: str | None = None,
    must_change_password: bool = True,
    actor: User | None = None,
    organisation: Organisation | None = None,
) -> User:
    """Create a user with its roles, in ``organisation`` (a city's leader has no unit but a bureau).

    :raises ValidationFailed: the name is taken, the password too weak, a unit role has no unit, or the unit is
        another organisation's.
    """
    username = username.strip()
    if find_user(username) is not None:
        raise ValidationFailed(f"用户名“{username}”已被使用。")
    if unit is not None and organisation is not None and unit.organisation_id != organisation.id:
        raise ValidationFailed("所选单位不属于本机构。")
    check_password_rules(password, username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=(email or "").strip() or None,
        unit=unit,
        organisation_id=organisation.id if organisation is not None else None,
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
    if user.active and not active:
        end_sessions(user)
    user.active = active
    # A 待分配 user the administrator turns away is disabled as they are, without roles.
    _set_roles(user, new_roles, allow_none=not active and user.awaiting_assignment)
    db.session.flush()
    audit.record(actor, "user", user.id, "updated", before=before, after=_snapshot(user))
    return user


def _set_roles(user: User, roles: Iterable[Role], allow_none: bool = False) -> None:
    wanted = frozenset(roles)
    if not wanted and not allow_none:
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


def units_in_charge(leader: User) -> list[int]:
    """The ids of the units a leader is in charge of (分管), in id order."""
    return list(db.session.scalars(select(LeaderUnit.unit_id).where(LeaderUnit.leader_id == leader.id)
                                   .order_by(LeaderUnit.unit_id)))


def set_units_in_charge(leader: User, unit_ids: Iterable[int], actor: User) -> None:
    """Link a leader to the units in their charge (replacing the previous links).

    :raises ValidationFailed: the user is not a leader, or a unit is unknown.
    """
    if not leader.has_role(Role.LEADER):
        raise ValidationFailed("只能为局领导设置分管单位。")
    wanted = sorted(set(unit_ids))
    known = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(wanted))))
    if len(known) != len(wanted):
        raise ValidationFailed("所选单位不存在,请刷新页面后重试。")
    before = units_in_charge(leader)
    db.session.execute(delete(LeaderUnit).where(LeaderUnit.leader_id == leader.id))
    db.session.add_all(LeaderUnit(leader_id=leader.id, unit_id=unit_id) for unit_id in wanted)
    db.session.flush()
    audit.record(actor, "user", leader.id, "units_in_charge_set", before={"units": before}, after={"units": wanted})
