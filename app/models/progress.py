"""阶段性进展报送: one periodic progress report per (task, unit, period), opened by the sweep."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow
from app.models.org import Unit
from app.models.user import User


class ProgressReport(Base):
    """One unit's progress report on one task for one period; the row exists once the item is opened.

    (task, unit, period) is unique: the sweep inserts the row before it starts the
    process, so two concurrent ticks can never open the same period twice.
    """

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("plan_task_id", "unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    #: "2023-05" for a month, "2023-Q2" for a quarter.
    period: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date)
    #: The progress_report process instance that asks for it.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_instance.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    progress: Mapped[str | None] = mapped_column(Text)
    percent_done: Mapped[int | None]
    #: Target id (as text) → actual value (as text), for the targets the unit reported on.
    actuals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User | None] = relationship()

    @property
    def is_submitted(self) -> bool:
        """True once the unit has reported."""
        return self.submitted_at is not None
