"""People who sign in, and the roles they hold."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.org import Unit


class Role(enum.StrEnum):
    """The roles of SPEC.md. A cooperating unit's liaison is a LIAISON of that unit."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    LIAISON = "liaison"
    UNIT_HEAD = "unit_head"
    LEADER = "leader"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


#: Roles whose holders act for one unit, so they must belong to one.
UNIT_ROLES = frozenset({Role.LIAISON, Role.UNIT_HEAD})

_ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.SUPERVISOR: "督审处审核人",
    Role.LIAISON: "单位联络员",
    Role.UNIT_HEAD: "单位负责人",
    Role.LEADER: "局领导",
}


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)


class User(Base):
    """A person with a login; belongs to one unit (局领导 and the administrator may have none)."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("sso_provider", "sso_subject", name="uq_user_account_sso_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    #: Mobile number for SMS notices (11 digits).
    phone: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    #: The bureau of a user without a unit (a city's leader or administrator); None: the province.
    #: A user with a unit works in the unit's organisation, whatever this says.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: Set for seeded and reset accounts; enforced when FORCE_PASSWORD_CHANGE is on.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: Neither is set any more: the per-account lock let anyone lock anyone out, and a write on a failed
    #: sign-in made known user names slower than unknown ones. Sign-in is throttled per account and client.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Part of every session and remember-me cookie; raising it ends them all (sign-out, new password,
    #: account disabled).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: 统一身份认证: the provider ("oidc", "cas") and its stable subject this user signs in as, once bound.
    sso_provider: Mapped[str | None] = mapped_column(String(16))
    sso_subject: Mapped[str | None] = mapped_column(String(255))

    unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this user holds."""
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def awaiting_assignment(self) -> bool:
        """待分配: created by a first 统一身份认证 sign-in (or left) without roles; an administrator assigns them."""
        return not self.role_rows

    @property
    def has_password(self) -> bool:
        """False for a user created by 统一身份认证 who has never been given a local password."""
        return bool(self.password_hash)

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session identity: id and session version, so a raised version invalidates old cookies."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LeaderUnit(Base):
    """分管: a bureau leader is in charge of a unit; the unit's escalations go to them."""

    __tablename__ = "leader_unit"

    leader_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True)
