"""审核分解: 督审处 confirms the decomposition or returns it with comments."""
from forms.common import ReviewDecisionForm


class DecompositionReviewForm(ReviewDecisionForm):
    """确认或退回分解方案."""

    form_key = "decomposition_review"
