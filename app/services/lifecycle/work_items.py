"""Who may act on a work item, the inbox, and office handling: 签收 and 转办."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Row, Select, and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import workflow
from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    HandlingAction,
    Plan,
    PlanTask,
    Role,
    StepKey,
    Unit,
    User,
    WorkflowInstance,
    WorkItem,
    WorkItemHandling,
    WorkItemState,
)
from app.models.base import utcnow
from app.models.user import UNIT_ROLES
from app.services.infrastructure import audit, visibility
from app.services.lifecycle import step_notices
from app.services.lifecycle.item_filters import FilterChoices, ItemFilter, LightJudge, choices
from app.services.timing import deadlines


def may_act(user: User, item: WorkItem) -> bool:
    """True when ``user`` may work this item: 督审处's steps for a supervisor; a unit's step for a holder of the
    step's role in that unit, unless it was handed to a colleague. ``may_act_clause`` is this rule in SQL
    (tests/services/test_demo_activity.py proves the two agree on every row of the demo story)."""
    if item.role is Role.SUPERVISOR:
        return user.has_role(Role.SUPERVISOR) and _organisation_of(item) == visibility.organisation_id_of(user)
    return (item.role in _unit_roles(user) and user.unit_id is not None and item.unit_id == user.unit_id
            and item.assignee_id in (None, user.id))


def may_act_clause(user: User) -> ColumnElement[bool]:
    """``may_act`` as a WHERE clause on work items, to list them in one query."""
    clauses = []
    if user.has_role(Role.SUPERVISOR):
        # 督审处 works its own bureau's steps: a city's reviews are the city's 督查 staff's.
        own = visibility.instances_of_organisation(visibility.organisation_id_of(user) or 0)
        clauses.append(and_(WorkItem.role == Role.SUPERVISOR, WorkItem.instance_id.in_(own)))
    if (unit_roles := _unit_roles(user)) and user.unit_id is not None:
        clauses.append(and_(
            WorkItem.role.in_(unit_roles), WorkItem.unit_id == user.unit_id,
            or_(WorkItem.assignee_id.is_(None), WorkItem.assignee_id == user.id),
        ))
    return or_(false(), *clauses)


def _organisation_of(item: WorkItem) -> int | None:
    """The bureau whose task the item belongs to."""
    task_id = item.instance.plan_task_id
    return visibility.organisation_of_task(task_id) if task_id is not None else None


def _unit_roles(user: User) -> list[Role]:
    """The unit roles the user holds, in a fixed order."""
    return sorted(role for role in UNIT_ROLES if user.has_role(role))


_NOT_YOURS = "该待办不属于您或您所在的单位,无权办理。"


def ensure_may_act(user: User, item: WorkItem) -> None:
    """:raises PermissionDenied: the item belongs to another unit, role or colleague."""
    if not may_act(user, item):
        raise PermissionDenied(_NOT_YOURS)


def closed_message(item: WorkItem) -> str:
    """Why a closed item cannot be worked any more (the engine's late check says the same)."""
    return workflow.closed_message(item)


def race_lost_message(item: WorkItem) -> str:
    """What the loser of two submissions of ``item`` is told, however the database noticed."""
    return f"「{item.step_name}」已办理完毕,不能重复办理。"


def ensure_open(item: WorkItem) -> None:
    """:raises InvalidTransition: the item was completed or withdrawn meanwhile."""
    if item.state is not WorkItemState.OPEN:
        raise InvalidTransition(closed_message(item))


def _actionable(user: User) -> Select[WorkItem]:
    """Open items the user may act on, as one query."""
    return select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, may_act_clause(user))


#: 待办's order, the most urgent first and undated last: the order of ix_work_item_open_queue.
URGENT_FIRST = (WorkItem.due_at.asc().nulls_last(), WorkItem.id)


#: 已办's order: the last completed first.
LAST_DONE_FIRST = (WorkItem.completed_at.desc(), WorkItem.id.desc())


def inbox(user: User) -> list[WorkItem]:
    """待办: the user's open items, the most urgent first."""
    return list(db.session.scalars(_actionable(user).order_by(*URGENT_FIRST)))


#: Rows per page of a long list.
PAGE_SIZE = 50
#: The most rows a caller may ask for in one page (the API's ``per_page``).
MAX_PAGE_SIZE = 200
#: Page numbers beyond this name no page (and would overflow the database's OFFSET).
_LAST_PAGE = 2**31 - 1


def inbox_page(user: User, page: int, per_page: int = PAGE_SIZE, filters: ItemFilter | None = None,
               lit: LightJudge | None = None) -> Pagination:
    """One page of ``inbox`` (narrowed and sorted by ``filters``, lights judged by ``lit``), its rows' data
    loaded in a fixed number of queries."""
    query = (filters or ItemFilter()).apply(_actionable(user), utcnow(), URGENT_FIRST, lit)
    return paginate_items(query, page, per_page)


def inbox_choices(user: User) -> FilterChoices:
    """The plans, units and steps 待办's filter offers."""
    return choices(_actionable(user))


def _done(user: User) -> Select[WorkItem]:
    return select(WorkItem).where(WorkItem.completed_by_id == user.id)


def done_page(user: User, page: int, filters: ItemFilter | None = None, lit: LightJudge | None = None) -> Pagination:
    """已办: one page of the items the user completed, newest first unless ``filters`` sort otherwise."""
    return paginate_items((filters or ItemFilter()).apply(_done(user), utcnow(), LAST_DONE_FIRST, lit), page)


def done_choices(user: User) -> FilterChoices:
    """The plans, units and steps 已办's filter offers."""
    return choices(_done(user))


def paginate(query: Select[Any], page: int, per_page: int = PAGE_SIZE) -> Pagination:
    """Page ``page`` (1 when below, the last when past the end) of ``per_page`` rows
    (1 to ``MAX_PAGE_SIZE``)."""
    per_page = min(max(per_page, 1), MAX_PAGE_SIZE)
    result = db.paginate(query, page=min(max(page, 1), _LAST_PAGE), per_page=per_page, error_out=False)
    if result.pages and result.page > result.pages:
        result = db.paginate(query, page=result.pages, per_page=per_page, error_out=False)
    return result


def paginate_items(query: Select[WorkItem], page: int, per_page: int = PAGE_SIZE) -> Pagination:
    """A page of work items; their instances (without engine state), tasks and units preloaded."""
    result = paginate(query.options(selectinload(WorkItem.instance).load_only(
        WorkflowInstance.id, WorkflowInstance.plan_task_id)), page, per_page)
    # Held by the page: the session's identity map keeps rows only while something refers to them.
    result.preloaded = preload_rows(result.items)  # type: ignore[attr-defined]
    return result


def preload_rows(items: list[WorkItem]) -> list[object]:
    """Load the tasks and units the rows name into the session, so rendering a row queries nothing;
    keep the returned list while rendering."""
    task_ids = {item.instance.plan_task_id for item in items if item.instance.plan_task_id}
    unit_ids = {item.unit_id for item in items if item.unit_id}
    tasks = db.session.scalars(select(PlanTask).options(joinedload(PlanTask.plan))
                               .where(PlanTask.id.in_(task_ids))).all() if task_ids else []
    units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))).all() if unit_ids else []
    return [*tasks, *units]


def inbox_count(user: User) -> int:
    """How many open items wait for the user (for the navigation badge)."""
    return db.session.scalar(select(func.count()).select_from(_actionable(user).subquery())) or 0


def sign_for(item: WorkItem, actor: User) -> WorkItem:
    """签收: the unit takes the item on, timestamped.

    :raises InvalidTransition: signed for already, or no longer open.
    """
    ensure_may_act(actor, item)
    ensure_open(item)
    if item.signed_at is not None:
        raise InvalidTransition("该待办已签收。")
    item.signed_at = utcnow()
    db.session.add(WorkItemHandling(work_item_id=item.id, action=HandlingAction.SIGN_FOR, by_id=actor.id))
    audit.record(actor, "work_item", item.id, "signed_for")
    db.session.flush()
    return item


def hand_over(item: WorkItem, colleague_id: int | None, note: str | None, actor: User) -> User:
    """转办: hand the item to a colleague of the same unit and role; returns the colleague.

    :raises ValidationFailed: no colleague chosen, or one not of the unit, without the role, or inactive.
    """
    ensure_may_act(actor, item)
    ensure_open(item)
    colleague = db.session.get(User, colleague_id) if colleague_id else None
    if colleague is None:
        raise ValidationFailed("请选择要转办的同事。")
    if (colleague.unit_id != item.unit_id or not colleague.active or item.role is None
            or not colleague.has_role(item.role)):
        raise ValidationFailed("只能转给本单位具有相同角色、处于启用状态的同事。")
    before = {"assignee_id": item.assignee_id}
    item.assignee_id = colleague.id
    db.session.add(WorkItemHandling(
        work_item_id=item.id, action=HandlingAction.HAND_OVER, by_id=actor.id, to_user_id=colleague.id, note=note,
    ))
    audit.record(actor, "work_item", item.id, "handed_over", before=before, after={"assignee_id": colleague.id})
    db.session.flush()
    return colleague


def colleagues(item: WorkItem, actor: User) -> list[User]:
    """People the item can be handed to."""
    query = select(User).where(User.unit_id == item.unit_id, User.active.is_(True), User.id != actor.id)
    return [user for user in db.session.scalars(query.order_by(User.id)) if item.role and user.has_role(item.role)]


@dataclass(frozen=True)
class Begun:
    """What ``begin_step`` read under the instance lock: the row (the caller's columns by name) and the due rules."""

    row: Row[Any]
    rules: deadlines.DueRules | None


def _as_is(query: Select[Any]) -> Select[Any]:
    return query


#: The bureau whose task the locked instance serves, read with the lock (a 督审处 step's permission).
_BUREAU = (select(Plan.organisation_id).join(PlanTask, PlanTask.plan_id == Plan.id)
           .where(PlanTask.id == WorkflowInstance.plan_task_id).scalar_subquery().label("bureau_id"))


@cache
def _with_rules(along: Callable[[Select[Any]], Select[Any]]) -> Callable[[Select[Any]], Select[Any]]:
    """``along`` plus the instance's deadline rules and bureau (one function per ``along``, so its statement is
    built once)."""
    return lambda query: along(deadlines.with_due_rules(query, WorkflowInstance.plan_task_id).add_columns(_BUREAU))


def begin_step(item: WorkItem, actor: User, form_key: StepKey,
               along: Callable[[Select[Any]], Select[Any]] = _as_is, **params: Any) -> Begun:
    """Every step service starts here: the right kind of step, still open, and the actor may act on it.

    Then the item's instance is locked, and in the same statement the service's own rows (``along``
    adds them: the milestone, the decomposition…, with ``params`` as bind parameters) and the plan's
    deadline rules are read, fresh. ``along`` must be a module-level function: its statement is cached.

    :raises PermissionDenied: another unit's, role's or colleague's item.
    :raises InvalidTransition: completed or withdrawn meanwhile, or not this kind of step.
    """
    supervising = item.role is Role.SUPERVISOR and actor.has_role(Role.SUPERVISOR)
    if not supervising:  # a 督审处 step's bureau is checked on the locked row: no statement of its own
        ensure_may_act(actor, item)
    ensure_open(item)
    if item.form_key != form_key:
        raise InvalidTransition(f"「{item.step_name}」不是此类办理事项,请从待办列表进入。")
    row = workflow.lock_instance_with(item.instance_id, _with_rules(along), **params)
    if supervising and row.bureau_id != visibility.organisation_id_of(actor):
        raise PermissionDenied(_NOT_YOURS)
    return Begun(row, deadlines.due_rules_of(row))


def finish_step(item: WorkItem, actor: User, data: dict[str, object], begun: Begun | None = None,
                note: str | None = None) -> None:
    """Complete the item in the engine; the steps it opens get their due dates by the plan's rules, and the
    units concerned are told by the tick's fan-out (``note``: the verdict's comments, quoted in the notices).

    Pass what ``begin_step`` returned, so the rules it read are used; without it they are read when
    an opened step needs them.
    """
    date_item = deadlines.dating(item.instance.plan_task_id, begun.rules if begun else None)
    plan_task_id = item.instance.plan_task_id
    if plan_task_id is not None:  # before the engine's flush, which then writes it with the item's completion
        decision = data.get("decision")
        step_notices.defer(item, plan_task_id, decision if isinstance(decision, str) else None, note)

    def on_open(new: WorkItem) -> None:
        date_item(new)
        if plan_task_id is not None:
            step_notices.defer_opened(item, new)

    workflow.complete_work_item(item.id, actor.id, data, on_open=on_open)
