"""督查通报 issues: the 期号 each bulletin was given, so the next one continues the sequence."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class BulletinIssue(Base):
    """One issued 通报: 第 ``number`` 期 of ``year`` for an organisation, on a plan as of a day.

    The same plan and day keep their number when the bulletin is downloaded again.
    """

    __tablename__ = "bulletin_issue"
    __table_args__ = (UniqueConstraint("organisation_id", "year", "number"), UniqueConstraint("plan_id", "as_of"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    #: The year of the statistics day; numbering starts at 1 each year.
    year: Mapped[int]
    number: Mapped[int]
    as_of: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
