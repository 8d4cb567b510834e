"""Form key (the BPMN userTask's formKey property) → the form that step shows."""
from flask_wtf import FlaskForm

from forms.cooperating_contribution import CooperatingContributionForm
from forms.decomposition import DecompositionForm
from forms.decomposition_review import DecompositionReviewForm
from forms.head_signoff import HeadSignoffForm
from forms.milestone_report import MilestoneReportForm
from forms.progress_report import ProgressReportForm
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
}
