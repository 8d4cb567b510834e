"""What a user may see: the whole bureau, or only their own unit."""
from __future__ import annotations

from sqlalchemy import Select, exists, false, or_, select

from app.errors import PermissionDenied
from app.extensions import db
from app.models import Milestone, PlanTask, Role, TaskResponsibility, Unit, User, milestone_cooperator_table

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


def unit_takes_part(task: PlanTask, unit_id: int) -> bool:
    """True when the unit answers for the task or cooperates on one of its milestones."""
    answers = exists().where(TaskResponsibility.task_id == task.id, TaskResponsibility.unit_id == unit_id)
    cooperates = exists().where(
        Milestone.plan_task_id == task.id,
        milestone_cooperator_table.c.milestone_id == Milestone.id,
        milestone_cooperator_table.c.unit_id == unit_id,
    )
    return bool(db.session.scalar(select(or_(answers, cooperates))))


def ensure_can_view_task(user: User, task: PlanTask) -> None:
    """Unit staff see the tasks their unit takes part in.

    :raises PermissionDenied: the task does not involve the user's unit.
    """
    if sees_whole_bureau(user) or (user.unit_id is not None and unit_takes_part(task, user.unit_id)):
        return
    raise PermissionDenied("该任务不涉及您所在的单位,无权查看。")


def visible_task_ids(user: User) -> Select[int] | None:
    """The ids of the tasks ``user`` may see (as ``ensure_can_view_task`` decides), or None for all of them."""
    if sees_whole_bureau(user):
        return None
    if user.unit_id is None:
        return select(PlanTask.id).where(false())
    answers = select(TaskResponsibility.task_id).where(TaskResponsibility.unit_id == user.unit_id)
    cooperates = select(Milestone.plan_task_id).join(
        milestone_cooperator_table, milestone_cooperator_table.c.milestone_id == Milestone.id,
    ).where(milestone_cooperator_table.c.unit_id == user.unit_id)
    return select(PlanTask.id).where(or_(PlanTask.id.in_(answers), PlanTask.id.in_(cooperates)))
