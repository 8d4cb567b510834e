"""进展报送: progress on a milestone, with the actual values of its targets and attachments."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wtforms import FieldList, Form, FormField, HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.fields import AmountField, parse_id
from app.models import StepKey
from forms.common import StepForm, attachments_field


class TargetActualForm(Form):
    """The value reached so far for one plan target the milestone advances."""

    target_id = HiddenField()
    actual = AmountField("实际完成值", validators=[Optional()])

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """A value needs the id of its target; a forged or garbled one is shown on the value."""
        valid = super().validate(extra_validators)
        if self.actual.data is not None and parse_id(self.target_id.data or "") is None:
            self.actual.errors = [*self.actual.errors, "无法识别该值对应的指标,请刷新页面后重新填写。"]
            valid = False
        return valid


class MilestoneReportForm(StepForm):
    """报送节点进展."""

    form_key = StepKey.MILESTONE_REPORT

    progress = TextAreaField("工作进展", validators=[DataRequired("请填写工作进展。"), Length(max=8000)])
    # InputRequired, not DataRequired: 0 is falsy but a real answer ("not started yet").
    percent_done = IntegerField(
        "完成进度(%)",
        validators=[InputRequired("请填写完成进度。"), NumberRange(0, 100, "完成进度应在 0 到 100 之间。")],
    )
    actuals = FieldList(FormField(TargetActualForm))
    problems = TextAreaField("存在问题(可选)", validators=[Optional(), Length(max=4000)])
    next_steps = TextAreaField("下步计划(可选)", validators=[Optional(), Length(max=4000)])
    coordination = TextAreaField("需协调事项(可选)", validators=[Optional(), Length(max=4000)])
    attachments = attachments_field()
    save_draft = SubmitField("保存草稿")
    submit = SubmitField("报送")
