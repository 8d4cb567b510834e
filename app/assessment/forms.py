"""The scoring policy editor, and the appeal (申诉) forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.common import attachments_field


class PolicyForm(FlaskForm):
    """评分规则: the TOML text, why it changed, and the version it was edited from (stale-save check)."""

    text = TextAreaField("评分规则(TOML 格式,每项规则的含义见注释)", validators=[DataRequired("评分规则不能为空。")],
                         render_kw={"rows": 30, "spellcheck": "false"})
    note = StringField("修改说明", validators=[Optional(), Length(max=200, message="修改说明不能超过 200 字。")])
    based_on = HiddenField()
    submit = SubmitField("保存为新版本")


class AppealForm(FlaskForm):
    """申诉: why the line is wrong, evidence, and the line's points as shown (a changed line is refused)."""

    reason = TextAreaField("申诉理由", validators=[DataRequired("请填写申诉理由。"),
                                                Length(max=2000, message="申诉理由不能超过 2000 字。")],
                           render_kw={"rows": 5})
    attachments = attachments_field()
    seen_points = HiddenField()
    submit = SubmitField("提交申诉")


class AppealDecisionForm(FlaskForm):
    """处理申诉: accept with the points the line counts from now on, or reject with a reason."""

    adjusted_points = StringField("采纳后该条明细的分值", validators=[Optional(), Length(max=12)],
                                  description="扣分写负数,如原为 -3 分、认定不应扣分则填 0。")
    note = TextAreaField("处理意见", validators=[Optional(), Length(max=2000, message="处理意见不能超过 2000 字。")],
                         description="不予采纳时必须填写理由。", render_kw={"rows": 3})
    accept = SubmitField("采纳")
    reject = SubmitField("不予采纳")
