"""报送整改方案: the unit's plan for fixing the problems 督审处 listed."""
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.common import attachments_field


class RectificationPlanForm(FlaskForm):
    """报送整改方案."""

    text = TextAreaField("整改方案(措施、责任人、完成时间)",
                         validators=[DataRequired("请填写整改方案。"), Length(max=8000)])
    attachments = attachments_field()
    submit = SubmitField("报送整改方案")
