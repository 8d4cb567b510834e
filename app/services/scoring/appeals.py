"""申诉: a unit contests one line of its score on a task; 督审处 accepts (the line is adjusted) or rejects it.

A line is named by its category and the event that caused it, since a provisional score (暂评) is computed,
not stored. The unit may appeal within the policy's window of working days from the day the line's cause
happened. An accepted appeal makes the line count the points 督审处 decided, by a line of its own whose cause
is the decision (``evaluation.appealed``); an appeal decided after a day does not change the score as of
that day. The database keeps at most one open appeal per line (a partial unique index), and a decision is a
compare-and-set on the status, so a doubled submission or a second decision on a stale page is refused.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import Appeal, AppealStatus, Attachment, NoticeTopic, PlanTask, Role, TaskEvaluation, Unit, User
from app.models.base import utcnow
from app.services.infrastructure import audit, visibility
from app.services.lifecycle import step_notices
from app.services.lifecycle.reporting import Upload, UploadPolicy, store_attachments
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.scoring import evaluation
from app.services.scoring.evaluation import LineItem, num
from app.services.scoring.evaluation_events import beijing_date
from app.services.timing import deadlines

#: Who files an appeal for a unit.
APPELLANT_ROLES = (Role.LIAISON, Role.UNIT_HEAD)
_DOUBLED = "该条得分明细已有待处理的申诉,请等待督审处处理,不要重复提交。"


@dataclass(frozen=True)
class AppealableLine:
    """A line of a unit's current score on a task, and the days within which it may be appealed."""

    task: PlanTask
    unit_id: int
    line: LineItem
    #: The day the window opens (the line's cause), and the last day of it; None: the window has not opened
    #: on a known day (a target still in its period), so it is open.
    opens: date | None
    closes: date | None

    def open_on(self, day: date) -> bool:
        return self.closes is None or day <= self.closes


def may_appeal(user: User, unit_id: int) -> bool:
    """The unit's liaison or head (the template asks before offering 申诉)."""
    return user.is_authenticated and user.unit_id == unit_id and user.has_role(*APPELLANT_ROLES)


def may_view(user: User, unit_id: int) -> bool:
    """督审处, leaders and administrators see the scores and appeals of every unit of their bureau and the bureaus
    below it; unit staff their own unit's."""
    if user.unit_id == unit_id and user.has_role(*APPELLANT_ROLES):
        return True
    unit = db.session.get(Unit, unit_id)
    return user.has_role(Role.SUPERVISOR, Role.LEADER, Role.ADMIN) and unit is not None and \
        visibility.may_view_organisation(user, unit.organisation_id)


def may_decide(user: User, appeal: Appeal) -> bool:
    """督审处 of the appellant's own bureau accepts or rejects appeals."""
    return user.has_role(Role.SUPERVISOR) and visibility.organisation_id_of(user) == appeal.unit.organisation_id


def ensure_may_view(user: User, unit_id: int) -> None:
    """:raises PermissionDenied: another unit's score."""
    if not may_view(user, unit_id):
        raise PermissionDenied("只能查看本单位的考核评分和申诉。")


def line_of(task: PlanTask, unit_id: int, key: tuple[str, str, int]) -> AppealableLine:
    """The unit's current line named ``key`` on the task, with its appeal window.

    :raises InvalidTransition: the score has no such line (any more): the page was stale.
    """
    result = evaluation.evaluation_of(task)
    score = next((u for u in result.units if u.unit_id == unit_id), None)
    line = next((li for li in score.line_items if li.key == key and li.appealable), None) if score else None
    if line is None:
        raise InvalidTransition("该条得分明细已不在本单位当前的得分中(评分已更新),请刷新页面后再申诉。")
    frozen_at = db.session.scalar(select(TaskEvaluation.evaluated_at).where(
        TaskEvaluation.plan_task_id == task.id, TaskEvaluation.unit_id == unit_id))
    opens = line.event_date or (beijing_date(frozen_at) if frozen_at else None)
    policy, _ = evaluation.policy_in_force(task.plan_id)
    closes = deadlines.work_calendar().shift(opens, policy.appeal_window) if opens else None
    return AppealableLine(task, unit_id, line, opens, closes)


def file(task: PlanTask, unit_id: int, key: tuple[str, str, int], seen_points: Decimal | None, reason: str | None,
         uploads: Sequence[Upload], upload_policy: UploadPolicy, actor: User) -> Appeal:
    """File an appeal against one line of the unit's score on the task, with a reason and evidence.

    :raises PermissionDenied: the actor is not the unit's liaison or head.
    :raises InvalidTransition: the line changed or is gone since the page was shown (``seen_points``), or it
        has an open appeal already.
    :raises ValidationFailed: no reason, the window has closed, or an attachment is refused.
    """
    if not may_appeal(actor, unit_id):
        raise PermissionDenied("只有本单位的联络员或负责人可以对本单位的得分明细提出申诉。")
    found = line_of(task, unit_id, key)
    if seen_points is None or found.line.points != seen_points:
        raise InvalidTransition(f"该条得分明细已有变化(现为 {num(found.line.points)} 分),请刷新页面核对后再申诉。")
    if open_appeal(task.id, unit_id, key) is not None:
        raise InvalidTransition(_DOUBLED)
    today = beijing_date(utcnow())
    if not found.open_on(today):
        raise ValidationFailed(f"该条得分明细的起因发生于 {found.opens:%Y年%m月%d日},申诉期限至 "
                               f"{found.closes:%Y年%m月%d日}(其后 {_window(task)} 个工作日),已过申诉期限。")
    if not (reason or "").strip():
        raise ValidationFailed("请填写申诉理由。")
    category, kind, event_id = key
    appeal = Appeal(plan_task_id=task.id, unit_id=unit_id, category=category, event_kind=kind, event_id=event_id,
                    line_points=found.line.points, line_text=found.line.explanation, reason=(reason or "").strip(),
                    filed_by_id=actor.id)
    db.session.add(appeal)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent twin won on the unique index
        raise InvalidTransition(_DOUBLED) from None
    if uploads:
        store_attachments(task.id, appeal, uploads, upload_policy, actor)
    audit.record(actor, "appeal", appeal.id, "filed",
                 after={"task": task.id, "unit": unit_id, "line": list(key), "points": str(appeal.line_points),
                        "reason": appeal.reason, "attachments": len(uploads)})
    db.session.flush()
    title = f"{NoticeTopic.APPEAL_FILED.label}:{appeal.unit.name}对{step_notices.task_name(task)}的得分明细提出申诉"
    step_notices.tell(step_notices.supervisors(), task, NoticeTopic.APPEAL_FILED, f"appeal:{appeal.id}:filed",
                      title, f"得分明细:{appeal.line_text}({num(appeal.line_points)} 分)。申诉理由:{appeal.reason}",
                      f"/appeals/{appeal.id}")
    return appeal


def _window(task: PlanTask) -> int:
    return evaluation.policy_in_force(task.plan_id)[0].appeal_window


def open_appeal(task_id: int, unit_id: int, key: tuple[str, str, int]) -> Appeal | None:
    """The line's appeal still waiting for 督审处, if any."""
    category, kind, event_id = key
    return db.session.scalar(select(Appeal).where(
        Appeal.plan_task_id == task_id, Appeal.unit_id == unit_id, Appeal.category == category,
        Appeal.event_kind == kind, Appeal.event_id == event_id, Appeal.status == AppealStatus.OPEN))


def accept(appeal: Appeal, adjusted: Decimal | str | None, note: str | None, actor: User) -> Appeal:
    """采纳: the line counts ``adjusted`` points from now on (an adjustment line citing this decision).

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: decided already.
    :raises ValidationFailed: no valid number, more than two decimals, out of the policy's score range, or the
        line's own points (nothing to adjust: reject instead).
    """
    _ensure_open(appeal, actor)
    points = _points(adjusted, appeal)
    _decide(appeal, AppealStatus.ACCEPTED, note, actor, points)
    change = points - appeal.line_points
    audit.record(actor, "appeal", appeal.id, "accepted", before={"points": str(appeal.line_points)},
                 after={"points": str(points), "note": appeal.decision_note})
    _tell_unit(appeal, f"督审处采纳了申诉,该条得分明细按 {num(points)} 分计(调整 {'+' if change > 0 else ''}"
                       f"{num(change)} 分)。" + (f"意见:{appeal.decision_note}" if appeal.decision_note else ""))
    db.session.flush()
    return appeal


def _points(adjusted: Decimal | str | None, appeal: Appeal) -> Decimal:
    try:
        points = Decimal(str(adjusted).strip()) if adjusted is not None and str(adjusted).strip() else None
    except InvalidOperation:
        points = None
    if points is None or not points.is_finite():
        raise ValidationFailed("请填写采纳后该条明细的分值(数字,扣分写负数)。")
    if points.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed("分值最多保留两位小数。")
    ceiling = evaluation.policy_in_force(appeal.task.plan_id)[0].ceiling
    if abs(points) > ceiling:
        raise ValidationFailed(f"分值须在 -{num(ceiling)} 到 {num(ceiling)} 之间。")
    if points == appeal.line_points:
        raise ValidationFailed("调整后的分值与原分值相同;维持原分值请选择“不予采纳”并说明理由。")
    return points


def reject(appeal: Appeal, note: str | None, actor: User) -> Appeal:
    """不予采纳, saying why; the line stays.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: decided already.
    :raises ValidationFailed: no reason.
    """
    _ensure_open(appeal, actor)
    if not (note or "").strip():
        raise ValidationFailed("不予采纳时请填写理由。")
    _decide(appeal, AppealStatus.REJECTED, note, actor, None)
    audit.record(actor, "appeal", appeal.id, "rejected", after={"note": appeal.decision_note})
    _tell_unit(appeal, f"督审处未采纳申诉,该条得分明细不变。理由:{appeal.decision_note}")
    db.session.flush()
    return appeal


def _ensure_open(appeal: Appeal, actor: User) -> None:
    """Refuse early what a decision cannot change (the compare-and-set in _decide settles real races)."""
    if not may_decide(actor, appeal):
        raise PermissionDenied("只有申诉单位所在机构的督审处可以处理申诉。")
    if appeal.status is not AppealStatus.OPEN:
        raise InvalidTransition(_decided_message(appeal))


def _decided_message(appeal: Appeal) -> str:
    return f"该申诉已处理({appeal.status.label}),不能重复处理。"


def _decide(appeal: Appeal, status: AppealStatus, note: str | None, actor: User, points: Decimal | None) -> None:
    """Compare-and-set the status, so only the first of two concurrent decisions counts.

    :raises InvalidTransition: the appeal was decided meanwhile.
    """
    result = cast(CursorResult[Any], db.session.execute(  # DML: the session types its result loosely
        update(Appeal).where(Appeal.id == appeal.id, Appeal.status == AppealStatus.OPEN)
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), adjusted_points=points,
                decision_note=(note or "").strip() or None)
        .execution_options(synchronize_session=False)))
    db.session.refresh(appeal)
    if result.rowcount != 1:
        raise InvalidTransition(_decided_message(appeal))


def _tell_unit(appeal: Appeal, body: str) -> None:
    """The unit's liaisons and head, and whoever filed it, learn the decision."""
    people = {u.id: u for u in step_notices.unit_people(appeal.unit_id, *APPELLANT_ROLES)}
    people.setdefault(appeal.filed_by_id, appeal.filed_by)
    title = f"评分申诉{appeal.status.label}:{step_notices.task_name(appeal.task)}"
    step_notices.tell([people[i] for i in sorted(people)], appeal.task, NoticeTopic.APPEAL_DECIDED,
                      f"appeal:{appeal.id}:{appeal.status.value}", title, body, f"/appeals/{appeal.id}")


def waiting(organisation_id: int) -> list[Appeal]:
    """The appeals on the bureau's own tasks waiting for its 督审处, the oldest first."""
    return list(db.session.scalars(_waiting_in(select(Appeal), organisation_id).order_by(Appeal.filed_at, Appeal.id)))


def waiting_count(organisation_id: int) -> int:
    """How many appeals wait for the bureau's 督审处."""
    return db.session.scalar(_waiting_in(select(func.count(Appeal.id)), organisation_id)) or 0


def _waiting_in(query: Select[Any], organisation_id: int) -> Select[Any]:
    """Open appeals on the bureau's own tasks (a city's are the city's 督审处's to decide)."""
    return query.where(Appeal.status == AppealStatus.OPEN,
                       Appeal.plan_task_id.in_(visibility.tasks_of_organisation(organisation_id)))


def of_unit(plan_id: int, unit_id: int) -> list[Appeal]:
    """The unit's appeals on the plan's tasks, open ones first, then the decided, newest first."""
    query = (select(Appeal).join(PlanTask, PlanTask.id == Appeal.plan_task_id)
             .where(PlanTask.plan_id == plan_id, Appeal.unit_id == unit_id)
             .order_by((Appeal.status == AppealStatus.OPEN).desc(), Appeal.id.desc()))
    return list(db.session.scalars(query))


def evidence(appeal: Appeal) -> list[Attachment]:
    """The files filed with the appeal."""
    return list(db.session.scalars(select(Attachment).where(Attachment.appeal_id == appeal.id)
                                   .order_by(Attachment.id)))


@dataclass(frozen=True)
class AppealThen:
    """An appeal as it stood at a past moment: a decision taken after it still counts as waiting."""

    appeal: Appeal
    status: AppealStatus

    @property
    def decided(self) -> bool:
        return self.status is not AppealStatus.OPEN


def filed_by(plan_ids: PlanIds, moment: datetime | None = None) -> list[AppealThen]:
    """The appeals on the plans' tasks filed by ``moment`` (default: this moment), each as it stood then,
    by task number, unit and filing."""
    at = moment or utcnow()
    query = (select(Appeal).join(PlanTask, PlanTask.id == Appeal.plan_task_id)
             .where(in_plans(PlanTask.plan_id, plan_ids), Appeal.filed_at <= at)
             .order_by(PlanTask.plan_id, PlanTask.number, Appeal.unit_id, Appeal.filed_at, Appeal.id))
    return [AppealThen(appeal, appeal.status if appeal.decided_at is not None and appeal.decided_at <= at
                       else AppealStatus.OPEN) for appeal in db.session.scalars(query)]
