"""Forms of the rectification pages: opening a rectification, and a 催办 message."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.fields import DayField
from app.models import RectificationSource


class RectificationFromReviewForm(FlaskForm):
    """发起整改 from a returned report: the unit and milestone are the report's."""

    problems = TextAreaField("存在的问题(每行一个)",
                             validators=[DataRequired("请至少列出一个问题。"), Length(max=8000)])
    requirement = TextAreaField("整改要求", validators=[DataRequired("请填写整改要求。"), Length(max=4000)])
    due_date = DayField("整改期限", validators=[DataRequired("请填写整改期限。")])
    submit = SubmitField("发起整改")


class RectificationForm(RectificationFromReviewForm):
    """发起整改 on a task: which unit, which milestone (optional), where the problems came from."""

    unit = SelectField("整改单位", coerce=int, validators=[DataRequired("请选择整改单位。")])
    milestone = SelectField("涉及节点(可选)", coerce=int)
    source = SelectField("问题来源", choices=[SelectChoice(s.value, s.label) for s in RectificationSource])


class UrgeForm(FlaskForm):
    """催办 with a message to the unit."""

    message = TextAreaField("催办内容", validators=[DataRequired("请填写催办内容。"), Length(max=2000)])
    submit = SubmitField("催办")
