"""A task with its whole history, as JSON: what the task page shows, minus the diagram."""
from __future__ import annotations

from typing import Any

from flask import url_for

from app.api.serialize import number, unit_ref, user_ref, when, work_item_json
from app.models import (
    Attachment,
    CooperatingContribution,
    Decomposition,
    DecompositionRound,
    Milestone,
    MilestoneReport,
    PlanTask,
    ReviewRecord,
    TaskResponsibility,
)
from app.services.lifecycle.task_view import TaskHistory


def task_json(task: PlanTask, history: TaskHistory, closed: bool) -> dict[str, Any]:
    """The task, who answers for it, its targets, and every decomposition, milestone, verdict and open step."""
    return {
        "id": task.id, "plan": {"id": task.plan.id, "title": task.plan.title, "year": task.plan.year,
                                "kind": task.plan.kind.value, "source": task.plan.source_label},
        "section": task.section.title if task.section else None, "number": task.number, "title": task.title,
        "text": task.text, "supervision_number": task.supervision_number, "priority": task.priority.value,
        "priority_label": task.priority.label, "closed": closed,
        "final_deadline": task.final_deadline.isoformat() if task.final_deadline else None,
        "responsibilities": [_responsibility(r) for r in task.responsibilities],
        "targets": [{"id": t.id, "phrase": t.phrase, "value": number(t.value), "unit": t.unit,
                     "comparator": t.comparator} for t in task.targets],
        "decompositions": [_decomposition(d, history) for d in history.decompositions],
        "milestones": [_milestone(m, history) for m in history.milestones],
        "open_items": [work_item_json(item) for item in history.open_items],
        # "subject" keeps the API's "<kind>:<id>" naming of what an instance drives.
        "instances": [{"id": i.id, "process_id": i.spec_version.process_id, "version": i.spec_version.version,
                       "subject": f"{i.kind}:{i.linked_id}" if i.kind else None, "status": i.status.value}
                      for i in history.instances],
        "audit": [{"at": when(e.at), "actor": user_ref(e.actor), "entity": e.entity, "entity_id": e.entity_id,
                   "action": e.action} for e in history.audit],
    }


def _responsibility(row: TaskResponsibility) -> dict[str, Any]:
    return {"role": row.role.value, "role_label": row.role.label, "unit": unit_ref(row.unit),
            "group_id": row.group_id, "name": row.holder_name, "written_as": row.written_as}


def _decomposition(decomposition: Decomposition, history: TaskHistory) -> dict[str, Any]:
    return {"id": decomposition.id, "unit": unit_ref(decomposition.unit), "status": decomposition.status.value,
            "status_label": decomposition.status.label, "rounds": [_round(r, history) for r in decomposition.rounds]}


def _round(round_: DecompositionRound, history: TaskHistory) -> dict[str, Any]:
    return {"id": round_.id, "number": round_.number, "note": round_.note, "milestones": round_.milestones,
            "submitted_by": user_ref(round_.submitted_by), "submitted_at": when(round_.submitted_at),
            "verdicts": _verdicts(history.reviews_of(round_))}


def _milestone(milestone: Milestone, history: TaskHistory) -> dict[str, Any]:
    return {
        "id": milestone.id, "decomposition_id": milestone.decomposition_id, "unit": unit_ref(milestone.unit),
        "position": milestone.position, "title": milestone.title, "deliverable": milestone.deliverable,
        "due_date": when(milestone.due_date), "owner": user_ref(milestone.owner), "status": milestone.status.value,
        "status_label": milestone.status.label, "cooperating_units": [unit_ref(u) for u in milestone.cooperating_units],
        "target_ids": [t.id for t in milestone.targets], "reports": [_report(r, history) for r in milestone.reports],
    }


def _report(report: MilestoneReport, history: TaskHistory) -> dict[str, Any]:
    return {
        "id": report.id, "number": report.number, "progress": report.progress, "percent_done": report.percent_done,
        "problems": report.problems, "next_steps": report.next_steps, "coordination": report.coordination,
        "submitted_by": user_ref(report.submitted_by), "submitted_at": when(report.submitted_at),
        "actuals": [{"target_id": a.plan_target_id, "actual": number(a.actual)} for a in report.actuals],
        "attachments": _attachments(history.attachments_of(report)),
        "contributions": [_contribution(c, history) for c in report.contributions],
        "verdicts": _verdicts(history.reviews_of(report)),
    }


def _contribution(contribution: CooperatingContribution, history: TaskHistory) -> dict[str, Any]:
    return {"id": contribution.id, "unit": unit_ref(contribution.unit), "text": contribution.text,
            "submitted_by": user_ref(contribution.submitted_by), "submitted_at": when(contribution.submitted_at),
            "attachments": _attachments(history.attachments_of(contribution))}


def _verdicts(records: list[ReviewRecord]) -> list[dict[str, Any]]:
    return [{"id": r.id, "step": r.step, "decision": r.decision.value, "decision_label": r.decision.label,
             "comments": r.comments, "quality": r.quality, "reviewer": user_ref(r.reviewer),
             "decided_at": when(r.decided_at)} for r in records]


def _attachments(files: list[Attachment]) -> list[dict[str, Any]]:
    """Metadata only; the file itself downloads through the page (a signed-in session)."""
    return [{"id": a.id, "original_name": a.original_name, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256, "uploaded_by": user_ref(a.uploaded_by), "uploaded_at": when(a.uploaded_at),
             "download_url": url_for("tasks.attachment", attachment_id=a.id)} for a in files]
