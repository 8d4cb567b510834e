"""Form key (the BPMN userTask's formKey property) → the form that step shows."""
from flask_wtf import FlaskForm

from app.models import StepKey
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
    StepKey.DECOMPOSITION: DecompositionForm,
    StepKey.DECOMPOSITION_REVIEW: DecompositionReviewForm,
    StepKey.MILESTONE_REPORT: MilestoneReportForm,
    StepKey.COOPERATING_CONTRIBUTION: CooperatingContributionForm,
    StepKey.HEAD_SIGNOFF: HeadSignoffForm,
    StepKey.REPORT_REVIEW: ReportReviewForm,
    StepKey.TASK_CLOSURE: TaskClosureForm,
    StepKey.PROGRESS_REPORT: ProgressReportForm,
    StepKey.RECTIFICATION_PLAN: RectificationPlanForm,
    StepKey.RECTIFICATION_PLAN_REVIEW: RectificationPlanReviewForm,
    StepKey.RECTIFICATION_RESULT: RectificationResultForm,
    StepKey.RECTIFICATION_VERIFY: RectificationVerifyForm,
}
