"""Deadlines: each plan's reminder policy, the history of due-date changes, calendar overrides."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.org import Unit
from app.models.plan import HoldKind
from app.models.user import User

if TYPE_CHECKING:
    from app.models.plan import PlanTask
    from app.models.workflow import WorkItem


class ReportCycle(enum.StrEnum):
    """How often units owe a progress report (阶段性报送) besides their milestones."""

    NONE = "none"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def label(self) -> str:
        return {"none": "不定期", "monthly": "每月", "quarterly": "每季度"}[self.value]


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
    #: 黄 when reported progress trails the share of the period elapsed (序时进度) by more points than this.
    progress_tolerance: Mapped[int] = mapped_column(default=10)
    #: Batch a person's reminders of one day into one daily digest instead of one notice each.
    daily_digest: Mapped[bool] = mapped_column(default=False)
    #: Raise a stagnation notice (停滞提醒) after this many working days without an update (0: never).
    stagnation_after: Mapped[int] = mapped_column(default=15)
    #: Periodic progress reports that open report work items, due on ``report_day`` of the month.
    report_cycle: Mapped[ReportCycle] = mapped_column(enum_column(ReportCycle), default=ReportCycle.NONE)
    report_day: Mapped[int] = mapped_column(default=25)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: Every progress-report period due up to this day is open for every part: the tick skips them.
    reports_opened_until: Mapped[date | None] = mapped_column(Date)


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

    changed_by: Mapped[User | None] = relationship()


#: Stagnant items not yet in a unit's (or in 督审处's) daily summary; queries repeat them verbatim.
UNIT_PENDING = text("unit_told_on IS NULL")
SUPERVISION_PENDING = text("supervision_told_on IS NULL")


class StagnantItem(Base):
    """停滞: an open work item found without an update for the plan's ``stagnation_after`` working days.

    One row per (item, day of its last update), so each silence is reported once; the unit's
    liaisons and 督审处 learn of it in their next daily summary (``*_told_on`` says which day's).
    """

    __tablename__ = "stagnant_item"
    __table_args__ = (
        UniqueConstraint("work_item_id", "quiet_since"),
        Index("ix_stagnant_item_unit_pending", "unit_id", sqlite_where=UNIT_PENDING,
              postgresql_where=UNIT_PENDING),
        Index("ix_stagnant_item_supervision_pending", "id", sqlite_where=SUPERVISION_PENDING,
              postgresql_where=SUPERVISION_PENDING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"))
    #: The (Beijing) day of the item's last update.
    quiet_since: Mapped[date] = mapped_column(Date)
    #: The working day the silence reached the plan's limit.
    stagnant_on: Mapped[date] = mapped_column(Date)
    #: The unit that must act; None for 督审处's own steps, which only 督审处's summary carries.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    #: The plan asks for a daily digest: the summaries' e-mails wait for it.
    digest: Mapped[bool] = mapped_column(default=False)
    unit_told_on: Mapped[date | None] = mapped_column(Date)
    supervision_told_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarOverride(Base):
    """An administrator's word on one day: working or not (years the calendar package does not know)."""

    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_working_day: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(200))


class ExtensionStatus(enum.StrEnum):
    """Where a request for more time stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {"pending": "待审批", "approved": "已批准", "refused": "未批准"}[self.value]


class ExtensionRequest(Base):
    """延期申请: a unit asks 督审处 for a later due date on one open work item, with a reason."""

    __tablename__ = "extension_request"
    #: At most one pending request per work item, kept by the database (a double submit cannot add a second).
    __table_args__ = (
        Index("uq_extension_request_pending", "work_item_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    #: The due date when the request was made, and the one asked for.
    current_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ExtensionStatus] = mapped_column(
        enum_column(ExtensionStatus), default=ExtensionStatus.PENDING, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: The due date 督审处 granted (it may differ from the one asked for).
    approved_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    work_item: Mapped[WorkItem] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class TaskHoldRequest(Base):
    """中止 or 阶段性办结 申请: a responsible unit asks 督审处 to stop supervising a task, or to close its stage."""

    __tablename__ = "task_hold_request"
    #: At most one pending request per task, kept by the database (a double submit cannot add a second).
    __table_args__ = (
        Index("uq_task_hold_request_pending", "plan_task_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[HoldKind] = mapped_column(enum_column(HoldKind))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ExtensionStatus] = mapped_column(
        enum_column(ExtensionStatus), default=ExtensionStatus.PENDING, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)

    task: Mapped[PlanTask] = relationship()
    unit: Mapped[Unit] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
