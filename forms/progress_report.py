"""阶段性进展报送: the unit's progress on a task for one period, with optional actual values of its targets."""
from __future__ import annotations

from wtforms import FieldList, FormField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.models import StepKey
from forms.common import StepForm
from forms.milestone_report import TargetActualForm


class ProgressReportForm(StepForm):
    """报送阶段性进展."""

    form_key = StepKey.PROGRESS_REPORT

    progress = TextAreaField("本期工作进展", validators=[DataRequired("请填写本期工作进展。"), Length(max=8000)])
    percent_done = IntegerField(
        "总体完成进度(%)",
        validators=[InputRequired("请填写总体完成进度。"), NumberRange(0, 100, "完成进度应在 0 到 100 之间。")],
    )
    actuals = FieldList(FormField(TargetActualForm))
    save_draft = SubmitField("保存草稿")
    submit = SubmitField("报送")
