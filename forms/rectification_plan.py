"""报送整改方案: the unit's plan for fixing the problems 督审处 listed."""
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.models import StepKey
from forms.common import StepForm, attachments_field


class RectificationPlanForm(StepForm):
    """报送整改方案."""

    form_key = StepKey.RECTIFICATION_PLAN

    text = TextAreaField("整改方案(措施、责任人、完成时间)",
                         validators=[DataRequired("请填写整改方案。"), Length(max=8000)])
    attachments = attachments_field()
    submit = SubmitField("报送整改方案")
