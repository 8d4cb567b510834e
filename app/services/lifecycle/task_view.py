"""Everything that happened on a task, in order, for the task page and the step pages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import (
    Attachment,
    AuditEvent,
    CooperatingContribution,
    Decomposition,
    DecompositionRound,
    Milestone,
    MilestoneReport,
    Plan,
    PlanStatus,
    PlanTask,
    Rectification,
    ReviewRecord,
    TargetActual,
    TaskResponsibility,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)

#: What the history shows of each decomposition and milestone, loaded a relationship at a time for all rows
#: (a fixed number of queries however many rounds), not a lazy load per round, report or contribution.
_DECOMPOSITION_OPTIONS = (
    selectinload(Decomposition.unit),
    selectinload(Decomposition.rounds).selectinload(DecompositionRound.submitted_by),
)
_REPORTS = selectinload(Milestone.reports)
_MILESTONE_OPTIONS = (
    selectinload(Milestone.unit), selectinload(Milestone.owner), selectinload(Milestone.cooperating_units),
    _REPORTS.selectinload(MilestoneReport.submitted_by),
    _REPORTS.selectinload(MilestoneReport.actuals).selectinload(TargetActual.target),
    _REPORTS.selectinload(MilestoneReport.contributions).selectinload(CooperatingContribution.unit),
    _REPORTS.selectinload(MilestoneReport.contributions).selectinload(CooperatingContribution.submitted_by),
)


@dataclass(frozen=True)
class TaskHistory:
    """A task's decompositions, milestones, verdicts, attachments, open steps and audit trail."""

    decompositions: list[Decomposition]
    milestones: list[Milestone]
    reviews: dict[tuple[str, int], list[ReviewRecord]]
    attachments: dict[tuple[str, int], list[Attachment]]
    open_items: list[WorkItem]
    instances: list[WorkflowInstance]
    audit: list[AuditEvent]
    rectifications: dict[int, Rectification]

    def reviews_of(self, submission: DecompositionRound | MilestoneReport) -> list[ReviewRecord]:
        """Verdicts on one submission, oldest first."""
        return self.reviews.get((submission.__tablename__, submission.id), [])

    def attachments_of(self, submission: MilestoneReport | CooperatingContribution) -> list[Attachment]:
        """Files attached to one submission."""
        return self.attachments.get((submission.__tablename__, submission.id), [])

    def rectification_from(self, review: ReviewRecord) -> Rectification | None:
        """The rectification opened from a returned review, if any."""
        return self.rectifications.get(review.id)


def task_history(task: PlanTask) -> TaskHistory:
    """Load the whole history of ``task`` in a handful of queries."""
    decompositions = _all(select(Decomposition).where(Decomposition.plan_task_id == task.id)
                          .options(*_DECOMPOSITION_OPTIONS).order_by(Decomposition.id))
    milestones = _all(select(Milestone).where(Milestone.plan_task_id == task.id).options(*_MILESTONE_OPTIONS)
                      .order_by(Milestone.decomposition_id, Milestone.position))
    reviews: dict[tuple[str, int], list[ReviewRecord]] = {}
    for record in _all(select(ReviewRecord).where(ReviewRecord.plan_task_id == task.id)
                       .options(selectinload(ReviewRecord.reviewer)).order_by(ReviewRecord.id)):
        reviews.setdefault(record.reviewed, []).append(record)
    attachments: dict[tuple[str, int], list[Attachment]] = {}
    for attachment in _all(select(Attachment).where(Attachment.plan_task_id == task.id).order_by(Attachment.id)):
        attachments.setdefault(attachment.owner, []).append(attachment)
    rectifications = {r.review_record_id: r for r in _all(select(Rectification).where(
        Rectification.plan_task_id == task.id, Rectification.review_record_id.is_not(None)))}
    instances = _all(select(WorkflowInstance).where(WorkflowInstance.plan_task_id == task.id)
                     .order_by(WorkflowInstance.id))
    open_items = _all(select(WorkItem).where(
        WorkItem.instance_id.in_([i.id for i in instances]), WorkItem.state == WorkItemState.OPEN,
    ).order_by(WorkItem.id))
    return TaskHistory(decompositions, milestones, reviews, attachments, open_items, instances,
                       _audit(task, decompositions, milestones, instances), rectifications)


def _all(query: Select[Any]) -> list[Any]:
    return list(db.session.scalars(query))


def _audit(task: PlanTask, decompositions: list[Decomposition], milestones: list[Milestone],
           instances: list[WorkflowInstance]) -> list[AuditEvent]:
    """Audit rows about the task itself (plan revisions, priority, score) and its decompositions, milestones,
    reports, contributions, rectifications and work items."""
    reports = [r for m in milestones for r in m.reports]
    ids_by_entity: dict[str, list[int] | list[str]] = {
        "plan_task": [task.id],
        "decomposition": [d.id for d in decompositions],
        "milestone": [m.id for m in milestones],
        "milestone_report": [r.id for r in reports],
        "cooperating_contribution": [c.id for r in reports for c in r.contributions],
        "rectification": [i.rectification_id for i in instances if i.rectification_id is not None],
        "work_item": list(db.session.scalars(
            select(WorkItem.id).where(WorkItem.instance_id.in_([i.id for i in instances])))),
    }
    clauses = [
        (AuditEvent.entity == entity) & AuditEvent.entity_id.in_([str(i) for i in ids])
        for entity, ids in ids_by_entity.items() if ids
    ]
    query = select(AuditEvent).where(or_(*clauses)).options(selectinload(AuditEvent.actor))
    return _all(query.order_by(AuditEvent.id)) if clauses else []


def tasks_of_unit(unit_id: int) -> list[PlanTask]:
    """Tasks of active plans the unit answers for, in plan order."""
    query = (select(PlanTask).join(PlanTask.plan)
             .where(Plan.status == PlanStatus.ACTIVE, PlanTask.cancelled_at.is_(None))
             .where(PlanTask.id.in_(select(TaskResponsibility.task_id).where(TaskResponsibility.unit_id == unit_id)))
             .options(contains_eager(PlanTask.plan)).order_by(Plan.id, PlanTask.number))
    return _all(query)
