"""分解: the lead unit breaks its task into milestones (项目化、清单化、责任化)."""
from __future__ import annotations

from wtforms import FieldList, Form, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.fields import CheckboxListField, DayField
from app.models import StepKey
from forms.common import StepForm

MAX_MILESTONES = 30


class MilestoneEntryForm(Form):
    """One milestone of the decomposition (a row of the list)."""

    title = StringField("节点名称", validators=[DataRequired("请填写节点名称。"), Length(max=200)])
    deliverable = TextAreaField("交付成果", validators=[DataRequired("请填写交付成果。"), Length(max=2000)])
    due_date = DayField("完成时限", validators=[DataRequired("请填写完成时限(年-月-日)。")])
    past_date_reason = StringField("早于今天的原因", validators=[Optional(), Length(max=200)],
                                   description="完成时限早于今天时必填(补录已完成的节点),否则留空。")
    owner = SelectField("责任人", coerce=int, validators=[DataRequired("请选择责任人。")])
    cooperating_units = CheckboxListField("配合单位", coerce=int, validators=[Optional()])
    targets = CheckboxListField("推进的量化指标", coerce=int, validators=[Optional()])


class DecompositionForm(StepForm):
    """细化分解任务: milestones with deliverables, deadlines, owners, cooperating units and targets."""

    form_key = StepKey.DECOMPOSITION

    milestones = FieldList(FormField(MilestoneEntryForm), min_entries=1, max_entries=MAX_MILESTONES)
    note = TextAreaField("分解说明", validators=[Optional(), Length(max=4000)])
    add_milestone = SubmitField("增加一个节点")
    save_draft = SubmitField("保存草稿")
    submit = SubmitField("提交分解方案")

    def fill_choices(self, owners: list, units: list, targets: list) -> None:
        """Give every row the unit's people, the bureau's units and the task's targets to choose from."""
        for row in self.milestones:
            row.form.owner.choices = owners
            row.form.cooperating_units.choices = units
            row.form.targets.choices = targets
