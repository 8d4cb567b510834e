"""办结任务: 督审处 closes a unit's part of a task once every milestone is approved."""
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional


class TaskClosureForm(FlaskForm):
    """办结."""

    summary = TextAreaField("办结说明", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("办结")
