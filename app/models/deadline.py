"""Deadlines: each plan's reminder policy, the history of due-date changes, calendar overrides."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class DeadlinePolicy(Base):
    """How a plan's deadlines are set and chased, in working days; editable by 督审处 or an admin."""

    __tablename__ = "deadline_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), unique=True)
    #: Remind this many working days before a due date (0: no reminder).
    remind_before: Mapped[int] = mapped_column(default=3)
    #: Escalate to the unit head this many working days after a missed due date.
    escalate_head_after: Mapped[int] = mapped_column(default=3)
    #: Escalate to the bureau leaders this many working days after a missed due date.
    escalate_leaders_after: Mapped[int] = mapped_column(default=10)
    #: Working days a unit has to decompose a task, from the day the step opens.
    decompose_within: Mapped[int] = mapped_column(default=10)
    #: Working days 督审处 has to review a decomposition or a report, or to close a task.
    review_within: Mapped[int] = mapped_column(default=5)
    #: Working days for a cooperating contribution or a head's sign-off.
    respond_within: Mapped[int] = mapped_column(default=3)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DueDateChange(Base):
    """A work item's due date moved (an extension granted, a policy change); the old date is kept."""

    __tablename__ = "due_date_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"), index=True)
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarOverride(Base):
    """An administrator's word on one day: working or not (years the calendar package does not know)."""

    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_working_day: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(200))
