"""Template helpers: where an evaluation event is shown, and the evaluation a task page includes."""
from __future__ import annotations

from flask import url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask_login import current_user

from app.models import PlanTask, Role
from app.services.scoring import evaluation
from app.services.scoring.evaluation import TaskEvaluationResult

#: The anchor on the task page that shows each kind of event.
_ANCHORS = {"review_record": "review-{}", "milestone_report": "report-{}", "work_item": "task-audit",
            "plan_target": "task-text", "urge": "rectifications"}
_KIND_LABELS = {"review_record": "审核记录", "milestone_report": "进展报送", "work_item": "办理事项",
                "plan_target": "计划目标", "rectification": "整改", "urge": "催办", "appeal": "申诉决定"}


def event_link(kind: str | None, event_id: int | None, task_id: int) -> str | None:
    """Where the event is recorded: the rectification's own page, else the task page at the event."""
    if kind is None:
        return None
    if kind == "rectification":
        return url_for("rectification.detail", rectification_id=event_id)
    if kind == "appeal":
        return url_for("assessment.appeal_detail", appeal_id=event_id)
    return url_for("tasks.detail", task_id=task_id) + "#" + _ANCHORS[kind].format(event_id)


def event_label(kind: str | None, event_id: int | None) -> str:
    """审核记录 #12."""
    return f"{_KIND_LABELS[kind]} #{event_id}" if kind and event_id else (_KIND_LABELS.get(kind or "", ""))


def visible_evaluation(task: PlanTask) -> TaskEvaluationResult | None:
    """The task's evaluation as the signed-in user may see it: all units for 督审处, leaders and admins,
    only their own unit's line for unit staff."""
    result = evaluation.evaluation_of(task)
    if current_user.has_role(Role.SUPERVISOR, Role.LEADER, Role.ADMIN):
        return result
    own = [unit for unit in result.units if unit.unit_id == current_user.unit_id]
    return TaskEvaluationResult(result.task_id, result.final, result.policy_version, own) if own else None


def register_helpers(state: BlueprintSetupState) -> None:
    """Make the helpers available to every template (the task page includes the evaluation)."""
    state.app.add_template_global(event_link)
    state.app.add_template_global(event_label)
    state.app.add_template_global(visible_evaluation, "task_evaluation")
