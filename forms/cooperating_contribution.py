"""协办意见: a cooperating unit adds its part to the lead unit's milestone report."""
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.models import StepKey
from forms.common import StepForm, attachments_field


class CooperatingContributionForm(StepForm):
    """填写协办意见."""

    form_key = StepKey.COOPERATING_CONTRIBUTION

    contribution = TextAreaField("协办情况",
                                 validators=[DataRequired("请填写本单位承担部分的进展。"), Length(max=8000)])
    attachments = attachments_field()
    save_draft = SubmitField("保存草稿")
    submit = SubmitField("提交协办意见")
