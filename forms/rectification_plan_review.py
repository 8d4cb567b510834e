"""审核整改方案: 督审处 accepts the unit's plan or returns it with comments."""
from forms.common import ReviewDecisionForm


class RectificationPlanReviewForm(ReviewDecisionForm):
    """审核整改方案."""

    form_key = "rectification_plan_review"
