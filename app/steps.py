"""The step registry: for each BPMN form key, its form, how the form is prepared and prefilled for a work
item, and which service it submits to. Pages and the API both work steps through it; uploads are handed in
by the caller, so nothing here reads the request."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice

from app.extensions import db
from app.models import ReviewDecision, User, WorkItem
from app.services.follow_up import rectification
from app.services.lifecycle import decomposition, progress_reports, reporting
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import ReportNotes, Upload
from app.services.plans import directory
from app.services.scoring import closure
from app.uploads import upload_policy
from forms.common import StepForm
from forms.cooperating_contribution import CooperatingContributionForm
from forms.decomposition import DecompositionForm
from forms.decomposition_review import DecompositionReviewForm
from forms.head_signoff import HeadSignoffForm
from forms.milestone_report import MilestoneReportForm
from forms.progress_report import ProgressReportForm
from forms.rectification_plan import RectificationPlanForm
from forms.rectification_plan_review import RectificationPlanReviewForm
from forms.rectification_result import RectificationResultForm
from forms.rectification_verify import RectificationVerifyForm
from forms.report_review import ReportReviewForm
from forms.task_closure import TaskClosureForm

#: The files sent with a submission (the API sends none).
Uploads = Sequence[Upload]
#: A step's submit: the valid form, the item, who acts, the files → the message shown to the user.
Submit = Callable[[FlaskForm, WorkItem, User, Uploads], str]


def _nothing(form: FlaskForm, item: WorkItem) -> None:
    """Most forms need no preparation."""


@dataclass(frozen=True)
class Step:
    """How one kind of step is shown and submitted."""

    form: type[StepForm]
    prepare: Callable[[FlaskForm, WorkItem], None]
    submit: Submit
    #: Fills a fresh form from the last submission, so a returned step is revised, not retyped.
    prefill: Callable[[FlaskForm, WorkItem], None] = _nothing


def step_of(item: WorkItem) -> Step:
    """The item's step (``form_key`` is nullable in the table, but every open work item names one)."""
    return STEPS[item.form_key or ""]


def form_class(item: WorkItem) -> type[StepForm]:
    """The form class of the item's step."""
    return step_of(item).form


def build_form(item: WorkItem, formdata: Any = None) -> FlaskForm:
    """The item's form, filled from the request or a draft, else from the last submission; choices set."""
    step = step_of(item)
    if formdata is not None:
        form = form_class(item)(formdata=formdata)
    else:
        form = form_class(item)()
        step.prefill(form, item)
    step.prepare(form, item)
    return form


def _prepare_decomposition(form: FlaskForm, item: WorkItem) -> None:
    task_unit = decomposition.decomposition_of(item)
    people = db.session.scalars(select(User).where(User.unit_id == task_unit.unit_id, User.active.is_(True)))
    units = directory.list_units(task_unit.unit.organisation, active_only=True)
    form.fill_choices(
        owners=[SelectChoice(0, "请选择…")] + [SelectChoice(p.id, p.display_name) for p in people],
        units=[SelectChoice(u.id, u.name) for u in units if u.id != task_unit.unit_id],
        targets=[SelectChoice(t.id, t.phrase) for t in task_unit.task.targets],
    )


def _prefill_decomposition(form: FlaskForm, item: WorkItem) -> None:
    unit_share = decomposition.decomposition_of(item)
    milestones = unit_share.milestones
    if not milestones:
        # A first decomposition ends, by default, where the plan says the task must be done: its suggested date,
        # never after a registered item's 办结时限 (no milestone may fall after it).
        task = unit_share.task
        form.milestones[-1].form.due_date.data = min(
            (day for day in (task.suggested_due, task.final_deadline) if day is not None), default=None)
        return
    form.milestones.entries = []
    # The live milestones follow the newest round row by row; the round also keeps each past date's reason.
    for milestone, as_submitted in zip(milestones, unit_share.rounds[-1].milestones, strict=False):
        form.milestones.append_entry({
            "title": milestone.title, "deliverable": milestone.deliverable, "due_date": milestone.due_date,
            "owner": milestone.owner_id, "cooperating_units": [u.id for u in milestone.cooperating_units],
            "targets": [t.id for t in milestone.targets], "past_date_reason": as_submitted.get("past_date_reason"),
        })
    form.note.data = unit_share.rounds[-1].note


def _submit_decomposition(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    plans = [
        MilestonePlan(
            row.title.data, row.deliverable.data, row.due_date.data, row.owner.data,
            tuple(row.cooperating_units.data or ()), tuple(row.targets.data or ()), row.past_date_reason.data,
        )
        for row in (entry.form for entry in form.milestones)
    ]
    decomposition.submit_decomposition(item, plans, form.note.data, actor)
    return f"分解方案已提交({len(plans)} 个节点),等待督审处审核。"


def _decision(form: FlaskForm) -> ReviewDecision:
    return ReviewDecision(form.decision.data)


def _submit_decomposition_review(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    decomposition.review_decomposition(item, _decision(form), form.comments.data, actor)
    return "已确认分解方案,各节点开始推进。" if _decision(form) is ReviewDecision.APPROVE else "已退回分解方案。"


def _prepare_report(form: FlaskForm, item: WorkItem) -> None:
    targets = reporting.reportable_targets(reporting.milestone_of(item))
    while len(form.actuals) < len(targets):
        form.actuals.append_entry()
    for entry, target in zip(form.actuals, targets, strict=False):
        entry.form.target_id.data = str(target.id)
        entry.form.actual.label.text = f"{target.phrase}(实际完成,单位:{target.unit})"


def _prefill_report(form: FlaskForm, item: WorkItem) -> None:
    milestone = reporting.milestone_of(item)
    if not milestone.reports:
        return
    last = milestone.reports[-1]
    form.progress.data, form.percent_done.data = last.progress, last.percent_done
    form.problems.data, form.next_steps.data, form.coordination.data = last.problems, last.next_steps, last.coordination
    values = {actual.plan_target_id: actual.actual for actual in last.actuals}
    for target in reporting.reportable_targets(milestone):
        form.actuals.append_entry({"target_id": str(target.id), "actual": values.get(target.id)})


def _submit_report(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    actuals = {
        int(entry.form.target_id.data): Decimal(entry.form.actual.data)
        for entry in form.actuals if entry.form.actual.data is not None
    }
    notes = ReportNotes(form.problems.data, form.next_steps.data, form.coordination.data)
    reporting.submit_report(item, form.progress.data, form.percent_done.data, actuals, uploads, upload_policy(),
                            actor, notes)
    return "进展已报送。"


def _prefill_contribution(form: FlaskForm, item: WorkItem) -> None:
    """After a return the cooperating unit revises its last contribution to the milestone, not retypes it."""
    if last := reporting.last_contribution(item):
        form.contribution.data = last.text


def _submit_contribution(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    reporting.contribute(item, form.contribution.data, uploads, upload_policy(), actor)
    return "协办意见已提交。"


def _submit_signoff(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    reporting.sign_off(item, _decision(form), form.comments.data, actor)
    return "已审签,报送督审处。" if _decision(form) is ReviewDecision.APPROVE else "已退回联络员修改。"


def _submit_report_review(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    reporting.review_report(item, _decision(form), form.comments.data, form.quality.data, actor)
    return "节点已审核通过。" if _decision(form) is ReviewDecision.APPROVE else "已退回报送,等待单位修改。"


def _prepare_progress_report(form: FlaskForm, item: WorkItem) -> None:
    targets = progress_reports.targets_of(item)
    while len(form.actuals) < len(targets):
        form.actuals.append_entry()
    for entry, target in zip(form.actuals, targets, strict=False):
        entry.form.target_id.data = str(target.id)
        entry.form.actual.label.text = f"{target.phrase}(实际完成,单位:{target.unit};可不填)"


def _submit_progress_report(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    actuals = {
        int(entry.form.target_id.data): Decimal(entry.form.actual.data)
        for entry in form.actuals if entry.form.actual.data is not None
    }
    report = progress_reports.submit_progress_report(item, form.progress.data, form.percent_done.data, actuals, actor)
    return f"{report.period} 阶段性进展已报送。"


def _submit_closure(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    closure.close_part(item, form.summary.data, actor)
    return "已办结。"


def _submit_rectification_plan(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    rectification.submit_plan(item, form.text.data, uploads, upload_policy(), actor)
    return "整改方案已报送,等待督审处审核。"


def _submit_rectification_result(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    rectification.submit_result(item, form.text.data, uploads, upload_policy(), actor)
    return "整改结果已报送,等待督审处核验。"


def _prefill_rectification(form: FlaskForm, item: WorkItem) -> None:
    """A returned plan or result is revised from its last round, not retyped."""
    kind = (item.form_key or "").removeprefix("rectification_")
    rounds = [s for s in rectification.rectification_of(item).submissions if s.kind == kind]
    if rounds:
        form.text.data = rounds[-1].text


def _submit_rectification_plan_review(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    rectification.review_plan(item, _decision(form), form.comments.data, actor)
    return "整改方案已审核通过。" if _decision(form) is ReviewDecision.APPROVE else "已退回整改方案。"


def _submit_rectification_verify(form: FlaskForm, item: WorkItem, actor: User, uploads: Uploads) -> str:
    rectification.verify(item, _decision(form), form.comments.data, actor)
    return "已核验销号。" if _decision(form) is ReviewDecision.APPROVE else "已退回整改结果,等待单位重新整改。"


_STEPS = (
    Step(DecompositionForm, _prepare_decomposition, _submit_decomposition, _prefill_decomposition),
    Step(DecompositionReviewForm, _nothing, _submit_decomposition_review),
    Step(MilestoneReportForm, _prepare_report, _submit_report, _prefill_report),
    Step(CooperatingContributionForm, _nothing, _submit_contribution, _prefill_contribution),
    Step(HeadSignoffForm, _nothing, _submit_signoff),
    Step(ReportReviewForm, _nothing, _submit_report_review),
    Step(TaskClosureForm, _nothing, _submit_closure),
    Step(ProgressReportForm, _prepare_progress_report, _submit_progress_report),
    Step(RectificationPlanForm, _nothing, _submit_rectification_plan, _prefill_rectification),
    Step(RectificationPlanReviewForm, _nothing, _submit_rectification_plan_review),
    Step(RectificationResultForm, _nothing, _submit_rectification_result, _prefill_rectification),
    Step(RectificationVerifyForm, _nothing, _submit_rectification_verify),
)
#: Form key (the BPMN userTask's formKey property) → its step.
STEPS: dict[str, Step] = {step.form.form_key: step for step in _STEPS}
