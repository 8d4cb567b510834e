"""进展报送 and what follows it: cooperating contributions, head sign-off, 督审处 review."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import select

from app import workflow
from app.errors import ValidationFailed
from app.extensions import db
from app.file_cleanup import remember_new_file
from app.models import (
    Attachment,
    CooperatingContribution,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    PlanTarget,
    QualityRating,
    RectificationSubmission,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
    User,
    WorkItem,
)
from app.services.infrastructure import attachments, audit
from app.services.lifecycle import rollups, work_items
from app.services.lifecycle.supervision import lifecycle_instance
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


def milestone_of(item: WorkItem) -> Milestone:
    """The milestone a milestone work item is about."""
    milestone = db.session.get(Milestone, item.context.get("milestone_id"))
    if milestone is None:
        raise ValidationFailed("该待办没有对应的节点。")
    return milestone


def reportable_targets(milestone: Milestone) -> list[PlanTarget]:
    """The targets a report on the milestone gives actuals for: those it was linked to and, on the task's last
    milestone (latest due date), every target of the task — the final actual can always be reported."""
    last = db.session.scalar(select(Milestone.id).where(Milestone.plan_task_id == milestone.plan_task_id)
                             .order_by(Milestone.due_date.desc(), Milestone.position.desc(), Milestone.id.desc())
                             .limit(1))
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


def submit_report(
    item: WorkItem, progress: str, percent_done: int, actuals: Mapping[int, Decimal],
    uploads: Sequence[Upload], policy: UploadPolicy, actor: User,
) -> MilestoneReport:
    """Report progress on a milestone: a new round, never overwriting the last.

    :raises ValidationFailed: a percentage outside 0–100, an actual for another target, a bad attachment.
    """
    work_items.begin_step(item, actor, StepKey.MILESTONE_REPORT)
    milestone = milestone_of(item)
    if not 0 <= percent_done <= 100:
        raise ValidationFailed("完成进度应在 0 到 100 之间。")
    if not set(actuals) <= {target.id for target in reportable_targets(milestone)}:
        raise ValidationFailed("报送了不属于该节点的指标实际值。")
    report = MilestoneReport(
        milestone=milestone, number=len(milestone.reports) + 1, progress=progress.strip(),
        percent_done=percent_done, submitted_by=actor,
        actuals=[TargetActual(plan_target_id=tid, actual=value) for tid, value in actuals.items()],
    )
    db.session.add(report)
    db.session.flush()
    store_attachments(milestone.plan_task_id, report, uploads, policy, actor)
    milestone.status = MilestoneStatus.REPORTED
    work_items.finish_step(item, actor, {})
    audit.record(actor, "milestone_report", report.id, "submitted",
                 after={"milestone": milestone.id, "percent": percent_done})
    return report


def store_attachments(
    plan_task_id: int, owner: MilestoneReport | CooperatingContribution | RectificationSubmission,
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


def sign_off(item: WorkItem, decision: ReviewDecision, comments: str | None, actor: User) -> ReviewRecord:
    """单位负责人审签: agree to send the report on, or return it to the liaison."""
    return _decide(item, StepKey.HEAD_SIGNOFF, decision, comments, None, actor)


def review_report(
    item: WorkItem, decision: ReviewDecision, comments: str | None, quality: str | None, actor: User
) -> ReviewRecord:
    """督审处审核: approve the milestone (with a quality rating) or return the report with comments."""
    if quality and quality not in set(QualityRating):
        raise ValidationFailed("无法识别的质量评价。")
    record = _decide(item, StepKey.REPORT_REVIEW, decision, comments, quality or None, actor)
    milestone = milestone_of(item)
    if decision is ReviewDecision.APPROVE:
        milestone.status = MilestoneStatus.APPROVED
        rollups.record_approval(milestone, latest_report(milestone), record.decided_at)
        _signal_when_all_approved(milestone)
    return record


def _decide(
    item: WorkItem, step: StepKey, decision: ReviewDecision, comments: str | None, quality: str | None, actor: User
) -> ReviewRecord:
    """Record a verdict on the latest report and move the milestone instance on."""
    work_items.begin_step(item, actor, step)
    comments = (comments or "").strip() or None
    if decision is ReviewDecision.RETURN and comments is None:
        raise ValidationFailed("退回时必须填写意见。")
    milestone = milestone_of(item)
    record = ReviewRecord(
        plan_task_id=milestone.plan_task_id, milestone_report_id=latest_report(milestone).id,
        step=step, decision=decision, comments=comments, quality=quality, reviewer=actor,
    )
    db.session.add(record)
    work_items.finish_step(item, actor, {"decision": decision.value}, comments)
    if decision is ReviewDecision.RETURN:
        milestone.status = MilestoneStatus.IN_PROGRESS
    audit.record(actor, "milestone", milestone.id, f"{step}_{decision.value}", after={"comments": comments})
    return record


def _signal_when_all_approved(milestone: Milestone) -> None:
    """Once every milestone of the decomposition is approved, the lifecycle moves on to closure."""
    decomposition = milestone.decomposition
    if all(m.status is MilestoneStatus.APPROVED for m in decomposition.milestones):
        workflow.send_signal(lifecycle_instance(decomposition).id, "milestones_approved")
        deadlines.schedule_task(decomposition.task)
