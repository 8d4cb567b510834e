"""What a user may see: the whole bureau (and the bureaus below it), or only their own unit.

Every user works in one organisation (their unit's; for a leader or administrator without a unit, the one
their account names, else the province). 督审处, leaders and administrators see everything of their
organisation and of every organisation below it (the province sees its cities); unit staff see their unit's
tasks. Acting is narrower: a bureau-wide role acts only inside its own organisation (``ensure_own``).
"""
from __future__ import annotations

from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from app.errors import PermissionDenied
from app.extensions import db
from app.models import (
    Milestone,
    Organisation,
    Plan,
    PlanTask,
    Role,
    TaskResponsibility,
    Unit,
    User,
    WorkflowInstance,
    milestone_cooperator_table,
)

#: Roles that see every unit of the bureau.
BUREAU_WIDE_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.LEADER)


def sees_whole_bureau(user: User) -> bool:
    """True for 督审处, leaders and administrators."""
    return user.has_role(*BUREAU_WIDE_ROLES)


def root_organisation_id() -> int | None:
    """The province: the organisation with no bureau above it (the first one, should there be several)."""
    return db.session.scalar(select(Organisation.id).where(Organisation.parent_id.is_(None)).order_by(Organisation.id))


def organisation_id_of(user: User) -> int | None:
    """The organisation the user works in; None only while no organisation exists.

    Asked for every row of some pages, so it is looked up once per session and unit (one statement, however
    much the session has loaded already: pages count their statements). A unit never changes bureau, and a
    user's own bureau is set once, when the account is made.
    """
    if user.unit_id is None and user.organisation_id is not None:
        return user.organisation_id
    known: dict[tuple[int, int | None], int] = db.session.info.setdefault(_KNOWN, {})
    key = (user.id, user.unit_id)
    if key in known:
        return known[key]
    unit = select(Unit.organisation_id).where(Unit.id == user.unit_id).scalar_subquery()
    root = (select(Organisation.id).where(Organisation.parent_id.is_(None)).order_by(Organisation.id).limit(1)
            .scalar_subquery())
    found = db.session.scalar(select(func.coalesce(unit, root)))
    if found is not None:  # no organisation yet: ask again once the directory is loaded
        known[key] = found
    return found


#: Where ``organisation_id_of`` keeps what it looked up in this session.
_KNOWN = "duban_organisation_of_user"



def organisation_and_below(organisation_id: int) -> list[int]:
    """The organisation and every organisation under it (province → cities → counties), in one statement."""
    tree = select(Organisation.id).where(Organisation.id == organisation_id).cte("tree", recursive=True)
    below = aliased(Organisation)
    tree = tree.union_all(select(below.id).join(tree, below.parent_id == tree.c.id))
    return [organisation_id, *db.session.scalars(select(tree.c.id).where(tree.c.id != organisation_id)
                                                 .order_by(tree.c.id))]


def visible_organisation_ids(user: User) -> list[int]:
    """The organisations whose items the user may see: their own, and for bureau-wide roles those below."""
    own = organisation_id_of(user)
    if own is None:
        return []
    return organisation_and_below(own) if sees_whole_bureau(user) else [own]


def may_view_organisation(user: User, organisation_id: int) -> bool:
    """True when ``organisation_id`` is the user's or, for a bureau-wide role, one below it."""
    return organisation_id in visible_organisation_ids(user)


def ensure_can_view_organisation(user: User, organisation_id: int) -> None:
    """:raises PermissionDenied: the object belongs to a bureau the user may not see (another city's)."""
    if not may_view_organisation(user, organisation_id):
        raise PermissionDenied("该内容属于其他机构,无权查看。")


def ensure_own_organisation(user: User, organisation_id: int) -> None:
    """Acting (approving, archiving, administering) happens inside one's own organisation only.

    :raises PermissionDenied: the object belongs to another organisation, above, beside or below.
    """
    if organisation_id_of(user) != organisation_id:
        raise PermissionDenied("该内容属于其他机构,只能由该机构办理。")


def organisation_of_task(task_id: int) -> int | None:
    """The bureau whose plan holds the task: from the session's identity map when the task is loaded (a task
    page's history), else one small query (a step's permission check stays within its statement budget)."""
    task = db.session.identity_map.get(identity_key(PlanTask, task_id))
    if isinstance(task, PlanTask):
        return task.plan.organisation_id
    return db.session.scalar(select(Plan.organisation_id).join(PlanTask, PlanTask.plan_id == Plan.id)
                             .where(PlanTask.id == task_id))


def tasks_of_organisation(organisation_id: int) -> Select[int]:
    """The ids of the organisation's own tasks (not those of the bureaus below), for ``IN`` clauses."""
    return select(PlanTask.id).join(Plan, Plan.id == PlanTask.plan_id).where(Plan.organisation_id == organisation_id)


def instances_of_organisation(organisation_id: int) -> Select[int]:
    """The ids of the workflow instances of the organisation's own tasks (a work item's bureau)."""
    return select(WorkflowInstance.id).where(WorkflowInstance.plan_task_id.in_(tasks_of_organisation(organisation_id)))


def ensure_can_view_unit(user: User, unit: Unit) -> None:
    """Unit staff see only their own unit; bureau-wide roles the units of the bureaus they see.

    :raises PermissionDenied: the user acts for another unit, or the unit is another bureau's.
    """
    if user.unit_id == unit.id or (sees_whole_bureau(user) and may_view_organisation(user, unit.organisation_id)):
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
    if sees_whole_bureau(user):
        if may_view_organisation(user, task.plan.organisation_id):
            return
    elif user.unit_id is not None and unit_takes_part(task, user.unit_id):
        return
    raise PermissionDenied("该任务不涉及您所在的单位,无权查看。")


def visible_task_ids(user: User) -> Select[int] | None:
    """The ids of the tasks ``user`` may see (as ``ensure_can_view_task`` decides), or None for all of them
    (the province's bureau-wide roles, who see every bureau)."""
    if sees_whole_bureau(user):
        own = organisation_id_of(user)
        if own is not None and own == root_organisation_id():
            return None
        return (select(PlanTask.id).join(Plan, Plan.id == PlanTask.plan_id)
                .where(Plan.organisation_id.in_(visible_organisation_ids(user))))
    if user.unit_id is None:
        return select(PlanTask.id).where(false())
    answers = select(TaskResponsibility.task_id).where(TaskResponsibility.unit_id == user.unit_id)
    cooperates = select(Milestone.plan_task_id).join(
        milestone_cooperator_table, milestone_cooperator_table.c.milestone_id == Milestone.id,
    ).where(milestone_cooperator_table.c.unit_id == user.unit_id)
    return select(PlanTask.id).where(or_(PlanTask.id.in_(answers), PlanTask.id.in_(cooperates)))
