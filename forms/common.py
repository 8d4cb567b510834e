"""Pieces shared by the step forms: review decisions and attachments."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.models import ReviewDecision


class StepForm(FlaskForm):
    """The form of one human BPMN step; ``form_key`` is the step's formKey property."""

    form_key: ClassVar[str]


class ReviewDecisionForm(StepForm):
    """通过 or 退回, with comments that are required to return."""

    decision = RadioField(
        "审核意见",
        choices=[SelectChoice(ReviewDecision.APPROVE, "通过"), SelectChoice(ReviewDecision.RETURN, "退回修改")],
        validators=[Optional()],
    )
    comments = TextAreaField("意见说明", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("提交")

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """A decision is required, and a return needs comments saying what to change."""
        valid = super().validate(extra_validators)
        if self.decision.data not in set(ReviewDecision):
            self.decision.errors = [*self.decision.errors, "请选择“通过”或“退回修改”。"]
            valid = False
        if self.decision.data == ReviewDecision.RETURN and not (self.comments.data or "").strip():
            self.comments.errors = [*self.comments.errors, "退回时必须填写意见,说明需要修改的内容。"]
            valid = False
        return valid


def attachments_field() -> MultipleFileField:
    """Attachments: size and type are checked by the attachment service, not here."""
    return MultipleFileField("附件(可多选)")
