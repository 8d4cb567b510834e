"""The scoring policy editor."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class PolicyForm(FlaskForm):
    """评分规则: the TOML text, why it changed, and the version it was edited from (stale-save check)."""

    text = TextAreaField("评分规则(TOML 格式,每项规则的含义见注释)", validators=[DataRequired("评分规则不能为空。")],
                         render_kw={"rows": 30, "spellcheck": "false"})
    note = StringField("修改说明", validators=[Optional(), Length(max=200, message="修改说明不能超过 200 字。")])
    based_on = HiddenField()
    submit = SubmitField("保存为新版本")
