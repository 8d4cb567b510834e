"""核验销号: 督审处 verifies the result (销号) or returns it with comments."""
from wtforms import RadioField, SelectChoice
from wtforms.validators import Optional

from app.models import ReviewDecision, StepKey
from forms.common import ReviewDecisionForm


class RectificationVerifyForm(ReviewDecisionForm):
    """核验销号."""

    form_key = StepKey.RECTIFICATION_VERIFY

    decision = RadioField(
        "核验意见",
        choices=[SelectChoice(ReviewDecision.APPROVE, "核验通过,予以销号"),
                 SelectChoice(ReviewDecision.RETURN, "退回重新整改")],
        validators=[Optional()],
    )
