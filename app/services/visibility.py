"""What a user may see: the whole bureau, or only their own unit."""
from __future__ import annotations

from app.errors import PermissionDenied
from app.models import Role, Unit, User

#: Roles that see every unit of the bureau.
BUREAU_WIDE_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.LEADER)


def sees_whole_bureau(user: User) -> bool:
    """True for 督审处, leaders and administrators."""
    return user.has_role(*BUREAU_WIDE_ROLES)


def ensure_can_view_unit(user: User, unit: Unit) -> None:
    """Unit staff see only their own unit.

    :raises PermissionDenied: the user acts for another unit.
    """
    if sees_whole_bureau(user) or user.unit_id == unit.id:
        return
    raise PermissionDenied("您只能查看本单位的信息。")
