"""Rectification (整改) and 催办: problems 督审处 found, the unit's plan and result, reminders sent by hand.

Like the lifecycle records, every plan and result a unit submits is a new row; reviews of them
are ReviewRecords pointing at the RectificationSubmission.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.lifecycle import Milestone
from app.models.org import Unit
from app.models.plan import PlanTask
from app.models.user import User


class RectificationSource(enum.StrEnum):
    """Where the problems came from."""

    REPORT_REVIEW = "report_review"
    INSPECTION = "inspection"
    INTERNAL_AUDIT = "internal_audit"
    LEADER_INSTRUCTION = "leader_instruction"

    @property
    def label(self) -> str:
        return {
            "report_review": "报告审核",
            "inspection": "巡察",
            "internal_audit": "内审",
            "leader_instruction": "领导批示",
        }[self.value]


class RectificationStatus(enum.StrEnum):
    """Where a rectification stands; every status but VERIFIED is open."""

    PLANNING = "planning"
    PLAN_REVIEW = "plan_review"
    EXECUTING = "executing"
    RESULT_REVIEW = "result_review"
    VERIFIED = "verified"

    @property
    def label(self) -> str:
        return {
            "planning": "待报整改方案",
            "plan_review": "方案待审核",
            "executing": "整改中",
            "result_review": "结果待核验",
            "verified": "已销号",
        }[self.value]

    @property
    def is_open(self) -> bool:
        return self is not RectificationStatus.VERIFIED


class SubmissionKind(enum.StrEnum):
    """A unit's rectification plan (整改方案) or its result with evidence (整改结果)."""

    PLAN = "plan"
    RESULT = "result"

    @property
    def label(self) -> str:
        return {"plan": "整改方案", "result": "整改结果"}[self.value]


class Rectification(Base):
    """One rectification 督审处 opened on a task (or one of its milestones) for one unit."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"), index=True)
    #: The unit that must rectify.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    source: Mapped[RectificationSource] = mapped_column(enum_column(RectificationSource))
    #: The returned review the problems were carried over from, when opened from one.
    review_record_id: Mapped[int | None] = mapped_column(ForeignKey("review_record.id"))
    requirement: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[RectificationStatus] = mapped_column(
        enum_column(RectificationStatus), default=RectificationStatus.PLANNING, index=True
    )
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When 督审处 verified the result (销号).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    task: Mapped[PlanTask] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    unit: Mapped[Unit] = relationship()
    opened_by: Mapped[User] = relationship()
    problems: Mapped[list[RectificationProblem]] = relationship(
        back_populates="rectification", order_by="RectificationProblem.position", cascade="all, delete-orphan"
    )
    submissions: Mapped[list[RectificationSubmission]] = relationship(
        back_populates="rectification", order_by="RectificationSubmission.id"
    )


class RectificationProblem(Base):
    """One problem to fix, in the order 督审处 listed them."""

    __tablename__ = "rectification_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)

    rectification: Mapped[Rectification] = relationship(back_populates="problems")


class RectificationSubmission(Base):
    """A unit's plan or result, one row per round (a returned round stays)."""

    __tablename__ = "rectification_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(ForeignKey("rectification.id"), index=True)
    kind: Mapped[SubmissionKind] = mapped_column(enum_column(SubmissionKind))
    #: The round of this kind: 1 for the first plan, 2 after one return…
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rectification: Mapped[Rectification] = relationship(back_populates="submissions")
    submitted_by: Mapped[User] = relationship()


class Urge(Base):
    """催办: a reminder with a message that 督审处 sent by hand to the unit holding an open work item."""

    __tablename__ = "urge"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"), index=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship()
    sent_by: Mapped[User] = relationship()
