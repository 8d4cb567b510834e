"""进展报送 and what follows it: cooperating contributions, head sign-off, 督审处 review."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload

from app import workflow
from app.errors import FieldRefused, ValidationFailed
from app.extensions import db
from app.file_cleanup import remember_new_file
from app.models import (
    Appeal,
    Attachment,
    CooperatingContribution,
    Decomposition,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    PlanTarget,
    PlanTask,
    QualityRating,
    RectificationSubmission,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
    TaskHoldRequest,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
)
from app.services.infrastructure import attachments, audit
from app.services.lifecycle import rollups, work_items
from app.services.timing import deadlines


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the form received it."""

    filename: str
    data: bytes


def _configured(name: str, default: int) -> int:
    """A limit from the running app's settings (the default outside an app context)."""
    return int(current_app.config.get(name, default)) if has_app_context() else default


@dataclass(frozen=True)
class UploadPolicy:
    """Where attachments go, how large each may be, and how many and how much one submission may carry."""

    root: Path
    max_bytes: int
    max_files: int = field(default_factory=lambda: _configured("MAX_ATTACHMENTS_PER_SUBMISSION", 20))
    max_total_bytes: int = field(default_factory=lambda: _configured("MAX_CONTENT_LENGTH", 10 * 1024 * 1024))


#: Columns a milestone step reads along with its lock (correlated to the step's milestone).
_REPORTS_SO_FAR = (select(func.count(MilestoneReport.id)).where(MilestoneReport.milestone_id == Milestone.id)
                   .correlate(Milestone).scalar_subquery().label("reports_so_far"))
_LATEST_REPORT = (select(func.max(MilestoneReport.id)).where(MilestoneReport.milestone_id == Milestone.id)
                  .correlate(Milestone).scalar_subquery().label("latest_report_id"))
_LATEST_REPORT_SENT = (select(MilestoneReport.submitted_at).where(MilestoneReport.milestone_id == Milestone.id)
                       .order_by(MilestoneReport.id.desc()).limit(1)
                       .correlate(Milestone).scalar_subquery().label("latest_report_submitted_at"))
_SIBLING = aliased(Milestone)
_LAST_OF_TASK = (select(_SIBLING.id).where(_SIBLING.plan_task_id == Milestone.plan_task_id)
                 .order_by(_SIBLING.due_date.desc(), _SIBLING.position.desc(), _SIBLING.id.desc()).limit(1)
                 .correlate(Milestone).scalar_subquery().label("last_of_task_id"))
_LIFECYCLE = aliased(WorkflowInstance)
_LIFECYCLE_ID = (select(_LIFECYCLE.id).where(_LIFECYCLE.decomposition_id == Milestone.decomposition_id)
                 .correlate(Milestone).scalar_subquery().label("lifecycle_id"))


def _milestone_and(*columns: Any, loads: tuple[Any, ...] = ()) -> Callable[[Select[Any]], Select[Any]]:
    """What a milestone step reads with its lock: the milestone (targets loaded), ``columns`` and ``loads``."""
    def along(query: Select[Any]) -> Select[Any]:
        return (query.outerjoin(Milestone, Milestone.id == bindparam("milestone_id"))
                .add_columns(Milestone, *columns).options(joinedload(Milestone.targets), *loads))

    return along


#: A report on the task's last milestone gives every target of the task (``reportable_targets``): read with the
#: lock, not lazily after it (the lock reads the milestone afresh, so what the form loaded is gone).
_TASK_TARGETS = joinedload(Milestone.decomposition).joinedload(Decomposition.task).joinedload(PlanTask.targets)
_REPORT_READS = _milestone_and(_REPORTS_SO_FAR, _LAST_OF_TASK, loads=(_TASK_TARGETS,))
#: What a step form reads of its milestone: its targets and (for a report on the last milestone) the task's.
_MILESTONE_LOADS = [joinedload(Milestone.targets), _TASK_TARGETS]
_REVIEW_READS = _milestone_and(_LATEST_REPORT, _LATEST_REPORT_SENT, _LIFECYCLE_ID)


def _begin(item: WorkItem, actor: User, step: StepKey, reads: Callable[[Select[Any]], Select[Any]]
           ) -> tuple[Milestone, work_items.Begun]:
    """Begin a milestone step, reading its milestone with the lock."""
    begun = work_items.begin_step(item, actor, step, reads, milestone_id=item.context.get("milestone_id"))
    if begun.row.Milestone is None:
        raise ValidationFailed("该待办没有对应的节点。")
    return begun.row.Milestone, begun


def milestone_of(item: WorkItem) -> Milestone:
    """The milestone a milestone work item is about (its targets loaded: every step form shows them)."""
    milestone = db.session.get(Milestone, item.context.get("milestone_id"), options=_MILESTONE_LOADS)
    if milestone is None:
        raise ValidationFailed("该待办没有对应的节点。")
    return milestone


def reportable_targets(milestone: Milestone, last_of_task_id: int | None = None) -> list[PlanTarget]:
    """The targets a report on the milestone gives actuals for: those it was linked to and, on the task's last
    milestone (latest due date), every target of the task — the final actual can always be reported.
    ``last_of_task_id``: that last milestone, when already read (with the step's lock)."""
    last = last_of_task_id or db.session.scalar(
        select(_LAST_OF_TASK.element).select_from(Milestone).where(Milestone.id == milestone.id))
    if last != milestone.id:
        return list(milestone.targets)
    linked = {target.id for target in milestone.targets}
    return [*milestone.targets, *(t for t in milestone.decomposition.task.targets if t.id not in linked)]


def latest_report(milestone: Milestone) -> MilestoneReport:
    """The newest report of a milestone.

    :raises ValidationFailed: nothing reported yet.
    """
    if not milestone.reports:
        raise ValidationFailed("该节点尚未报送进展。")
    return milestone.reports[-1]


def check_actuals(actuals: Mapping[int, Decimal], targets: Sequence[PlanTarget], foreign: str) -> None:
    """Actual values reported for ``targets`` (the form's rows, in this order).

    A target never allows a negative actual: it counts what was done, and one with "<=" (a reduction such
    as a rate kept under a ceiling) states the level reached, still ≥ 0; the plan model has no target
    that may go below zero.

    :raises ValidationFailed: an actual for another target (``foreign`` says so).
    :raises FieldRefused: a negative actual, on its row.
    """
    rows = {target.id: row for row, target in enumerate(targets)}
    for target_id, value in actuals.items():
        if target_id not in rows:
            raise ValidationFailed(foreign)
        if value < 0:
            raise FieldRefused(f"actuals-{rows[target_id]}-actual", "实际完成值不能为负数。")


@dataclass(frozen=True)
class ReportNotes:
    """The optional notes beside a report's progress: 存在问题, 下步计划, 需协调事项."""

    problems: str | None = None
    next_steps: str | None = None
    coordination: str | None = None

    def columns(self) -> dict[str, str | None]:
        """The report's columns, blank notes stored as none."""
        names = ("problems", "next_steps", "coordination")
        return {name: (getattr(self, name) or "").strip() or None for name in names}


def submit_report(
    item: WorkItem, progress: str, percent_done: int, actuals: Mapping[int, Decimal],
    uploads: Sequence[Upload], policy: UploadPolicy, actor: User, notes: ReportNotes = ReportNotes(),
) -> MilestoneReport:
    """Report progress on a milestone: a new round, never overwriting the last.

    :raises ValidationFailed: a percentage outside 0–100, an actual for another target, a bad attachment.
    """
    milestone, begun = _begin(item, actor, StepKey.MILESTONE_REPORT, _REPORT_READS)
    if not 0 <= percent_done <= 100:
        raise ValidationFailed("完成进度应在 0 到 100 之间。")
    check_actuals(actuals, reportable_targets(milestone, begun.row.last_of_task_id), "报送了不属于该节点的指标实际值。")
    report = MilestoneReport(
        milestone_id=milestone.id, number=begun.row.reports_so_far + 1, progress=progress.strip(),
        percent_done=percent_done, submitted_by=actor, **notes.columns(),
        actuals=[TargetActual(plan_target_id=tid, actual=value) for tid, value in actuals.items()],
    )
    db.session.add(report)
    if uploads:
        db.session.flush()  # the attachment rows name the report
        store_attachments(milestone.plan_task_id, report, uploads, policy, actor)
    milestone.status = MilestoneStatus.REPORTED
    work_items.finish_step(item, actor, {}, begun)
    audit.record(actor, "milestone_report", report.id, "submitted",
                 after={"milestone": milestone.id, "percent": percent_done})
    return report


def store_attachments(
    plan_task_id: int,
    owner: MilestoneReport | CooperatingContribution | RectificationSubmission | Appeal | TaskHoldRequest,
    uploads: Sequence[Upload], policy: UploadPolicy, actor: User,
) -> list[Attachment]:
    """Check and store each upload under the task's folder, attached to ``owner``; all or nothing is recorded.

    :raises ValidationFailed: too many files or too much in all, or one file not accepted.
    """
    attachments.check_submission([(u.filename, len(u.data)) for u in uploads], policy.max_files,
                                 policy.max_total_bytes)
    folder = policy.root / f"task-{plan_task_id}"
    owned_by = {f"{owner.__tablename__}_id": owner.id}
    rows = []
    for upload in uploads:
        stored = attachments.store(folder, upload.data, upload.filename, policy.max_bytes)
        remember_new_file(db.session(), stored.path)
        rows.append(Attachment(
            plan_task_id=plan_task_id, **owned_by, original_name=stored.original_name,
            stored_name=stored.stored_name, content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            uploaded_by=actor,
        ))
    db.session.add_all(rows)
    return rows


def contribute(
    item: WorkItem, text: str, uploads: Sequence[Upload], policy: UploadPolicy, actor: User,
) -> CooperatingContribution:
    """协办意见: the cooperating unit's part, attached to the current report round."""
    work_items.begin_step(item, actor, StepKey.COOPERATING_CONTRIBUTION)
    report = latest_report(milestone_of(item))
    contribution = CooperatingContribution(report=report, unit_id=item.unit_id, text=text.strip(), submitted_by=actor)
    db.session.add(contribution)
    db.session.flush()
    store_attachments(report.milestone.plan_task_id, contribution, uploads, policy, actor)
    work_items.finish_step(item, actor, {})
    audit.record(actor, "cooperating_contribution", contribution.id, "submitted", after={"report": report.id})
    return contribution


def last_contribution(item: WorkItem) -> CooperatingContribution | None:
    """The item's unit's newest contribution to the item's milestone (an earlier, returned round), if any."""
    return db.session.scalars(
        select(CooperatingContribution).join(MilestoneReport)
        .where(MilestoneReport.milestone_id == item.context.get("milestone_id"),
               CooperatingContribution.unit_id == item.unit_id)
        .order_by(CooperatingContribution.id.desc()).limit(1)).first()


def sign_off(item: WorkItem, decision: ReviewDecision, comments: str | None, actor: User) -> ReviewRecord:
    """单位负责人审签: agree to send the report on, or return it to the liaison."""
    return _decide(item, StepKey.HEAD_SIGNOFF, decision, comments, None, actor)[0]


def review_report(
    item: WorkItem, decision: ReviewDecision, comments: str | None, quality: str | None, actor: User
) -> ReviewRecord:
    """督审处审核: approve the milestone (with a quality rating) or return the report with comments."""
    if quality and quality not in set(QualityRating):
        raise ValidationFailed("无法识别的质量评价。")
    record, milestone, begun = _decide(item, StepKey.REPORT_REVIEW, decision, comments, quality or None, actor)
    if milestone.status is MilestoneStatus.APPROVED:
        _move_on_when_all_approved(milestone, begun)
    return record


def _decide(
    item: WorkItem, step: StepKey, decision: ReviewDecision, comments: str | None, quality: str | None, actor: User
) -> tuple[ReviewRecord, Milestone, work_items.Begun]:
    """Record a verdict on the latest report and move the milestone instance on (督审处's approval approves it)."""
    milestone, begun = _begin(item, actor, step, _REVIEW_READS)
    comments = (comments or "").strip() or None
    if decision is ReviewDecision.RETURN and comments is None:
        raise ValidationFailed("退回时必须填写意见。")
    if begun.row.latest_report_id is None:
        raise ValidationFailed("该节点尚未报送进展。")
    record = ReviewRecord(
        plan_task_id=milestone.plan_task_id, milestone_report_id=begun.row.latest_report_id,
        step=step, decision=decision, comments=comments, quality=quality, reviewer=actor,
    )
    db.session.add(record)
    if decision is ReviewDecision.RETURN:
        milestone.status = MilestoneStatus.IN_PROGRESS
    audit.record(actor, "milestone", milestone.id, f"{step}_{decision.value}", after={"comments": comments})
    work_items.finish_step(item, actor, {"decision": decision.value}, begun, note=comments)
    # An approving review approves the milestone when it ends the milestone's flow: a diagram version may
    # add a later review (分管局领导审核 for 特急 items), and only the last approval counts.
    if (decision is ReviewDecision.APPROVE and step is StepKey.REPORT_REVIEW
            and item.instance.status is WorkflowStatus.COMPLETED):
        milestone.status = MilestoneStatus.APPROVED
        rollups.record_approval(milestone, begun.row.latest_report_submitted_at, record.decided_at)
    return record, milestone, begun


def _move_on_when_all_approved(milestone: Milestone, begun: work_items.Begun) -> None:
    """Once the decomposition's milestones are all approved, its lifecycle moves on to closure.

    The others are counted after the lifecycle instance is locked: two approvals of the last two
    milestones at once each hold only their own milestone's instance, so they queue on the lifecycle's
    and the later one reads the earlier one's approval, committed, and signals (PostgreSQL).
    """
    lifecycle = workflow.lock_instance(begun.row.lifecycle_id)  # held: the signal reuses the row read here
    unapproved = select(func.count(Milestone.id)).where(
        Milestone.decomposition_id == milestone.decomposition_id, Milestone.id != milestone.id,
        Milestone.status != MilestoneStatus.APPROVED)
    if not db.session.scalar(unapproved):
        workflow.send_signal(lifecycle.id, "milestones_approved",
                             on_open=deadlines.dating(milestone.plan_task_id, begun.rules))
