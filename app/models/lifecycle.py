"""The business records of a task's lifecycle: decompositions, milestones, reports, reviews.

The workflow engine only moves the steps; everything a person submits lives here,
one row per submission and per review round, never overwritten.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SQLColumnExpression,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    exists,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, exactly_one_set, utcnow
from app.models.org import Unit
from app.models.plan import PlanTarget, PlanTask
from app.models.user import User
from app.models.workflow import StepKey


class DecompositionStatus(enum.StrEnum):
    """Where a unit's decomposition of a task stands."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        return {"pending": "待分解", "submitted": "待审核", "returned": "已退回", "confirmed": "已确认"}[self.value]


class MilestoneStatus(enum.StrEnum):
    """Where a milestone stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    REPORTED = "reported"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"planned": "待确认", "in_progress": "推进中", "reported": "已报送", "approved": "已通过"}[self.value]


class ReviewDecision(enum.StrEnum):
    """A reviewer's verdict."""

    APPROVE = "approve"
    RETURN = "return"

    @property
    def label(self) -> str:
        return {"approve": "通过", "return": "退回"}[self.value]


class QualityRating(enum.StrEnum):
    """督审处's rating of an approved milestone, for the annual evaluation."""

    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"

    @property
    def label(self) -> str:
        return {"excellent": "优", "good": "良", "fair": "中", "poor": "差"}[self.value]


_STEP_LABELS = {
    StepKey.DECOMPOSITION_REVIEW: "督审处审核", StepKey.REPORT_REVIEW: "督审处审核", StepKey.HEAD_SIGNOFF: "负责人审签",
    StepKey.RECTIFICATION_PLAN_REVIEW: "督审处审核整改方案", StepKey.RECTIFICATION_VERIFY: "督审处核验",
}


#: ReviewRecord's foreign keys to what it judges, named ``<table>_id``.
REVIEWED = ("decomposition_round_id", "milestone_report_id", "rectification_submission_id")
#: Attachment's foreign keys to what it belongs to, named ``<table>_id``.
ATTACHED_TO = ("milestone_report_id", "cooperating_contribution_id", "rectification_submission_id", "appeal_id",
               "task_hold_request_id")


class Decomposition(Base):
    """One unit's breakdown of one task (a task with several leads or no lead has several)."""

    __tablename__ = "decomposition"
    __table_args__ = (UniqueConstraint("plan_task_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[DecompositionStatus] = mapped_column(
        enum_column(DecompositionStatus), default=DecompositionStatus.PENDING
    )
    #: How many times it was submitted; each submission is kept in DecompositionRound.
    rounds_submitted: Mapped[int] = mapped_column(default=0)
    #: When 督审处 closed (办结) the unit's part; its lifecycle instance completed then.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    task: Mapped[PlanTask] = relationship()
    unit: Mapped[Unit] = relationship()
    rounds: Mapped[list[DecompositionRound]] = relationship(
        back_populates="decomposition", order_by="DecompositionRound.number"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="decomposition", order_by="Milestone.position"
    )

    @hybrid_property
    def is_closed(self) -> bool:
        """The unit's part of the task is closed (办结)."""
        return self.closed_at is not None

    @is_closed.inplace.expression
    @classmethod
    def _is_closed_expression(cls) -> ColumnElement[bool]:
        return cls.closed_at.is_not(None)


def task_is_closed(task_id: SQLColumnExpression[int] | int) -> ColumnElement[bool]:
    """SQL: the task has parts and every one is closed (the one definition of a closed task)."""
    parts = Decomposition.plan_task_id == task_id
    return and_(exists().where(parts), ~exists().where(parts, ~Decomposition.is_closed))


class DecompositionRound(Base):
    """One submission of a decomposition, as submitted (a snapshot of its milestones)."""

    __tablename__ = "decomposition_round"
    __table_args__ = (UniqueConstraint("decomposition_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decomposition_id: Mapped[int] = mapped_column(ForeignKey("decomposition.id"), index=True)
    number: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    #: The milestones exactly as submitted in this round.
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    decomposition: Mapped[Decomposition] = relationship(back_populates="rounds")
    submitted_by: Mapped[User] = relationship()


milestone_cooperator = Table(
    "milestone_cooperator",
    Base.metadata,
    Column("milestone_id", Integer, ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id"), primary_key=True),
)

milestone_target = Table(
    "milestone_target",
    Base.metadata,
    Column("milestone_id", Integer, ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True),
    Column("plan_target_id", Integer, ForeignKey("plan_target.id"), primary_key=True),
)


class Milestone(Base):
    """A deliverable with a deadline and a named owner (项目化、清单化、责任化)."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    decomposition_id: Mapped[int] = mapped_column(ForeignKey("decomposition.id"), index=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    deliverable: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus), default=MilestoneStatus.PLANNED)
    #: The Beijing day 督审处 approved it and the day the approved report was submitted: the dashboards'
    #: roll-up of the review history, set with the approval (``dashboard.rollups`` rebuilds them).
    approved_on: Mapped[date | None] = mapped_column(Date)
    delivered_on: Mapped[date | None] = mapped_column(Date)

    decomposition: Mapped[Decomposition] = relationship(back_populates="milestones")
    owner: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()
    cooperating_units: Mapped[list[Unit]] = relationship(secondary=milestone_cooperator, order_by="Unit.id")
    targets: Mapped[list[PlanTarget]] = relationship(secondary=milestone_target, order_by="PlanTarget.id")
    reports: Mapped[list[MilestoneReport]] = relationship(
        back_populates="milestone", order_by="MilestoneReport.number"
    )


class MilestoneReport(Base):
    """One submission of progress on a milestone (every round kept)."""

    __tablename__ = "milestone_report"
    __table_args__ = (UniqueConstraint("milestone_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestone.id"), index=True)
    number: Mapped[int]
    progress: Mapped[str] = mapped_column(Text)
    percent_done: Mapped[int]
    #: 存在问题, 下步计划, 需协调事项: optional notes beside the progress (shown on the task page and in the 台账).
    problems: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    coordination: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    milestone: Mapped[Milestone] = relationship(back_populates="reports")
    submitted_by: Mapped[User] = relationship()
    actuals: Mapped[list[TargetActual]] = relationship(back_populates="report", cascade="all, delete-orphan")
    contributions: Mapped[list[CooperatingContribution]] = relationship(
        back_populates="report", order_by="CooperatingContribution.id"
    )


class TargetActual(Base):
    """The value a report says a plan target has reached."""

    __tablename__ = "target_actual"
    __table_args__ = (UniqueConstraint("report_id", "plan_target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("milestone_report.id", ondelete="CASCADE"), index=True)
    plan_target_id: Mapped[int] = mapped_column(ForeignKey("plan_target.id"), index=True)
    actual: Mapped[Decimal] = mapped_column(Numeric(20, 6))

    report: Mapped[MilestoneReport] = relationship(back_populates="actuals")
    target: Mapped[PlanTarget] = relationship()


class CooperatingContribution(Base):
    """A cooperating unit's part (协办意见) in one report round."""

    __tablename__ = "cooperating_contribution"
    __table_args__ = (UniqueConstraint("report_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("milestone_report.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    text: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[MilestoneReport] = relationship(back_populates="contributions")
    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User] = relationship()


class ReviewRecord(Base):
    """A verdict on a submission: 督审处 on a decomposition or report, or the unit head's sign-off."""

    __tablename__ = "review_record"
    __table_args__ = (CheckConstraint(exactly_one_set(*REVIEWED), name="one_reviewed_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    #: What was reviewed: exactly one of these is set (lights and histories look reviews up by them).
    decomposition_round_id: Mapped[int | None] = mapped_column(ForeignKey("decomposition_round.id"), index=True)
    milestone_report_id: Mapped[int | None] = mapped_column(ForeignKey("milestone_report.id"), index=True)
    #: use_alter: rectification.review_record_id closes a cycle back here. Named: the convention's name is too
    #: long for PostgreSQL (63 characters), as are two of Attachment's.
    rectification_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_submission.id", use_alter=True, name="fk_review_record_rectification_submission_id"),
        index=True,
    )
    #: The step that decided (decomposition_review, head_signoff, report_review or a rectification review).
    step: Mapped[StepKey] = mapped_column(enum_column(StepKey, length=40))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column(ReviewDecision))
    comments: Mapped[str | None] = mapped_column(Text)
    #: 优/良/中/差 as excellent/good/fair/poor, for the annual evaluation.
    quality: Mapped[str | None] = mapped_column(String(20))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reviewer: Mapped[User] = relationship()

    @property
    def quality_label(self) -> str | None:
        """优/良/中/差, or None when not rated."""
        return QualityRating(self.quality).label if self.quality else None

    @property
    def step_label(self) -> str:
        """Who decided, in Chinese."""
        return step_label(self.step)

    @property
    def reviewed(self) -> tuple[str, int]:
        """The table and id of the reviewed row."""
        return _linked(self, REVIEWED)


class Attachment(Base):
    """An uploaded file, stored under the instance folder with a generated name."""

    __tablename__ = "attachment"
    __table_args__ = (CheckConstraint(exactly_one_set(*ATTACHED_TO), name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    #: What it belongs to: exactly one of these is set.
    milestone_report_id: Mapped[int | None] = mapped_column(ForeignKey("milestone_report.id"), index=True)
    cooperating_contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperating_contribution.id", name="fk_attachment_cooperating_contribution_id"), index=True
    )
    rectification_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_submission.id", name="fk_attachment_rectification_submission_id"), index=True
    )
    #: Evidence of an appeal (申诉) against a score line.
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id", name="fk_attachment_appeal_id"), index=True)
    #: A document supporting a 中止 or 阶段性办结 request.
    task_hold_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_hold_request.id", name="fk_attachment_task_hold_request_id"), index=True
    )
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by: Mapped[User] = relationship()

    @property
    def owner(self) -> tuple[str, int]:
        """The table and id of the row it belongs to."""
        return _linked(self, ATTACHED_TO)


def _linked(row: Base, columns: tuple[str, ...]) -> tuple[str, int]:
    """(table, id) of the one foreign key among ``columns`` that is set on ``row``."""
    column = next(c for c in columns if getattr(row, c) is not None)
    return column.removesuffix("_id"), getattr(row, column)


class TaskComment(Base):
    """A message in a task's comment thread."""

    __tablename__ = "task_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class LeaderInstruction(Base):
    """领导批示 on a task; each responsible unit acknowledges it."""

    __tablename__ = "leader_instruction"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()
    task: Mapped[PlanTask] = relationship()
    acknowledgements: Mapped[list[InstructionAcknowledgement]] = relationship(
        back_populates="instruction", order_by="InstructionAcknowledgement.id"
    )


class InstructionAcknowledgement(Base):
    """A unit has read and taken on a leader's instruction."""

    __tablename__ = "instruction_acknowledgement"
    __table_args__ = (UniqueConstraint("instruction_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("leader_instruction.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    acknowledged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    instruction: Mapped[LeaderInstruction] = relationship(back_populates="acknowledgements")
    unit: Mapped[Unit] = relationship()
    acknowledged_by: Mapped[User] = relationship()


class FormDraft(Base):
    """A step form saved half-filled, to be resumed; one per work item and person."""

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("work_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The posted fields, as the form received them.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class HandlingAction(enum.StrEnum):
    """Office handling of a work item, apart from completing it."""

    SIGN_FOR = "sign_for"
    HAND_OVER = "hand_over"

    @property
    def label(self) -> str:
        return {"sign_for": "签收", "hand_over": "转办"}[self.value]


class WorkItemHandling(Base):
    """签收 (the unit takes the item on) or 转办 (handed to a colleague), timestamped."""

    __tablename__ = "work_item_handling"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id", ondelete="CASCADE"), index=True)
    action: Mapped[HandlingAction] = mapped_column(enum_column(HandlingAction))
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: For a hand-over: the colleague who now holds the item.
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    by: Mapped[User] = relationship(foreign_keys=[by_id])
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])


def step_label(step: StepKey) -> str:
    """Who decided a review step, in Chinese."""
    return _STEP_LABELS[step]
