"""Every model, imported here so Alembic autogenerate sees them all."""
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.plan import (
    Plan,
    PlanImportDraft,
    PlanSection,
    PlanStatus,
    PlanTarget,
    PlanTask,
    ResponsibilityRole,
    TaskResponsibility,
)
from app.models.org import DirectoryAlias, GroupMembership, Organisation, Unit, UnitGroup, UnitKind
from app.models.user import Role, User, UserRole
from app.models.workflow import ProcessSpecVersion, WorkflowInstance, WorkflowStatus, WorkItem, WorkItemState

__all__ = [
    "AuditEvent",
    "Base",
    "DirectoryAlias",
    "GroupMembership",
    "Organisation",
    "Plan",
    "PlanImportDraft",
    "PlanSection",
    "PlanStatus",
    "PlanTarget",
    "PlanTask",
    "ProcessSpecVersion",
    "ResponsibilityRole",
    "TaskResponsibility",
    "Role",
    "Unit",
    "UnitGroup",
    "UnitKind",
    "User",
    "UserRole",
    "WorkItem",
    "WorkItemState",
    "WorkflowInstance",
    "WorkflowStatus",
]
