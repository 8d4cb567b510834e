"""审核分解: 督审处 confirms the decomposition or returns it with comments."""
from app.models import StepKey
from forms.common import ReviewDecisionForm


class DecompositionReviewForm(ReviewDecisionForm):
    """确认或退回分解方案."""

    form_key = StepKey.DECOMPOSITION_REVIEW
