"""中止 and 阶段性办结: a task's responsible unit asks 督审处 to stop supervising the task, or to close its stage.

Effects once 督审处 approves (``PlanTask.held_at`` and ``hold_kind``; the lights, lists, reminders and scores
read them as of a day):

- 中止: the task shows 已中止 (grey) instead of a light and leaves the overdue and due-soon figures; its open
  steps end (kept as 已撤销), so no reminder, escalation or stagnation notice follows, and no periodic report
  opens. The scoring policy says whether it still counts: ``[assessment] suspended_scored`` true freezes its
  score at the suspension, false (the default) leaves it out of the assessment from that day.
- 阶段性办结: every unit's part is closed as by 办结 (open steps end, kept as 已撤销), so the task is 绿 and
  counts as closed in every figure, with its own label; its score is frozen then, as at 办结.

Like an extension request: at most one pending request per task (a partial unique index), and a decision is a
compare-and-set on the request's status, so a doubled submit or a second reviewer on a stale page is refused.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    Attachment,
    Decomposition,
    ExtensionStatus,
    HoldKind,
    NoticeTopic,
    PlanStatus,
    PlanTask,
    Role,
    TaskHoldRequest,
    User,
)
from app.models.base import utcnow
from app.models.user import UNIT_ROLES
from app.services.follow_up.rectification_view import open_rectifications
from app.services.infrastructure import audit, visibility
from app.services.lifecycle import step_notices
from app.services.lifecycle.reporting import Upload, UploadPolicy, store_attachments
from app.services.plans.plan_revision import end_open_work
from app.services.scoring import closure, evaluation, scoring_policy

#: Reasons and decision notes, as the forms limit them.
MAX_TEXT = 2000


def pending_of(task: PlanTask) -> TaskHoldRequest | None:
    """The task's request still waiting for 督审处, if any."""
    return db.session.scalar(select(TaskHoldRequest).where(TaskHoldRequest.plan_task_id == task.id,
                                                           TaskHoldRequest.status == ExtensionStatus.PENDING))


def hold_blocker(task: PlanTask) -> str | None:
    """Why no 中止 or 阶段性办结 can be asked for or granted on the task now, in Chinese, or None."""
    if task.cancelled_at is not None:
        return "该任务已随计划修订取消,不能申请中止或阶段性办结。"
    if task.plan.status is not PlanStatus.ACTIVE:
        return "该任务所在的计划已归档,不能申请中止或阶段性办结。"
    if task.hold_kind is not None:
        return f"该任务已{task.hold_kind.state_label},不能再申请中止或阶段性办结。"
    if closure.is_closed(task):
        return "该任务已办结,不能申请中止或阶段性办结。"
    if rectifications := open_rectifications(task):
        return f"该任务尚有 {len(rectifications)} 项整改未销号,销号后方可申请中止或阶段性办结。"
    return None


def may_request(user: User, task: PlanTask) -> bool:
    """The template predicate: a liaison or head of a unit answering for the task (it has a part of it)."""
    if user.unit_id is None or not user.has_role(*UNIT_ROLES):
        return False
    return db.session.scalar(select(Decomposition.id).where(Decomposition.plan_task_id == task.id,
                                                            Decomposition.unit_id == user.unit_id)) is not None


def ensure_may_request(user: User, task: PlanTask) -> None:
    """:raises PermissionDenied: the user's unit does not answer for the task (or the user is no unit staff).
    :raises InvalidTransition: the task is cancelled, held, closed, archived or has an open rectification.
    """
    if not may_request(user, task):
        raise PermissionDenied("只有承担该任务的牵头(负责)单位可以申请中止或阶段性办结。")
    if blocker := hold_blocker(task):
        raise InvalidTransition(blocker)


def request_hold(task: PlanTask, kind: HoldKind | str | None, reason: str | None, actor: User,
                 uploads: Sequence[Upload] = (), upload_policy: UploadPolicy | None = None) -> TaskHoldRequest:
    """Ask 督审处 to suspend the task or close its stage, with a reason and optional supporting files.

    :raises PermissionDenied: see ``ensure_may_request``.
    :raises InvalidTransition: the task cannot be held now, or a request is already pending.
    :raises ValidationFailed: no kind or no reason, or an attachment is refused (the caller rolls back).
    """
    ensure_may_request(actor, task)
    if pending_of(task) is not None:
        raise InvalidTransition(_pending_message())
    if kind not in set(HoldKind):
        raise ValidationFailed("请选择申请中止还是阶段性办结。")
    reason = (reason or "").strip()[:MAX_TEXT]
    if not reason:
        raise ValidationFailed("请填写申请的理由。")
    assert actor.unit_id is not None  # may_request
    request = TaskHoldRequest(plan_task_id=task.id, unit_id=actor.unit_id, kind=HoldKind(kind), reason=reason,
                              requested_by_id=actor.id)
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent twin won the unique index; the caller rolls back
        raise InvalidTransition(_pending_message()) from None
    if uploads:
        assert upload_policy is not None  # files come with the store they go to
        store_attachments(task.id, request, uploads, upload_policy, actor)
    audit.record(actor, "plan_task", task.id, "hold_requested",
                 after={"hold_request": request.id, "kind": request.kind.value, "reason": reason,
                        "attachments": len(uploads)})
    topic = NoticeTopic.HOLD_REQUESTED
    what = f"{request.kind.label}申请:{step_notices.task_name(task)}"
    step_notices.tell(step_notices.supervisors(), task, topic, f"task_hold_request:{request.id}:requested",
                      f"{topic.label}:{step_notices.task_name(task)}"[:200],
                      f"{what}。申请单位:{request.unit.name};理由:{reason}", f"/holds/{request.id}")
    return request


def _pending_message() -> str:
    return "该任务已有待审批的中止或阶段性办结申请,请等待督审处审批。"


def approve(request: TaskHoldRequest, note: str | None, actor: User) -> TaskHoldRequest:
    """批准: the task is suspended, or its stage closed (see the module's effects); the unit is told.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: decided already, or the task can no longer be held (closed or cancelled meanwhile).
    """
    _ensure_pending(request, actor)
    _decide(request, ExtensionStatus.APPROVED, note, actor)
    task = db.session.get_one(PlanTask, request.plan_task_id, populate_existing=True)
    if blocker := hold_blocker(task):
        raise InvalidTransition(blocker)
    now = utcnow()
    task.held_at, task.hold_kind = now, request.kind
    end_open_work(task, None)
    closed_parts = []
    if request.kind is HoldKind.STAGE_CLOSE:
        for part in db.session.scalars(select(Decomposition).where(Decomposition.plan_task_id == task.id,
                                                                    Decomposition.closed_at.is_(None))):
            part.closed_at = now
            closed_parts.append(part.unit_id)
    db.session.flush()
    audit.record(actor, "plan_task", task.id, "hold_approved", before={"state": "open"},
                 after={"hold_request": request.id, "kind": request.kind.value, "note": request.decision_note,
                        "reason": request.reason, "closed_parts": closed_parts})
    if request.kind is HoldKind.STAGE_CLOSE or _suspended_scored(task):
        evaluation.freeze(task, actor)
    _tell_unit(request, task, f"{step_notices.task_name(task)}:{request.kind.label}申请已批准,"
                              f"任务{request.kind.state_label}。" + _note(request))
    db.session.flush()
    return request


def _suspended_scored(task: PlanTask) -> bool:
    """The plan's scoring policy: a suspended task keeps the score it had (frozen) or leaves the assessment."""
    version = scoring_policy.ensure_version(task.plan_id, None)
    return scoring_policy.parse_policy(version.text).suspended_scored


def refuse(request: TaskHoldRequest, note: str | None, actor: User) -> TaskHoldRequest:
    """不予批准, with a note saying why; the task goes on.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: decided already.
    :raises ValidationFailed: no note.
    """
    _ensure_pending(request, actor)
    if not (note or "").strip():
        raise ValidationFailed("不予批准时请填写审批意见。")
    _decide(request, ExtensionStatus.REFUSED, note, actor)
    task = db.session.get_one(PlanTask, request.plan_task_id)
    audit.record(actor, "plan_task", task.id, "hold_refused",
                 after={"hold_request": request.id, "kind": request.kind.value, "note": request.decision_note})
    _tell_unit(request, task, f"{step_notices.task_name(task)}:{request.kind.label}申请未获批准,任务继续督办。"
               + _note(request))
    db.session.flush()
    return request


def _note(request: TaskHoldRequest) -> str:
    return f"审批意见:{request.decision_note}" if request.decision_note else ""


def _ensure_pending(request: TaskHoldRequest, actor: User) -> None:
    """Refuse early what a decision cannot change (the compare-and-set in _decide settles real races)."""
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以审批中止或阶段性办结申请。")
    if request.status is not ExtensionStatus.PENDING:
        raise InvalidTransition(_decided_message(request))


def _decided_message(request: TaskHoldRequest) -> str:
    return f"该申请已审批（{request.status.label}）,不能重复审批。"


def _decide(request: TaskHoldRequest, status: ExtensionStatus, note: str | None, actor: User) -> None:
    """Compare-and-set the status, so only the first of two concurrent decisions counts.

    :raises InvalidTransition: the request was decided meanwhile.
    """
    result = cast(CursorResult[Any], db.session.execute(  # DML: the session types its result loosely
        update(TaskHoldRequest)
        .where(TaskHoldRequest.id == request.id, TaskHoldRequest.status == ExtensionStatus.PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(),
                decision_note=(note or "").strip()[:MAX_TEXT] or None)
        .execution_options(synchronize_session=False)
    ))
    db.session.refresh(request)
    if result.rowcount != 1:
        raise InvalidTransition(_decided_message(request))


def _tell_unit(request: TaskHoldRequest, task: PlanTask, body: str) -> None:
    """The requesting unit's liaisons and heads hear the decision."""
    topic = NoticeTopic.HOLD_DECIDED
    step_notices.tell(step_notices.unit_people(request.unit_id, *UNIT_ROLES), task, topic,
                      f"task_hold_request:{request.id}:{request.status.value}",
                      f"{request.kind.label}申请{request.status.label}:{step_notices.task_name(task)}"[:200],
                      body, f"/tasks/{task.id}")


def pending(organisation_id: int) -> list[TaskHoldRequest]:
    """The requests on the bureau's own tasks waiting for its 督审处, the oldest first."""
    return list(db.session.scalars(_pending_in(select(TaskHoldRequest), organisation_id)
                                   .order_by(TaskHoldRequest.requested_at, TaskHoldRequest.id)))


def pending_count(organisation_id: int) -> int:
    """How many requests wait for the bureau's 督审处 (the navigation badge)."""
    return db.session.scalar(_pending_in(select(func.count(TaskHoldRequest.id)), organisation_id)) or 0


def _pending_in(query: Select[Any], organisation_id: int) -> Select[Any]:
    """Pending requests on the bureau's own tasks (a city's are the city's 督审处's to decide)."""
    return query.where(TaskHoldRequest.status == ExtensionStatus.PENDING,
                       TaskHoldRequest.plan_task_id.in_(visibility.tasks_of_organisation(organisation_id)))


def of_task(task: PlanTask) -> list[TaskHoldRequest]:
    """The task's requests and their decisions, oldest first."""
    return list(db.session.scalars(select(TaskHoldRequest).where(TaskHoldRequest.plan_task_id == task.id)
                                   .order_by(TaskHoldRequest.id)))


def evidence(request: TaskHoldRequest) -> list[Attachment]:
    """The files filed with the request."""
    return list(db.session.scalars(select(Attachment).where(Attachment.task_hold_request_id == request.id)
                                   .order_by(Attachment.id)))
