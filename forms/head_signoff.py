"""单位负责人审签: the unit head signs the report off before it goes to 督审处."""
from typing import Any

from wtforms import SelectChoice

from forms.common import APPROVE, RETURN, ReviewDecisionForm


class HeadSignoffForm(ReviewDecisionForm):
    """审签或退回本单位报送."""

    form_key = "head_signoff"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.label.text = "审签意见"
        self.decision.choices = [SelectChoice(APPROVE, "同意报送"), SelectChoice(RETURN, "退回修改")]
