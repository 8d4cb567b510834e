"""Evaluation (考核评分): the scoring policy versions of a plan, the frozen score of each task per unit, and the
units' appeals (申诉) against score lines."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.org import Unit
from app.models.plan import PlanTask, ResponsibilityRole
from app.models.user import User


class ScoringPolicyVersion(Base):
    """One saved version of a plan's scoring policy (TOML text); immutable, a change adds a version."""

    __tablename__ = "scoring_policy_version"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3… per plan; version 1 is a copy of app/data/scoring_policy.toml.
    version: Mapped[int]
    #: The policy as TOML, exactly as saved (validated before it is stored).
    text: Mapped[str] = mapped_column(Text)
    #: Why it was changed (修改说明).
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship()


class TaskEvaluation(Base):
    """A unit's score on a closed task, frozen at closure with the policy version used."""

    __tablename__ = "task_evaluation"
    __table_args__ = (UniqueConstraint("plan_task_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[ResponsibilityRole] = mapped_column(enum_column(ResponsibilityRole))
    #: Role weight × priority weight under the policy used: this task's share of the unit's annual score.
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    #: Every point as a line: category, points, explanation and the event that caused it.
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("scoring_policy_version.id"))
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[PlanTask] = relationship()
    unit: Mapped[Unit] = relationship()
    policy_version: Mapped[ScoringPolicyVersion] = relationship()
    evaluated_by: Mapped[User | None] = relationship()


class AppealStatus(enum.StrEnum):
    """Where an appeal stands."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"open": "待处理", "accepted": "已采纳", "rejected": "未采纳"}[self.value]


#: An appeal is open; repeated verbatim so the partial index applies.
APPEAL_OPEN = text("status = 'open'")


class Appeal(Base):
    """申诉: a unit contests one line of its score on a task, with a reason and evidence; 督审处 accepts it (the
    line is set to the points decided, by a line of its own citing the appeal) or rejects it with a reason.

    The line is named by what caused it (category, event kind and id), since a provisional score is computed,
    not stored; the line as the unit saw it is kept too.
    """

    __tablename__ = "appeal"
    #: At most one open appeal per score line, kept by the database (a double submit cannot add a second).
    __table_args__ = (
        Index("uq_appeal_open_line", "plan_task_id", "unit_id", "category", "event_kind", "event_id", unique=True,
              sqlite_where=APPEAL_OPEN, postgresql_where=APPEAL_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    event_kind: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[int] = mapped_column(Integer)
    #: The line as the unit contested it.
    line_points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    line_text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[AppealStatus] = mapped_column(enum_column(AppealStatus), default=AppealStatus.OPEN, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: What the line counts once accepted (the adjustment line makes up the difference).
    adjusted_points: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))

    task: Mapped[PlanTask] = relationship()
    unit: Mapped[Unit] = relationship()
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def adjustment(self) -> Decimal | None:
        """Points the decision added to the line as contested (None unless accepted)."""
        return None if self.adjusted_points is None else self.adjusted_points - self.line_points
