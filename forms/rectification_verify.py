"""核验销号: 督审处 verifies the result (销号) or returns it with comments."""
from wtforms import RadioField, SelectChoice
from wtforms.validators import Optional

from forms.common import APPROVE, RETURN, ReviewDecisionForm


class RectificationVerifyForm(ReviewDecisionForm):
    """核验销号."""

    form_key = "rectification_verify"

    decision = RadioField(
        "核验意见",
        choices=[SelectChoice(APPROVE, "核验通过,予以销号"), SelectChoice(RETURN, "退回重新整改")],
        validators=[Optional()],
    )
