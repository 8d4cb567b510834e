"""Forms on the task page: a comment, a leader's instruction, the priority, and a target's split."""
from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.fields import AmountField, CheckboxListField
from app.models import Priority


class CommentForm(FlaskForm):
    """发表留言."""

    body = TextAreaField("留言", validators=[DataRequired("请填写留言内容。"), Length(max=4000)])
    submit = SubmitField("发表")


class InstructionForm(FlaskForm):
    """领导批示."""

    body = TextAreaField("批示内容", validators=[DataRequired("请填写批示内容。"), Length(max=4000)])
    submit = SubmitField("批示")


class PriorityForm(FlaskForm):
    """督办等级."""

    priority = SelectField("督办等级", choices=[SelectChoice(p.value, p.label) for p in Priority])
    submit = SubmitField("调整")


class SplitForm(FlaskForm):
    """指标分解; one share field per city is added by split_form()."""

    column = TextAreaField("按比例分配所依据的数据(每行“市州名称,数值”,如常住人口或上年完成数;可留空)",
                           validators=[Optional(), Length(max=20000)])
    upload = FileField("或上传该数据的 CSV 文件(两列:市州名称、数值;UTF-8 或 GB18030 编码)")
    save = SubmitField("保存分解")
    evenly = SubmitField("平均分配")
    by_column = SubmitField("按数据比例分配")


def share_field(organisation_id: int) -> str:
    return f"share_{organisation_id}"


def split_form(cities: list[tuple[int, str, Decimal]]) -> SplitForm:
    """The form with one share per city (id, name, current share), preset to the current shares."""

    class Form(SplitForm):
        pass

    for organisation_id, name, value in cities:
        setattr(Form, share_field(organisation_id), AmountField(name, default=value))
    return Form()


class AssignForm(FlaskForm):
    """确定科室: the city's lead and cooperating 科室 for a dispatched task (choices set by the view)."""

    lead = SelectField("牵头科室", coerce=int, validators=[DataRequired("请选择牵头科室。")])
    cooperating = CheckboxListField("配合科室(可不选)", coerce=int)
    submit = SubmitField("确定并启动办理")
