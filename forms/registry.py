"""Form key (the BPMN userTask's formKey property) → the form that step shows."""
from flask_wtf import FlaskForm

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

FORMS: dict[str, type[FlaskForm]] = {
    "decomposition": DecompositionForm,
    "decomposition_review": DecompositionReviewForm,
    "milestone_report": MilestoneReportForm,
    "cooperating_contribution": CooperatingContributionForm,
    "head_signoff": HeadSignoffForm,
    "report_review": ReportReviewForm,
    "task_closure": TaskClosureForm,
    "progress_report": ProgressReportForm,
    "rectification_plan": RectificationPlanForm,
    "rectification_plan_review": RectificationPlanReviewForm,
    "rectification_result": RectificationResultForm,
    "rectification_verify": RectificationVerifyForm,
}
