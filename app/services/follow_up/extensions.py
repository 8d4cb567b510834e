"""延期申请: a unit asks for a later due date on one open step; 督审处 approves or refuses.

The database keeps at most one pending request per work item (a partial unique index),
and a decision is a compare-and-set on the request's status, so a double submit or a
second reviewer on a stale page is refused instead of deciding twice.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import FieldRefused, InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    NoticeTopic,
    PlanTask,
    Rectification,
    Role,
    StepKey,
    Unit,
    User,
    WorkflowInstance,
    WorkItem,
)
from app.models.base import utcnow
from app.models.user import UNIT_ROLES
from app.services.follow_up import rectification
from app.services.infrastructure import audit, notices, visibility
from app.services.lifecycle import reporting, step_notices, work_items
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING, end_of_day

T = TypeVar("T")


def pending_of(item: WorkItem) -> ExtensionRequest | None:
    """The item's request still waiting for 督审处, if any."""
    query = select(ExtensionRequest).where(ExtensionRequest.work_item_id == item.id,
                                           ExtensionRequest.status == ExtensionStatus.PENDING)
    return db.session.scalar(query)


def ensure_may_request(user: User, item: WorkItem) -> None:
    """:raises PermissionDenied: another unit's item, or a step of 督审处 itself.
    :raises InvalidTransition: the item was completed or withdrawn meanwhile.
    """
    work_items.ensure_may_act(user, item)
    if item.role not in UNIT_ROLES:
        raise PermissionDenied("只有承办单位的办理事项可以申请延期。")
    work_items.ensure_open(item)


def request_extension(item: WorkItem, requested: date | None, reason: str | None,
                      actor: User) -> ExtensionRequest:
    """Ask 督审处 to move the item's due date to the end of ``requested``.

    :raises PermissionDenied: another unit's item, or a step of 督审处 itself.
    :raises InvalidTransition: the item is no longer open, or a request is already pending.
    :raises ValidationFailed: no reason, no date, or a date not later than the current due date.
    """
    ensure_may_request(actor, item)
    if pending_of(item) is not None:
        raise InvalidTransition("该事项已有待审批的延期申请,请等待督审处审批后再申请。")
    new_due = _later_due(item, requested)
    if not (reason or "").strip():
        raise ValidationFailed("请填写申请延期的理由。")
    request = ExtensionRequest(work_item_id=item.id, unit_id=item.unit_id, current_due_at=item.due_at,
                               requested_due_at=new_due, reason=(reason or "").strip(), requested_by_id=actor.id)
    _insert_once(request)
    audit.record(actor, "work_item", item.id, "extension_requested",
                 before={"due_at": _iso(item.due_at)},
                 after={"extension_request": request.id, "requested_due_at": _iso(new_due),
                        "reason": request.reason})
    db.session.flush()
    _tell_supervisors(request, item)
    return request


def _insert_once(request: ExtensionRequest) -> None:
    """Insert the request; a concurrent twin loses on the unique index and is told so (and rolls back)."""
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:
        raise InvalidTransition("该事项已有待审批的延期申请,请等待督审处审批后再申请。") from None


def _later_due(item: WorkItem, day: date | None) -> datetime:
    """The end of ``day``, which must be after the item's current due date."""
    if day is None:
        raise ValidationFailed("请填写申请延期至的日期。")
    if item.due_at is None:
        raise ValidationFailed("该事项没有办理期限,无需申请延期。")
    current = item.due_at.astimezone(BEIJING).date()
    if day <= current:
        raise ValidationFailed(f"延期后的日期须晚于当前期限({current:%Y年%m月%d日})。")
    return end_of_day(day)


def approve(request: ExtensionRequest, granted: date | None, note: str | None,
            actor: User, beyond_plan_year: bool = False) -> ExtensionRequest:
    """批准: move the due date to the end of ``granted`` (by default the day asked for); the old stays on record.
    A date after the plan year needs ``beyond_plan_year``: 督审处 confirming it means to carry the work over.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: decided already, or the item is no longer open.
    :raises ValidationFailed: the granted day is not later than the current due date.
    :raises FieldRefused: the day is after the plan year and ``beyond_plan_year`` is not confirmed.

    The decision is taken first, so the item is read only once this request is ours; on any
    refusal the caller rolls the transaction back, decision included.
    """
    _ensure_pending(request, actor)
    _decide(request, ExtensionStatus.APPROVED, note, actor)
    item = db.session.get_one(WorkItem, request.work_item_id, populate_existing=True)
    work_items.ensure_open(item)
    new_due = _later_due(item, granted or request.requested_due_at.astimezone(BEIJING).date())
    _ensure_within_plan_year(item, new_due, beyond_plan_year)
    request.approved_due_at = new_due
    change = deadlines.extend(item, new_due, f"延期申请获批:{request.reason}", actor)
    committed = _move_committed_date(item, new_due)
    audit.record(actor, "work_item", item.id, "extension_approved",
                 before={"due_at": _iso(change.old_due_at), **committed[0]},
                 after={"extension_request": request.id, "due_at": _iso(new_due),
                        "note": request.decision_note, **committed[1]})
    _tell_unit(request, item, f"延期申请已批准,新的办理期限为 {new_due:%Y年%m月%d日}。")
    db.session.flush()
    return request


def _ensure_within_plan_year(item: WorkItem, new_due: datetime, confirmed: bool) -> None:
    """:raises FieldRefused: ``new_due`` falls after 31 December of the item's plan year, unconfirmed."""
    task_id = item.instance.plan_task_id
    task = db.session.get(PlanTask, task_id) if task_id else None
    if task is None or confirmed or new_due.astimezone(BEIJING).year <= task.plan.year:
        return
    raise FieldRefused("beyond_plan_year", f"批准延期至 {new_due:%Y年%m月%d日} 已超出 {task.plan.year} 年度计划,"
                                           "请勾选“确认跨年度延期”后再批准,或改为年内的日期。")


def _move_committed_date(item: WorkItem, new_due: datetime) -> tuple[dict[str, str], dict[str, str]]:
    """Move the date the task records for the step too: a report is due on its milestone's date, a
    rectification result on the rectification's deadline. Lights, dashboards and the 台账 read those dates,
    so an extension that left them behind would still show the step overdue."""
    if item.form_key == StepKey.MILESTONE_REPORT:
        subject: Milestone | Rectification = reporting.milestone_of(item)
    elif item.form_key == StepKey.RECTIFICATION_RESULT:
        subject = rectification.rectification_of(item)
    else:
        return {}, {}
    before, subject.due_date = subject.due_date, new_due.astimezone(BEIJING).date()
    return {"due_date": before.isoformat()}, {"due_date": subject.due_date.isoformat()}


def refuse(request: ExtensionRequest, note: str | None, actor: User) -> ExtensionRequest:
    """不予批准, with a note saying why; the due date stays.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: decided already.
    :raises ValidationFailed: no note.
    """
    _ensure_pending(request, actor)
    if not (note or "").strip():
        raise ValidationFailed("不予批准时请填写审批意见。")
    _decide(request, ExtensionStatus.REFUSED, note, actor)
    item = db.session.get_one(WorkItem, request.work_item_id)
    audit.record(actor, "work_item", item.id, "extension_refused",
                 after={"extension_request": request.id, "note": request.decision_note})
    _tell_unit(request, item, f"延期申请未获批准,办理期限不变。审批意见:{request.decision_note}")
    db.session.flush()
    return request


def ensure_may_decide(actor: User, request: ExtensionRequest) -> None:
    """:raises PermissionDenied: the actor is not 督审处 of the bureau whose task the request is on."""
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以审批延期申请。")
    item = db.session.get(WorkItem, request.work_item_id)
    if item is not None and item.instance.plan_task_id is not None:
        visibility.ensure_own_organisation(actor, visibility.organisation_of_task(item.instance.plan_task_id) or 0)


def _ensure_pending(request: ExtensionRequest, actor: User) -> None:
    """Refuse early what a decision cannot change (the compare-and-set in _decide settles real races)."""
    ensure_may_decide(actor, request)
    if request.status is not ExtensionStatus.PENDING:
        raise InvalidTransition(_decided_message(request))


def _decided_message(request: ExtensionRequest) -> str:
    return f"该延期申请已审批（{request.status.label}）,不能重复审批。"


def _decide(request: ExtensionRequest, status: ExtensionStatus, note: str | None, actor: User) -> None:
    """Compare-and-set the status, so only the first of two concurrent decisions counts.

    :raises InvalidTransition: the request was decided meanwhile.
    """
    decided_at = utcnow()
    result = cast(CursorResult[Any], db.session.execute(  # DML: the session types its result loosely
        update(ExtensionRequest)
        .where(ExtensionRequest.id == request.id, ExtensionRequest.status == ExtensionStatus.PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=decided_at,
                decision_note=(note or "").strip() or None)
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        db.session.refresh(request)
        raise InvalidTransition(_decided_message(request))
    db.session.refresh(request)


def _tell_supervisors(request: ExtensionRequest, item: WorkItem) -> None:
    """督审处 must decide a new request."""
    task = db.session.get_one(PlanTask, item.instance.plan_task_id)
    what = step_notices.headline(task, item)
    due = request.requested_due_at.astimezone(BEIJING)
    topic = NoticeTopic.EXTENSION_REQUESTED
    step_notices.tell(step_notices.supervisors(task.plan.organisation_id), task, topic,
                      f"extension_request:{request.id}:requested",
                      f"{topic.label}:{what}", f"{what}:申请延期至 {due:%Y年%m月%d日},理由:{request.reason}",
                      f"/extensions/{request.id}")


def _tell_unit(request: ExtensionRequest, item: WorkItem, body: str) -> None:
    """An in-app notice to every active member of the requesting unit."""
    members = select(User).where(User.unit_id == request.unit_id, User.active.is_(True)).order_by(User.id)
    task = db.session.get_one(PlanTask, item.instance.plan_task_id)
    title = f"延期申请{request.status.label}:{step_notices.headline(task, item)}"[:200]
    for user in db.session.scalars(members):
        notices.notify(user, "info", f"extension_request:{request.id}:{request.status.value}", title, body,
                       f"/work/items/{item.id}", topic=NoticeTopic.EXTENSION_DECIDED)


def pending(organisation_id: int | None = None) -> list[ExtensionRequest]:
    """Every request waiting for 督审处 (on one bureau's tasks, when given), the oldest first."""
    query = (_of_organisation(select(ExtensionRequest), organisation_id)
             .where(ExtensionRequest.status == ExtensionStatus.PENDING)
             .order_by(ExtensionRequest.requested_at, ExtensionRequest.id))
    return list(db.session.scalars(query))


def _of_organisation(query: Select[T], organisation_id: int | None) -> Select[T]:
    """Narrowed to the requests of ``organisation_id``'s own units (a city's are the city's to decide)."""
    if organisation_id is None:
        return query
    return query.where(ExtensionRequest.unit_id.in_(select(Unit.id).where(Unit.organisation_id == organisation_id)))


def pending_count(organisation_id: int | None = None) -> int:
    """How many requests wait for 督审处 (the navigation badge)."""
    query = _of_organisation(select(func.count(ExtensionRequest.id)), organisation_id).where(
        ExtensionRequest.status == ExtensionStatus.PENDING)
    return db.session.scalar(query) or 0


def of_item(item_id: int) -> list[ExtensionRequest]:
    """The item's requests and their decisions, oldest first."""
    query = (select(ExtensionRequest).where(ExtensionRequest.work_item_id == item_id)
             .order_by(ExtensionRequest.id))
    return list(db.session.scalars(query))


def of_task(task: PlanTask) -> list[ExtensionRequest]:
    """The requests on any step of the task, oldest first."""
    query = (select(ExtensionRequest).join(WorkItem, WorkItem.id == ExtensionRequest.work_item_id)
             .join(WorkItem.instance).where(WorkflowInstance.plan_task_id == task.id)
             .order_by(ExtensionRequest.id))
    return list(db.session.scalars(query))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
