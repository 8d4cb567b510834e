"""办结任务: 督审处 closes a unit's part of a task once every milestone is approved."""
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.models import StepKey
from forms.common import StepForm


class TaskClosureForm(StepForm):
    """办结."""

    form_key = StepKey.TASK_CLOSURE

    summary = TextAreaField("办结说明", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("办结")
