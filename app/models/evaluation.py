"""Evaluation (考核评分): the scoring policy versions of a plan and the frozen score of each task per unit."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
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
