"""催办: 督审处 sends the unit holding an open work item a reminder with a message, by hand.

Each one is an Urge row (the evaluation counts them per task and unit), an in-app notice and
mail to the people who may act on the item, and an audit row. Since every 催办 costs the unit
points and lands in its people's inboxes, floods are refused: the same message to the same step
within ``URGE_REPEAT_MINUTES``, and more than ``URGES_PER_ITEM_PER_DAY`` on one step a (Beijing) day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from app.errors import DubanError, InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import NoticeKind, NoticeTopic, PlanTask, Role, Urge, User, WorkItem, WorkItemState
from app.models.base import utcnow
from app.services.infrastructure import audit, notices, visibility
from app.services.lifecycle import work_items
from app.services.lifecycle.item_filters import FilterChoices, ItemFilter, LightJudge, choices
from app.services.timing.workdays import BEIJING

MAX_MESSAGE = 2000


def urge(item: WorkItem, message: str, actor: User) -> Urge:
    """Send a 催办 on an open unit step.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: the item was completed or withdrawn meanwhile.
    :raises ValidationFailed: no message, one too long, or 督审处's own step.
    """
    if refusal := _refusal_to_urge(item, actor):
        raise refusal
    # Not in _refusal_to_urge: the list asks that per row, and lists only the actor's own bureau's items.
    visibility.ensure_own_organisation(actor, visibility.organisation_of_task(item.instance.plan_task_id or 0) or 0)
    message = (message or "").strip()
    if not message or len(message) > MAX_MESSAGE:
        raise ValidationFailed(f"请填写催办内容(不超过 {MAX_MESSAGE} 字)。")
    ensure_not_flooding(item, message, utcnow())
    row = Urge(work_item_id=item.id, plan_task_id=item.instance.plan_task_id, unit_id=item.unit_id,
               message=message, sent_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    task = db.session.get_one(PlanTask, row.plan_task_id)
    for user in people_to_act(item):
        title = f"催办:{task.supervision_number or ''}({task.plan.source_label})「{item.step_name}」"
        notices.notify(user, NoticeKind.INFO, f"urge:{row.id}", title, message, f"/work/items/{item.id}",
                       topic=NoticeTopic.URGED)
    audit.record(actor, "work_item", item.id, "urged", after={"urge": row.id, "message": message})
    return row


#: The most items one 批量催办 may name (a page of the list at most).
MAX_BULK = 200


@dataclass(frozen=True)
class UrgeOutcome:
    """One item of a 批量催办: urged, or refused and why (in Chinese)."""

    item: WorkItem
    urge: Urge | None
    refusal: str | None = None


def urge_many(items: list[WorkItem], message: str, actor: User) -> list[UrgeOutcome]:
    """批量催办: one message to several open unit steps, each urged or refused on its own.

    The flood limits apply per item; a refused item leaves nothing behind (its savepoint is rolled back) and
    the others go out. Anything other than a refusal propagates, and the caller's transaction then undoes all.

    :raises PermissionDenied: the actor is not 督审处 (nothing sent).
    :raises ValidationFailed: no item, too many, or no message (nothing sent).
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以催办。")
    if not items:
        raise ValidationFailed("请勾选要催办的事项。")
    if len(items) > MAX_BULK:
        raise ValidationFailed(f"一次最多催办 {MAX_BULK} 项。")
    if not (message or "").strip() or len(message.strip()) > MAX_MESSAGE:
        raise ValidationFailed(f"请填写催办内容(不超过 {MAX_MESSAGE} 字)。")
    outcomes = []
    for item in items:
        savepoint = db.session.begin_nested()
        try:
            row = urge(item, message, actor)
        except (ValidationFailed, InvalidTransition) as refusal:
            savepoint.rollback()
            outcomes.append(UrgeOutcome(item, None, refusal.message))
        else:
            savepoint.commit()
            outcomes.append(UrgeOutcome(item, row))
    return outcomes


def ensure_not_flooding(item: WorkItem, message: str, now: datetime) -> None:
    """Refuse a repeated 催办 within the window, or one more than the daily limit on the step.

    The item's row is locked first (PostgreSQL), so two 督审处 clicks at once cannot both pass.

    :raises ValidationFailed: saying which limit and when to try again.
    """
    db.session.scalar(select(WorkItem.id).where(WorkItem.id == item.id).with_for_update())
    config = current_app.config
    window, per_day = int(config["URGE_REPEAT_MINUTES"]), int(config["URGES_PER_ITEM_PER_DAY"])
    since = now - timedelta(minutes=window)
    recent = db.session.scalars(select(Urge).where(Urge.work_item_id == item.id, Urge.sent_at >= since)
                                .order_by(Urge.id))
    same = [u for u in recent if _words(u.message) == _words(message)]
    if same:
        at = same[-1].sent_at.astimezone(BEIJING).strftime("%H:%M")
        raise ValidationFailed(f"相同内容的催办已于 {at} 发送给「{item.step_name}」,{window} 分钟内不再重复发送。")
    day_start = datetime.combine(now.astimezone(BEIJING).date(), time(0), tzinfo=BEIJING)
    today = db.session.scalar(select(func.count(Urge.id)).where(Urge.work_item_id == item.id,
                                                                Urge.sent_at >= day_start)) or 0
    if today >= per_day:
        raise ValidationFailed(f"「{item.step_name}」今天已催办 {today} 次,已达每日 {per_day} 次的上限,请明天再催办。")


def _words(message: str) -> str:
    """A message without its spacing: the same words typed again count as the same 催办."""
    return "".join(message.split())


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
             .join(PlanTask, PlanTask.id == Urge.plan_task_id).where(PlanTask.plan_id == plan_id)
             .group_by(Urge.plan_task_id, Urge.unit_id))
    return {(task_id, unit_id): count for task_id, unit_id, count in db.session.execute(query)}


def urgeable_items(organisation_id: int | None = None) -> list[WorkItem]:
    """Every open unit step (of one bureau's tasks, when given), the most urgent first (what 督审处 may 催办)."""
    return list(db.session.scalars(_urgeable(organisation_id)))


def urgeable_page(page: int, filters: ItemFilter | None = None, lit: LightJudge | None = None,
                  organisation_id: int | None = None) -> Pagination:
    """One page of ``urgeable_items`` (narrowed and sorted by ``filters``, lights judged by ``lit``), rows'
    tasks and units preloaded."""
    query = (filters or ItemFilter()).apply(_urgeable(organisation_id), utcnow(), work_items.URGENT_FIRST, lit)
    return work_items.paginate_items(query, page)


def urgeable_choices(organisation_id: int | None = None) -> FilterChoices:
    """The plans, units and steps the 催办 list's filter offers."""
    return choices(_urgeable(organisation_id))


def _urgeable(organisation_id: int | None = None) -> Select[WorkItem]:
    query = select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.role != Role.SUPERVISOR,
                                   WorkItem.unit_id.is_not(None))
    if organisation_id is not None:
        query = query.where(WorkItem.instance_id.in_(visibility.instances_of_organisation(organisation_id)))
    return query.order_by(*work_items.URGENT_FIRST)


def may_urge(user: User, item: WorkItem) -> bool:
    """True when ``user`` may send a 催办 on ``item`` (the form shows): 督审处, on an open step of a unit's task."""
    return _refusal_to_urge(item, user) is None


def _refusal_to_urge(item: WorkItem, actor: User) -> DubanError | None:
    if not actor.has_role(Role.SUPERVISOR):
        return PermissionDenied("只有督审处可以催办。")
    if item.state is not WorkItemState.OPEN:
        return InvalidTransition(work_items.closed_message(item))
    if item.role is Role.SUPERVISOR or item.unit_id is None or item.instance.plan_task_id is None:
        return ValidationFailed("只能催办责任单位正在办理的事项。")
    return None
