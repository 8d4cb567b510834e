"""催办: 督审处 sends the unit holding an open work item a reminder with a message, by hand.

Each one is an Urge row (the evaluation counts them per task and unit), an in-app notice and
mail to the people who may act on the item, and an audit row.
"""
from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import NoticeKind, PlanTask, Role, Urge, User, WorkItem, WorkItemState
from app.services import audit, notices, work_items

MAX_MESSAGE = 2000


def urge(item: WorkItem, message: str, actor: User) -> Urge:
    """Send a 催办 on an open unit step.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: the item was completed or withdrawn meanwhile.
    :raises ValidationFailed: no message, one too long, or 督审处's own step.
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以催办。")
    work_items.ensure_open(item)
    message = (message or "").strip()
    if item.role is Role.SUPERVISOR or item.unit_id is None or item.instance.plan_task_id is None:
        raise ValidationFailed("只能催办责任单位正在办理的事项。")
    if not message or len(message) > MAX_MESSAGE:
        raise ValidationFailed(f"请填写催办内容(不超过 {MAX_MESSAGE} 字)。")
    row = Urge(work_item_id=item.id, plan_task_id=item.instance.plan_task_id, unit_id=item.unit_id,
               message=message, sent_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    task = db.session.get(PlanTask, row.plan_task_id)
    for user in people_to_act(item):
        title = f"催办:{task.supervision_number or ''}「{item.step_name}」"
        notices.notify(user, NoticeKind.INFO, f"urge:{row.id}", title, message, f"/work/items/{item.id}")
    audit.record(actor, "work_item", item.id, "urged", after={"urge": row.id, "message": message})
    return row


def people_to_act(item: WorkItem) -> list[User]:
    """The active people of the item's unit who may work it."""
    query = select(User).where(User.unit_id == item.unit_id, User.active.is_(True)).order_by(User.id)
    return [user for user in db.session.scalars(query) if work_items.may_act(user, item)]


def urges_of(item: WorkItem) -> list[Urge]:
    """The item's 催办, oldest first."""
    return list(db.session.scalars(select(Urge).where(Urge.work_item_id == item.id).order_by(Urge.id)))


def urge_counts(item_ids: list[int]) -> dict[int, int]:
    """How many 催办 each of the items received (absent: none)."""
    query = (select(Urge.work_item_id, func.count(Urge.id)).where(Urge.work_item_id.in_(item_ids))
             .group_by(Urge.work_item_id))
    return {item_id: count for item_id, count in db.session.execute(query)}


def urge_counts_by_unit(plan_id: int) -> dict[int, int]:
    """How many 催办 each unit received on the plan's tasks."""
    query = (select(Urge.unit_id, func.count(Urge.id)).join(PlanTask, PlanTask.id == Urge.plan_task_id)
             .where(PlanTask.plan_id == plan_id).group_by(Urge.unit_id))
    return {unit_id: count for unit_id, count in db.session.execute(query)}


def urge_counts_by_task(plan_id: int) -> dict[tuple[int, int], int]:
    """How many 催办 each (task, unit) received on the plan."""
    query = (select(Urge.plan_task_id, Urge.unit_id, func.count(Urge.id))
             .join(PlanTask, PlanTask.id == Urge.plan_task_id).where(PlanTask.plan_id == plan_id).group_by(Urge.plan_task_id, Urge.unit_id))
    return {(task_id, unit_id): count for task_id, unit_id, count in db.session.execute(query)}


def urgeable_items() -> list[WorkItem]:
    """Every open unit step, the most urgent first (what 督审处 may 催办)."""
    return list(db.session.scalars(_urgeable()))


def urgeable_page(page: int) -> Pagination:
    """One page of ``urgeable_items``, rows' tasks and units preloaded."""
    return work_items.paginate_items(_urgeable(), page)


def _urgeable() -> Select[tuple[WorkItem]]:
    return (select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.role != Role.SUPERVISOR,
                                   WorkItem.unit_id.is_not(None))
            .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id))


def may_urge(user: User, item: WorkItem) -> bool:
    """True when ``user`` may send a 催办 on ``item`` (for showing the button)."""
    return (user.has_role(Role.SUPERVISOR) and item.state is WorkItemState.OPEN
            and item.role is not Role.SUPERVISOR and item.unit_id is not None)
