"""整改: 督审处 opens a rectification; the unit plans it, 督审处 reviews the plan, the unit reports the result
with evidence, 督审处 verifies it (销号) or returns it. One workflow instance per rectification."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from app import workflow
from app.errors import DubanError, InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    InstanceKind,
    Milestone,
    MilestoneReport,
    NoticeKind,
    NoticeTopic,
    PlanTask,
    Rectification,
    RectificationProblem,
    RectificationSource,
    RectificationStatus,
    RectificationSubmission,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    Role,
    StepKey,
    SubmissionKind,
    Unit,
    User,
    WorkItem,
)
from app.models.base import utcnow
from app.services.infrastructure import audit, notices, visibility
from app.services.lifecycle import work_items
from app.services.lifecycle.reporting import Upload, UploadPolicy, store_attachments
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING, end_of_day

PROCESS = "rectification"
#: The units a rectification may be addressed to: those that answer for the task.
ANSWERING_ROLES = (ResponsibilityRole.LEAD, ResponsibilityRole.RESPONSIBLE)


@dataclass(frozen=True)
class RectificationOrder:
    """What 督审处 fills in to open a rectification."""

    unit_id: int | None
    source: str
    problems: Sequence[str]
    requirement: str
    due_date: date | None
    milestone_id: int | None = None


def answering_units(task: PlanTask) -> list[Unit]:
    """The task's lead and responsible units, to which a rectification may be addressed."""
    return [r.unit for r in task.responsibilities if r.role in ANSWERING_ROLES and r.unit is not None]


_NOT_A_RETURNED_REPORT = "只能根据督审处退回的报送审核意见发起整改。"
_SUPERVISOR_ONLY = "只有督审处可以发起整改。"


def open_rectification(task: PlanTask, order: RectificationOrder, actor: User,
                       review: ReviewRecord | None = None) -> Rectification:
    """Open a rectification for one unit and start its workflow.

    :raises PermissionDenied: the actor is not 督审处.
    :raises ValidationFailed: a unit that does not answer for the task, another unit's or task's milestone,
        no problems, no requirement, or a deadline that is not in the future.
    :raises InvalidTransition: the same rectification is already open (a double submit).
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_SUPERVISOR_ONLY)
    visibility.ensure_own_organisation(actor, task.plan.organisation_id)
    unit, milestone = _unit_and_milestone(task, order)
    problems = [text.strip() for text in order.problems if text.strip()]
    if not problems:
        raise ValidationFailed("请至少列出一个需要整改的问题。")
    if not order.requirement.strip():
        raise ValidationFailed("请填写整改要求。")
    _refuse_duplicate(task, unit, order.requirement.strip())
    rectification = Rectification(
        task=task, unit=unit, milestone=milestone, source=_source(order.source),
        review_record_id=review.id if review else None, requirement=order.requirement.strip(),
        due_date=_future(order.due_date), opened_by=actor,
        problems=[RectificationProblem(position=i, text=text) for i, text in enumerate(problems, 1)],
    )
    db.session.add(rectification)
    db.session.flush()
    _start(rectification)
    audit.record(actor, "rectification", rectification.id, "opened", after={
        "task": task.id, "unit": unit.id, "problems": len(problems),
        "due_date": rectification.due_date.isoformat()})
    _tell_unit(rectification, "opened", "整改通知",
               f"督审处要求对以下 {len(problems)} 个问题进行整改,"
               f"请于 {rectification.due_date} 前完成并报送整改方案和结果。", NoticeTopic.RECTIFICATION_OPENED)
    return rectification


def open_from_review(review: ReviewRecord, order: RectificationOrder, actor: User) -> Rectification:
    """Open a rectification on a returned report: its milestone and unit, source 报告审核.

    :raises ValidationFailed: the review is not a returned report review.
    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: a rectification was already opened from it (double submit).
    """
    ensure_may_open_rectification(review, actor)
    milestone = reported_milestone(review)
    if opened_from(review) is not None:
        raise InvalidTransition("已根据该审核意见发起过整改,请勿重复提交。")
    carried = RectificationOrder(milestone.unit_id, RectificationSource.REPORT_REVIEW, order.problems,
                                 order.requirement, order.due_date, milestone.id)
    return open_rectification(milestone.decomposition.task, carried, actor, review)


def may_open_rectification(review: ReviewRecord, user: User) -> bool:
    """True when ``user`` may open a rectification from ``review`` (发起整改 shows under it): 督审处, on its
    own return of a report."""
    return _refusal_to_open(review, user) is None


def ensure_may_open_rectification(review: ReviewRecord, user: User) -> None:
    """:raises ValidationFailed: the review is not 督审处's return of a report.
    :raises PermissionDenied: the user is not 督审处."""
    if refusal := _refusal_to_open(review, user):
        raise refusal


def _refusal_to_open(review: ReviewRecord, user: User) -> DubanError | None:
    if not _returns_a_report(review):
        return ValidationFailed(_NOT_A_RETURNED_REPORT)
    if not user.has_role(Role.SUPERVISOR):
        return PermissionDenied(_SUPERVISOR_ONLY)
    if (review.plan_task_id is not None
            and visibility.organisation_of_task(review.plan_task_id) != visibility.organisation_id_of(user)):
        return PermissionDenied("该内容属于其他机构,只能由该机构办理。")
    return None


def _returns_a_report(review: ReviewRecord) -> bool:
    return review.step == StepKey.REPORT_REVIEW and review.decision is ReviewDecision.RETURN


def reported_milestone(review: ReviewRecord) -> Milestone:
    """The milestone whose report ``review`` returned.

    :raises ValidationFailed: the review is not 督审处's return of a report.
    """
    if not _returns_a_report(review) or review.milestone_report_id is None:
        raise ValidationFailed(_NOT_A_RETURNED_REPORT)
    return db.session.get_one(MilestoneReport, review.milestone_report_id).milestone


def problems_from_review(review: ReviewRecord) -> list[str]:
    """The review's comments, one problem per non-empty line."""
    return [line.strip() for line in (review.comments or "").splitlines() if line.strip()]


def _refuse_duplicate(task: PlanTask, unit: Unit, requirement: str) -> None:
    """:raises InvalidTransition: an open rectification of the task for the unit has the same requirement."""
    query = select(Rectification.id).where(
        Rectification.plan_task_id == task.id, Rectification.unit_id == unit.id,
        Rectification.requirement == requirement, Rectification.status != RectificationStatus.VERIFIED)
    if db.session.scalar(query) is not None:
        raise InvalidTransition("相同的整改已经发起且尚未销号,请勿重复提交。")


def opened_from(review: ReviewRecord) -> Rectification | None:
    """The rectification opened from ``review``, if any."""
    return db.session.scalar(select(Rectification).where(Rectification.review_record_id == review.id))


def _unit_and_milestone(task: PlanTask, order: RectificationOrder) -> tuple[Unit, Milestone | None]:
    """The addressed unit (one answering for the task) and the optional milestone (that unit's, on the task)."""
    unit = next((u for u in answering_units(task) if u.id == order.unit_id), None)
    if unit is None:
        raise ValidationFailed("整改单位必须是该任务的牵头或责任单位。")
    if order.milestone_id is None:
        return unit, None
    milestone = db.session.get(Milestone, order.milestone_id)
    if milestone is None or milestone.plan_task_id != task.id or milestone.unit_id != unit.id:
        raise ValidationFailed("所选节点不属于该任务的整改单位。")
    return unit, milestone


def _source(value: str) -> RectificationSource:
    try:
        return RectificationSource(value)
    except ValueError:
        raise ValidationFailed("请选择问题来源。") from None


def _future(due: date | None) -> date:
    """:raises ValidationFailed: no deadline, or one that is not after today (Beijing time)."""
    if due is None or due <= datetime.now(BEIJING).date():
        raise ValidationFailed("整改期限必须是今天以后的日期。")
    return due


def _start(rectification: Rectification) -> None:
    """Start the instance; the result step is due on the rectification's deadline, the others by policy."""
    workflow.deploy_processes()
    workflow.start_instance(PROCESS, {
        "rectification_id": rectification.id, "plan_task_id": rectification.plan_task_id,
        "unit_id": rectification.unit_id, "due_at": end_of_day(rectification.due_date).isoformat(),
    }, plan_task_id=rectification.plan_task_id,
       about=(InstanceKind.RECTIFICATION, rectification.id))
    deadlines.schedule_task(rectification.task)


def rectification_of(item: WorkItem) -> Rectification:
    """The rectification a rectification work item is about."""
    rectification = db.session.get(Rectification, item.context.get("rectification_id"))
    if rectification is None:
        raise ValidationFailed("该待办没有对应的整改。")
    return rectification


def submit_plan(item: WorkItem, text: str, uploads: Sequence[Upload], policy: UploadPolicy,
                actor: User) -> RectificationSubmission:
    """报送整改方案: a new plan round, never overwriting the last."""
    return _submit(item, SubmissionKind.PLAN, text, uploads, policy, actor)


def submit_result(item: WorkItem, text: str, uploads: Sequence[Upload], policy: UploadPolicy,
                  actor: User) -> RectificationSubmission:
    """报送整改结果 with evidence: every result round carries at least one file.

    :raises ValidationFailed: no evidence attached.
    """
    return _submit(item, SubmissionKind.RESULT, text, uploads, policy, actor)


_NEXT_STATUS = {
    SubmissionKind.PLAN: RectificationStatus.PLAN_REVIEW,
    SubmissionKind.RESULT: RectificationStatus.RESULT_REVIEW,
}


def _submit(item: WorkItem, kind: SubmissionKind, text: str, uploads: Sequence[Upload], policy: UploadPolicy,
            actor: User) -> RectificationSubmission:
    begun = work_items.begin_step(item, actor, StepKey(f"rectification_{kind.value}"))
    if kind is SubmissionKind.RESULT and not uploads:
        raise ValidationFailed("请上传整改佐证材料(至少一个附件)。")
    if not text.strip():
        raise ValidationFailed(f"请填写{kind.label}。")
    rectification = rectification_of(item)
    number = 1 + sum(1 for s in rectification.submissions if s.kind is kind)
    submission = RectificationSubmission(rectification=rectification, kind=kind, number=number, text=text.strip(),
                                         submitted_by_id=actor.id)
    db.session.add(submission)
    db.session.flush()
    store_attachments(rectification.plan_task_id, submission, uploads, policy, actor)
    rectification.status = _NEXT_STATUS[kind]
    work_items.finish_step(item, actor, {}, begun)
    audit.record(actor, "rectification", rectification.id, f"{kind.value}_submitted",
                 after={"round": number, "files": len(uploads)})
    return submission


def review_plan(item: WorkItem, decision: ReviewDecision, comments: str | None, actor: User) -> ReviewRecord:
    """审核整改方案: accept the plan (the unit carries it out) or return it with comments."""
    return _decide(item, StepKey.RECTIFICATION_PLAN_REVIEW, SubmissionKind.PLAN, decision, comments, actor)


def verify(item: WorkItem, decision: ReviewDecision, comments: str | None, actor: User) -> ReviewRecord:
    """核验: 销号 (the rectification closes) or return the result with comments."""
    return _decide(item, StepKey.RECTIFICATION_VERIFY, SubmissionKind.RESULT, decision, comments, actor)


#: Status after each verdict: (step, decision) → status.
_AFTER_VERDICT = {
    (StepKey.RECTIFICATION_PLAN_REVIEW, ReviewDecision.APPROVE): RectificationStatus.EXECUTING,
    (StepKey.RECTIFICATION_PLAN_REVIEW, ReviewDecision.RETURN): RectificationStatus.PLANNING,
    (StepKey.RECTIFICATION_VERIFY, ReviewDecision.APPROVE): RectificationStatus.VERIFIED,
    (StepKey.RECTIFICATION_VERIFY, ReviewDecision.RETURN): RectificationStatus.EXECUTING,
}


def _decide(item: WorkItem, step: StepKey, kind: SubmissionKind, decision: ReviewDecision, comments: str | None,
            actor: User) -> ReviewRecord:
    """Record a verdict on the latest round of ``kind`` and move the instance on."""
    begun = work_items.begin_step(item, actor, step)
    comments = (comments or "").strip() or None
    if decision is ReviewDecision.RETURN and comments is None:
        raise ValidationFailed("退回时必须填写意见。")
    rectification = rectification_of(item)
    latest = [s for s in rectification.submissions if s.kind is kind][-1]
    record = ReviewRecord(plan_task_id=rectification.plan_task_id, rectification_submission_id=latest.id,
                          step=step, decision=decision, comments=comments, reviewer=actor)
    db.session.add(record)
    before = {"status": rectification.status.value}
    rectification.status = _AFTER_VERDICT[(step, decision)]
    if rectification.status is RectificationStatus.VERIFIED:
        rectification.closed_at = utcnow()
    work_items.finish_step(item, actor, {"decision": decision.value}, begun)
    audit.record(actor, "rectification", rectification.id, f"{step}_{decision.value}", before=before,
                 after={"status": rectification.status.value, "comments": comments})
    _tell_unit(rectification, f"{step}:{latest.id}", f"{kind.label}{decision.label}",
               f"督审处对第 {latest.number} 次{kind.label}的意见:{decision.label}。{comments or ''}")
    return record


def _tell_unit(rectification: Rectification, event: str, title: str, body: str,
               topic: NoticeTopic = NoticeTopic.RECTIFICATION_DECIDED) -> None:
    """In-app notice (and mail) to the rectifying unit's liaisons."""
    task = rectification.task
    people = select(User).where(User.unit_id == rectification.unit_id, User.active.is_(True)).order_by(User.id)
    for user in db.session.scalars(people):
        if user.has_role(Role.LIAISON):
            notices.notify(user, NoticeKind.INFO, f"rectification:{rectification.id}:{event}",
                           f"{title}:{task.supervision_number or ''}{task.title[:30]}", body,
                           f"/rectifications/{rectification.id}", topic=topic)
