"""Forms on the task page: a comment, a leader's instruction, the priority."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

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
