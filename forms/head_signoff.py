"""单位负责人审签: the unit head signs the report off before it goes to 督审处."""
from typing import Any

from wtforms import SelectChoice

from app.models import ReviewDecision, StepKey
from forms.common import ReviewDecisionForm


class HeadSignoffForm(ReviewDecisionForm):
    """审签或退回本单位报送."""

    form_key = StepKey.HEAD_SIGNOFF

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.label.text = "审签意见"
        self.decision.choices = [SelectChoice(ReviewDecision.APPROVE, "同意报送"),
                                 SelectChoice(ReviewDecision.RETURN, "退回修改")]
