"""审核整改方案: 督审处 accepts the unit's plan or returns it with comments."""
from app.models import StepKey
from forms.common import ReviewDecisionForm


class RectificationPlanReviewForm(ReviewDecisionForm):
    """审核整改方案."""

    form_key = StepKey.RECTIFICATION_PLAN_REVIEW
