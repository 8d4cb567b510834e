"""Forms of the deadlines pages: an extension request and its decision, a policy, a calendar day."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.fields import DayField
from app.models import HoldKind, ReportCycle
from app.services.timing.deadline_policy import BOUNDS
from forms.common import attachments_field


class ExtensionRequestForm(FlaskForm):
    """申请延期."""

    requested_due = DayField("申请延期至", validators=[DataRequired("请填写申请延期至的日期(年-月-日)。")])
    reason = TextAreaField("延期理由", validators=[DataRequired("请填写申请延期的理由。"), Length(max=2000)])
    submit = SubmitField("提交延期申请")


class ExtensionDecisionForm(FlaskForm):
    """审批延期申请."""

    granted_due = DayField("批准延期至", validators=[DataRequired("请填写批准延期至的日期(年-月-日)。")])
    beyond_plan_year = BooleanField("确认跨年度延期", description="批准的日期晚于计划年度的 12 月 31 日时须勾选。")
    note = TextAreaField("审批意见", validators=[Optional(), Length(max=2000)])
    approve = SubmitField("批准")
    refuse = SubmitField("不予批准")


class TaskHoldRequestForm(FlaskForm):
    """申请中止或阶段性办结."""

    kind = RadioField("申请事项", choices=[SelectChoice(kind.value, kind.label) for kind in HoldKind],
                      validators=[InputRequired("请选择申请中止还是阶段性办结。")],
                      validate_choice=False)  # the service refuses another value, in Chinese
    reason = TextAreaField("理由", validators=[DataRequired("请填写申请的理由。"), Length(max=2000)])
    attachments = attachments_field()
    submit = SubmitField("提交申请")


class TaskHoldDecisionForm(FlaskForm):
    """审批中止或阶段性办结申请."""

    note = TextAreaField("审批意见", validators=[Optional(), Length(max=2000)])
    approve = SubmitField("批准")
    refuse = SubmitField("不予批准")


class BoundedField(IntegerField):
    """A whole number whose bounds come from the policy service, with Chinese messages."""

    def __init__(self, policy_field: str, help_text: str, **kwargs: object) -> None:
        bound = BOUNDS[policy_field]
        message = f"{bound.label}须为 {bound.low} 至 {bound.high} 之间的整数。"
        validators = [InputRequired(f"请填写{bound.label}。"), NumberRange(bound.low, bound.high, message)]
        super().__init__(bound.label, validators, description=help_text, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("请填写整数。") from None


class PolicyForm(FlaskForm):
    """时限规则: every field of the plan's DeadlinePolicy, in working days unless said otherwise."""

    version = HiddenField()
    decompose_within = BoundedField("decompose_within", "承办单位自任务下达之日起,须在多少个工作日内提交分解方案。")
    review_within = BoundedField("review_within", "督审处审核分解方案、审核进展报送和办结任务的工作日数。")
    respond_within = BoundedField("respond_within", "配合单位提交协办意见、单位负责人审签的工作日数。")
    remind_before = BoundedField("remind_before", "期限前多少个工作日发送临期提醒;填 0 不提醒。")
    escalate_head_after = BoundedField("escalate_head_after", "逾期多少个工作日后提请承办单位负责人督促。")
    escalate_leaders_after = BoundedField("escalate_leaders_after", "逾期多少个工作日后提请局领导督促;不得少于上一项。")
    stagnation_after = BoundedField("stagnation_after", "事项连续多少个工作日没有更新即发出停滞提醒;填 0 不提醒。")
    progress_tolerance = BoundedField("progress_tolerance", "报送进度落后于序时进度超过多少个百分点时亮黄灯(0–100)。")
    daily_digest = BooleanField("每日汇总提醒(同一人当天的提醒合并为一条)")
    report_cycle = SelectField("阶段性报送周期", choices=[SelectChoice(c.value, c.label) for c in ReportCycle])
    report_day = BoundedField("report_day", "按月或按季报送时,每期的报送日(每月 1–28 日)。")
    submit = SubmitField("保存时限规则")


class CalendarOverrideForm(FlaskForm):
    """添加节假日设置."""

    day = DayField("日期", validators=[DataRequired("请填写日期(年-月-日)。")])
    kind = RadioField("安排", choices=[SelectChoice("work", "上班"), SelectChoice("rest", "休息")],
                      validators=[InputRequired("请选择上班或休息。")])
    note = StringField("说明", validators=[Optional(), Length(max=200, message="说明不能超过 200 字。")])
    submit = SubmitField("添加")
