"""报送整改结果: what the unit did, with evidence (佐证材料)."""
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.models import StepKey
from forms.common import StepForm, attachments_field


class RectificationResultForm(StepForm):
    """报送整改结果."""

    form_key = StepKey.RECTIFICATION_RESULT

    text = TextAreaField("整改结果", validators=[DataRequired("请填写整改结果。"), Length(max=8000)])
    attachments = attachments_field()
    submit = SubmitField("报送整改结果")
