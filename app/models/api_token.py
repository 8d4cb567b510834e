"""Bearer tokens for the JSON API (systems of other government bodies that integrate with Duban)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.user import User


class ApiToken(Base):
    """A token that acts as its user on the API; the token itself is shown once and never stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: What the token is for, e.g. "省政务服务平台对接".
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 of the token, hex: a leaked database does not leak usable tokens.
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last successful use, recorded at most once a minute.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set once; a revoked token is refused from then on.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What the token may do, space-separated: read (GET), act (steps and other changes), admin (users, units).
    #: Tokens issued before scopes existed hold "read act", so their clients keep working.
    scopes: Mapped[str] = mapped_column(String(40), default="read act", server_default="read act")

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        """True once the token was revoked."""
        return self.revoked_at is not None

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes as a set."""
        return frozenset(self.scopes.split())
