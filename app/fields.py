"""Form fields shared by several blueprints."""
from wtforms import SelectMultipleField, widgets


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
