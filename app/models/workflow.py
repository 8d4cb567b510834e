"""Workflow engine storage: diagram versions, process instances and the work-item projection.

Only ``app/workflow`` writes these rows. The inbox reads ``WorkItem``; nobody queries
the serialized engine state.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.user import Role


class ProcessSpecVersion(Base):
    """One stored version of one executable BPMN process; immutable once written."""

    __tablename__ = "process_spec_version"
    __table_args__ = (
        UniqueConstraint("process_id", "sha256"),
        UniqueConstraint("process_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The BPMN process id (``task_lifecycle``, ``milestone``).
    process_id: Mapped[str] = mapped_column(String(100))
    #: 1, 2, 3… per process_id, in deployment order.
    version: Mapped[int]
    #: sha256 of the file bytes, hex.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file name it came from (``task_lifecycle.bpmn``).
    source_name: Mapped[str] = mapped_column(String(255))
    #: Read only when a version is parsed (once per process and content hash) or shown.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BindingScope(enum.StrEnum):
    """What a process binding applies to; the value is a plan id, a PlanKind (item source) or a Priority.

    DEFAULT (value "") pins the current version of the process for everything else; without it the
    newest version is current.
    """

    DEFAULT = "default"
    PLAN = "plan"
    SOURCE = "source"
    PRIORITY = "priority"

    @property
    def label(self) -> str:
        return {"default": "默认", "plan": "工作计划", "source": "事项来源", "priority": "紧急程度"}[self.value]


class ProcessBinding(Base):
    """New instances of ``process_id`` in a scope start on ``spec_version`` instead of the newest version.

    A plan's binding wins over its source's, and that over its priority's, and that over the default.
    """

    __tablename__ = "process_binding"
    __table_args__ = (UniqueConstraint("process_id", "scope_kind", "scope_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    scope_kind: Mapped[BindingScope] = mapped_column(enum_column(BindingScope))
    scope_value: Mapped[str] = mapped_column(String(50))
    spec_version_id: Mapped[int] = mapped_column(ForeignKey("process_spec_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    spec_version: Mapped[ProcessSpecVersion] = relationship()


class WorkflowStatus(enum.StrEnum):
    """Where a process instance stands."""

    #: At least one human step is open.
    RUNNING = "running"
    #: No human step is open; the instance waits for an event (e.g. all milestones approved).
    WAITING = "waiting"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {"running": "办理中", "waiting": "等待中", "completed": "已完成"}[self.value]


class InstanceKind(enum.StrEnum):
    """The business row a process instance drives; its foreign-key column is ``<kind>_id``."""

    DECOMPOSITION = "decomposition"
    MILESTONE = "milestone"
    RECTIFICATION = "rectification"
    PROGRESS_REPORT = "progress_report"

    @property
    def column(self) -> str:
        """The WorkflowInstance column holding the row's id."""
        return f"{self.value}_id"


def _links_match_kind() -> str:
    """SQL: the column of the instance's kind is set and no other (none when the instance has no kind)."""
    links = " + ".join(f"CASE WHEN {kind.column} IS NULL THEN 0 ELSE 1 END" for kind in InstanceKind)
    matching = "CASE kind " + " ".join(f"WHEN '{kind.value}' THEN {kind.column}" for kind in InstanceKind) + " END"
    return f"(kind IS NULL AND {links} = 0) OR (kind IS NOT NULL AND {links} = 1 AND {matching} IS NOT NULL)"


class WorkflowInstance(Base):
    """One running (or finished) process instance and its serialized engine state."""

    __tablename__ = "workflow_instance"
    __table_args__ = (CheckConstraint(_links_match_kind(), name="links_match_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The diagram version it started on; it never moves to another one.
    spec_version_id: Mapped[int] = mapped_column(ForeignKey("process_spec_version.id"), index=True)
    plan_task_id: Mapped[int | None] = mapped_column(ForeignKey("plan_task.id"), index=True)
    #: Which business row the instance drives; None only for bare engine instances (tests, benchmarks).
    kind: Mapped[InstanceKind | None] = mapped_column(enum_column(InstanceKind))
    decomposition_id: Mapped[int | None] = mapped_column(ForeignKey("decomposition.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"), index=True)
    rectification_id: Mapped[int | None] = mapped_column(ForeignKey("rectification.id"), index=True)
    #: use_alter: progress_report.instance_id points back here.
    progress_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("progress_report.id", use_alter=True), index=True
    )
    status: Mapped[WorkflowStatus] = mapped_column(enum_column(WorkflowStatus), default=WorkflowStatus.RUNNING)
    #: SpiffWorkflow state only (the spec is stored once in process_spec_version); completed branches pruned.
    state: Mapped[str] = mapped_column(Text)
    #: BPMN ids of every step completed so far, kept because pruning drops old branches from ``state``.
    completed_step_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Optimistic lock: every UPDATE checks and bumps it.
    row_version: Mapped[int] = mapped_column(default=1)
    #: Set while an administrator holds the instance: it takes no completions and its items get no reminders.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why an administrator ended the instance before its end event.
    ended_reason: Mapped[str | None] = mapped_column(String(500))
    #: The engine step that failed (a script error, a missing variable) and why, in Chinese, until a retry succeeds.
    incident_step: Mapped[str | None] = mapped_column(String(100))
    incident_message: Mapped[str | None] = mapped_column(Text)
    incident_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    spec_version: Mapped[ProcessSpecVersion] = relationship()

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012 (SQLAlchemy types it as an instance variable)

    def link_to(self, kind: InstanceKind, row_id: int) -> None:
        """Point the instance at the business row it drives."""
        self.kind = kind
        setattr(self, kind.column, row_id)

    @property
    def linked_id(self) -> int | None:
        """The id of the business row it drives (in the column of its kind)."""
        return getattr(self, self.kind.column) if self.kind else None


class StepKey(enum.StrEnum):
    """A human step's ``formKey`` in processes/*.bpmn: names its form, its work items and the verdicts it records."""

    DECOMPOSITION = "decomposition"
    DECOMPOSITION_REVIEW = "decomposition_review"
    MILESTONE_REPORT = "milestone_report"
    COOPERATING_CONTRIBUTION = "cooperating_contribution"
    HEAD_SIGNOFF = "head_signoff"
    REPORT_REVIEW = "report_review"
    TASK_CLOSURE = "task_closure"
    PROGRESS_REPORT = "progress_report"
    RECTIFICATION_PLAN = "rectification_plan"
    RECTIFICATION_PLAN_REVIEW = "rectification_plan_review"
    RECTIFICATION_RESULT = "rectification_result"
    RECTIFICATION_VERIFY = "rectification_verify"


class WorkItemState(enum.StrEnum):
    """The life of one human step."""

    OPEN = "open"
    COMPLETED = "completed"
    #: The engine withdrew it (the process moved on without it).
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"open": "待办", "completed": "已办", "cancelled": "已撤销"}[self.value]


#: Open items whose due date still has notices to send (the sweep repeats it verbatim so the partial index applies).
TO_CHASE = text("state = 'open' AND due_at IS NOT NULL AND (chased_due_at IS NULL OR chased_due_at <> due_at)")


#: Completed items whose step still has to tell others (repeated verbatim so the partial index applies).
FAN_OUT_PENDING = text("fan_out IS NOT NULL")


class WorkItem(Base):
    """One human step of an instance, projected from the engine for the inbox."""

    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_state_unit_id", "state", "unit_id"),
        # The deadline sweep's index: only open items whose notices are not all sent yet.
        Index("ix_work_item_to_chase", "state", "due_at", sqlite_where=TO_CHASE, postgresql_where=TO_CHASE),
        Index("ix_work_item_open_created", "state", "created_at", sqlite_where=text("state = 'open'"),
              postgresql_where=text("state = 'open'")),
        # The stagnation check's index: open items by when they are next worth a look.
        Index("ix_work_item_stagnation_check", "state", "stagnation_check_at",
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
        # 待办 by role, the most urgent first (督审处's queue spans every unit): a page is the index's first rows.
        Index("ix_work_item_open_queue", "role", "due_at", "id",
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
        # 已办: a person's completed items, newest first.
        Index("ix_work_item_completed_by", "completed_by_id", "completed_at", "id"),
        # The fan-out's index: completed items whose notices and search entries are still to be written.
        Index("ix_work_item_fan_out", "id", sqlite_where=FAN_OUT_PENDING, postgresql_where=FAN_OUT_PENDING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id", ondelete="CASCADE"), index=True)
    #: The SpiffWorkflow task UUID.
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: The BPMN element id (``report``).
    step_id: Mapped[str] = mapped_column(String(100))
    step_name: Mapped[str] = mapped_column(String(200))
    #: A StepKey for Duban's diagrams (kept as text: the engine stores whatever a diagram declares).
    form_key: Mapped[str | None] = mapped_column(String(64))
    #: The lane's name in the diagram (牵头单位, 督审处…).
    lane: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[Role | None] = mapped_column(enum_column(Role))
    #: The unit that must act, from the task data (``unit_id`` or the step's ``unitVariable``).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    #: Small ids from the task data, e.g. {"milestone_id": 3}.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[WorkItemState] = mapped_column(enum_column(WorkItemState), default=WorkItemState.OPEN)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The colleague the item was handed to (转办); None means anyone of the unit with the role.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: When the unit signed for (签收) the item; the full record is in work_item_handling.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The due date whose every notice (up to the last escalation) has gone out; reset when the date moves.
    chased_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: No notice about the current due date falls before this instant (None: look now); reset when it moves.
    chase_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Not stagnant before this instant (a lower bound, since updates only push it later); None: look now.
    stagnation_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set by the step that completed the item, in its own UPDATE (no statement of its own): what the tick
    #: still has to tell others (the verdict, the steps it opened by engine task id, the task to re-index).
    #: None once the notices and search entries are written (``step_notices.fan_out``).
    fan_out: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    instance: Mapped[WorkflowInstance] = relationship()
