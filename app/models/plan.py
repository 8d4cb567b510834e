"""An imported work plan: sections, tasks, who answers for each task, and its targets."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.org import Organisation, Unit, UnitGroup
from app.models.user import User


class PlanStatus(enum.StrEnum):
    """Plans are archived, never deleted."""

    ACTIVE = "active"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return {"active": "执行中", "archived": "已归档"}[self.value]


class PlanKind(enum.StrEnum):
    """Where supervised work comes from: a plan document, or a single item registered by 督审处 (立项)."""

    PLAN = "plan"
    LEADER_INSTRUCTION = "leader_instruction"
    MEETING_DECISION = "meeting_decision"
    ASSIGNED_BY_SUPERIOR = "assigned_by_superior"
    NPC_SUGGESTION = "npc_suggestion"
    CPPCC_PROPOSAL = "cppcc_proposal"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"plan": "工作计划", "leader_instruction": "领导批示", "meeting_decision": "会议议定",
                "assigned_by_superior": "上级交办", "npc_suggestion": "人大建议", "cppcc_proposal": "政协提案",
                "other": "其他"}[self.value]

    @property
    def is_item(self) -> bool:
        """True for a single registered 督办事项 rather than a plan document."""
        return self is not PlanKind.PLAN

    def item_label(self, document_number: str | None) -> str:
        """How lists name a registered item's source: 领导批示 鄂市监批〔2026〕3号."""
        return " ".join(part for part in (self.label, document_number) if part)

    @classmethod
    def item_sources(cls) -> list[PlanKind]:
        """The sources a registered 督办事项 may have."""
        return [kind for kind in cls if kind.is_item]


class ResponsibilityRole(enum.StrEnum):
    """How a unit or group answers for a task."""

    #: 牵头: leads the task (decomposes it, reports on it).
    LEAD = "lead"
    #: 负责 / 分工负责 with no lead named: answers for the task on an equal footing.
    RESPONSIBLE = "responsible"
    #: 配合 / 分工负责 beside a lead: contributes its part.
    COOPERATING = "cooperating"

    @property
    def label(self) -> str:
        return {"lead": "牵头", "responsible": "负责", "cooperating": "配合"}[self.value]


class HoldKind(enum.StrEnum):
    """How a task stopped short of 办结 at its responsible unit's request, 督审处 approving."""

    #: 中止: supervision stops (superseded, or blocked by an outside cause); the task is out of lights and reminders.
    SUSPEND = "suspend"
    #: 阶段性办结: this stage is closed (work goes on in a long-term way); the task counts as closed.
    STAGE_CLOSE = "stage_close"

    @property
    def label(self) -> str:
        return {"suspend": "中止", "stage_close": "阶段性办结"}[self.value]

    @property
    def state_label(self) -> str:
        """The task's state once approved."""
        return {"suspend": "已中止", "stage_close": "阶段性办结"}[self.value]


class Priority(enum.StrEnum):
    """How urgently a task is supervised."""

    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return {"normal": "一般", "urgent": "急办", "critical": "特急"}[self.value]


class Plan(Base):
    """One imported plan document (工作要点), or the container of one registered 督办事项 (``kind`` its source).

    A registered item is a plan of one task, so it runs the same lifecycle and shows in every list and figure.
    """

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("organisation_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    year: Mapped[int]
    issuing_body: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[date | None] = mapped_column(Date)
    document_number: Mapped[str | None] = mapped_column(String(100))
    #: sha256 of the normalised document text: the same document is never imported twice.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The uploaded file's name, or "粘贴文本".
    source_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.ACTIVE)
    kind: Mapped[PlanKind] = mapped_column(enum_column(PlanKind), default=PlanKind.PLAN, server_default="plan")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: 任务变更需局领导审批: plan-page task edits wait as 待审批 until a leader approves them.
    changes_need_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The provincial plan this city plan was dispatched from (下发); None for a plan of the organisation's own.
    dispatched_from_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)

    organisation: Mapped[Organisation] = relationship()
    imported_by: Mapped[User | None] = relationship()
    sections: Mapped[list[PlanSection]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanSection.number"
    )
    tasks: Mapped[list[PlanTask]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanTask.number"
    )

    @property
    def source_label(self) -> str:
        """How lists name where an item comes from: the plan's title, or the source and 文号 of an item."""
        return self.kind.item_label(self.document_number) if self.kind.is_item else self.title


class PlanSection(Base):
    """A part of the plan (一、二、…)."""

    __tablename__ = "plan_section"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))

    plan: Mapped[Plan] = relationship(back_populates="sections")


class PlanTask(Base):
    """One numbered task of a plan, with its full text."""

    __tablename__ = "plan_task"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("plan_section.id"), index=True)
    number: Mapped[int]
    #: The first sentence.
    title: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    #: 督办编号, e.g. 督〔2023〕16号; set when supervision starts.
    supervision_number: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL, server_default="normal")
    #: The final deadline of a registered 督办事项 (办结时限); None for plan tasks, whose milestones set the dates.
    final_deadline: Mapped[date | None] = mapped_column(Date)
    #: The final date the plan sets ("6月底前", a table's 完成时限): the default end of its decomposition.
    suggested_due: Mapped[date | None] = mapped_column(Date)
    #: How the plan wrote that deadline ("6月底前", "持续推进").
    deadline_phrase: Mapped[str | None] = mapped_column(String(60))
    #: Set when a revision of the plan drops the task: it stays, with its history, but no work goes on.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: Set when 督审处 approved a 中止 or 阶段性办结 request (``TaskHoldRequest``): when, and which.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_kind: Mapped[HoldKind | None] = mapped_column(enum_column(HoldKind))
    #: 市州落实: the cities carry this task out too, so a dispatch of the plan sends it down.
    for_cities: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The provincial task a city task was dispatched from; None for a task of the organisation's own.
    parent_task_id: Mapped[int | None] = mapped_column(ForeignKey("plan_task.id"), index=True)

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    section: Mapped[PlanSection | None] = relationship()
    responsibilities: Mapped[list[TaskResponsibility]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskResponsibility.position"
    )
    targets: Mapped[list[PlanTarget]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="PlanTarget.span_start"
    )

    def holders(self, role: ResponsibilityRole) -> list[TaskResponsibility]:
        """The units and groups holding ``role`` on this task, in document order."""
        return [r for r in self.responsibilities if r.role is role]


def held_by(moment: datetime | None, *kinds: HoldKind) -> ColumnElement[bool]:
    """SQL: the task had been suspended or its stage closed (only ``kinds``, when given) before ``moment``
    (None: by now) — the one as-of reading of a hold."""
    # IS NOT NULL first: a NULL comparison would make the negation NULL too, dropping tasks never held.
    held = [PlanTask.held_at.is_not(None)] + ([] if moment is None else [PlanTask.held_at < moment])
    return and_(*held, PlanTask.hold_kind.in_(list(kinds or HoldKind)))


class TaskResponsibility(Base):
    """A unit or a group answering for a task in one role."""

    __tablename__ = "task_responsibility"
    __table_args__ = (CheckConstraint("(unit_id IS NULL) <> (group_id IS NULL)", name="one_holder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    role: Mapped[ResponsibilityRole] = mapped_column(enum_column(ResponsibilityRole))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("unit_group.id"), index=True)
    #: The name as the document writes it (the directory may call it otherwise).
    written_as: Mapped[str] = mapped_column(String(200))
    #: Order in the annotation.
    position: Mapped[int]

    task: Mapped[PlanTask] = relationship(back_populates="responsibilities")
    unit: Mapped[Unit | None] = relationship()
    group: Mapped[UnitGroup | None] = relationship()

    @property
    def holder_name(self) -> str:
        """The directory's name of the unit or group."""
        holder = self.unit or self.group
        return holder.name if holder else self.written_as


class SupervisionNumber(Base):
    """A 督办编号 taken: one sequence per organisation and year, across plans and registered items."""

    __tablename__ = "supervision_number"
    __table_args__ = (UniqueConstraint("organisation_id", "year", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    year: Mapped[int]
    serial: Mapped[int]
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), unique=True)


class PlanTarget(Base):
    """A quantitative target in a task's text ("抽检食品23万批次" → 230000 批次)."""

    __tablename__ = "plan_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    #: Unit of measure: 个, 项, 批次, %, 批次/千人 …
    unit: Mapped[str] = mapped_column(String(30))
    #: ">=", "=", "<=", or None for a bare number.
    comparator: Mapped[str | None] = mapped_column(String(2))
    phrase: Mapped[str] = mapped_column(String(300))
    span_start: Mapped[int]
    span_end: Mapped[int]

    task: Mapped[PlanTask] = relationship(back_populates="targets")

    @property
    def span(self) -> tuple[int, int]:
        """Where the phrase sits in the task text."""
        return (self.span_start, self.span_end)


class PlanImportDraft(Base):
    """An uploaded or pasted document waiting for review and confirmation.

    Kept in the database (not the session) so several web workers share it and
    nothing the user submitted is lost between preview and confirmation.
    """

    __tablename__ = "plan_import_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source_name: Mapped[str] = mapped_column(String(255))
    year: Mapped[int]
    #: The document as text (decoded, .docx numbering reconstructed); re-parsed on confirmation.
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: "document" (text re-parsed on confirmation) or "table" (``text`` holds the table's rows as JSON).
    kind: Mapped[str] = mapped_column(String(16), default="document", server_default="document")
    #: For a table: which column plays which role ({"task": 1, "lead": 2, …}), as guessed or as the clerk set it.
    columns: Mapped[dict[str, int | None] | None] = mapped_column(JSON)
    #: The plan this document revises (same organisation and title, or chosen): confirming applies a change set.
    revises_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    #: Set once confirmed; a confirmed draft cannot be confirmed again.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))

    organisation: Mapped[Organisation] = relationship()
    plan: Mapped[Plan | None] = relationship(foreign_keys=[plan_id])
    revises_plan: Mapped[Plan | None] = relationship(foreign_keys=[revises_plan_id])


class TaskChangeRequest(Base):
    """A plan-page task change (edit, cancel, add) waiting for a leader, on a plan whose changes need approval.

    ``payload`` holds what the form said; approving applies it then, if the task (or plan) is as it was.
    """

    __tablename__ = "task_change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    plan_task_id: Mapped[int | None] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"))
    #: "edit", "cancel" or "add".
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    #: What the change does, in words (修改任务(责任单位) …), and its before/after for the leader.
    summary: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: "pending", "approved" or "refused" (ExtensionStatus's values).
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship()
    task: Mapped[PlanTask | None] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
