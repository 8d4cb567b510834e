"""The city's 处室 → 科室 mapping: one choice per 处室 of the bureau above."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SubmitField

from app.models import Unit


class MappingForm(FlaskForm):
    """对应关系; one choice field per provincial 处室 is added by mapping_form()."""

    submit = SubmitField("保存对应关系")


def field_name(upper: Unit) -> str:
    return f"upper_{upper.id}"


def mapping_form(uppers: list[Unit], own: list[Unit], current: dict[int, int]) -> MappingForm:
    """The form with a select per 处室 above, preset to the remembered 科室 ("不对应" = 0)."""

    class Form(MappingForm):
        pass

    choices = [SelectChoice(0, "(不对应)")] + [SelectChoice(unit.id, unit.name) for unit in own]
    for upper in uppers:
        setattr(Form, field_name(upper), SelectField(upper.name, coerce=int, choices=choices,
                                                     default=current.get(upper.id, 0)))
    return Form()


def chosen_pairs(form: MappingForm, uppers: list[Unit]) -> list[tuple[int, int]]:
    """The (处室, 科室) pairs the form sets."""
    return [(upper.id, value) for upper in uppers if (value := form[field_name(upper)].data)]
