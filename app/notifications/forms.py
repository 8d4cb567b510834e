"""Forms of the notifications blueprint."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SubmitField

from app.fields import CheckboxListField
from app.models import NoticeTopic


class MailChoiceForm(FlaskForm):
    """邮件提醒设置: which kinds of notice also come by mail."""

    topics = CheckboxListField("以下事项同时发送邮件", choices=[SelectChoice(t.value, t.label) for t in NoticeTopic])
    #: Filled by the view: only the kinds the administrator gave an SMS template.
    sms = CheckboxListField("以下事项同时发送短信", choices=[])
    submit = SubmitField("保存")
