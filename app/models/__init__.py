"""Every model, imported here so Alembic autogenerate sees them all."""
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.org import DirectoryAlias, GroupMembership, Organisation, Unit, UnitGroup, UnitKind
from app.models.user import Role, User, UserRole

__all__ = [
    "AuditEvent",
    "Base",
    "DirectoryAlias",
    "GroupMembership",
    "Organisation",
    "Role",
    "Unit",
    "UnitGroup",
    "UnitKind",
    "User",
    "UserRole",
]
