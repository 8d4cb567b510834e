"""What a step form asks for, read from the form itself: for GET /api/work-items/{id} and for OpenAPI."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Field,
    FieldList,
    FormField,
    IntegerField,
    SelectFieldBase,
    SelectMultipleField,
)
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm

#: Buttons, the CSRF token and file fields are not data (the API takes no attachments).
SKIPPED_TYPES = frozenset({"SubmitField", "CSRFTokenField", "FileField", "MultipleFileField"})


def data_fields(form: BaseForm) -> list[Field]:
    """The fields of ``form`` a client fills in."""
    return [field for field in form if field.type not in SKIPPED_TYPES]


def describe(field: Field) -> dict[str, Any]:
    """Name, Chinese label, JSON type, whether required, choices, and the value already set."""
    description: dict[str, Any] = {"name": field.short_name, "label": str(field.label.text),
                                   **_schema(field), "required": bool(field.flags.required)}
    if isinstance(field, FieldList):
        description["rows"] = [[describe(sub) for sub in data_fields(entry.form)] for entry in field]
    elif isinstance(field, SelectFieldBase) and field.choices:
        choices = field.iter_choices()
        description["choices"] = [{"value": value, "label": str(label)} for value, label, *_ in choices]
    if not isinstance(field, FieldList) and field.data not in (None, "", []):
        description["value"] = field.data if isinstance(field.data, (int, list)) else str(field.data)
    return description


def describe_form(form: FlaskForm) -> list[dict[str, Any]]:
    """Every field a client fills in, as ``describe`` shows it."""
    return [describe(field) for field in data_fields(form)]


def form_schema(form: BaseForm) -> dict[str, Any]:
    """A JSON Schema of the body that fills ``form``."""
    fields = data_fields(form)
    schema: dict[str, Any] = {"type": "object", "properties": {f.short_name: _property(f) for f in fields}}
    required = [f.short_name for f in fields if f.flags.required]
    return {**schema, "required": required} if required else schema


def _property(field: Field) -> dict[str, Any]:
    """A field's schema with its label, and its values when the form fixes them (通过/退回)."""
    schema = {**_schema(field), "description": str(field.label.text)}
    if isinstance(field, SelectFieldBase) and not isinstance(field, SelectMultipleField) and field.choices:
        schema["enum"] = [value for value, *_ in field.iter_choices()]
    return schema


def _schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of one field's value."""
    if isinstance(field, FieldList):
        return {"type": "array", "items": form_schema(_row_form(field.unbound_field))}
    if isinstance(field, SelectMultipleField):
        return {"type": "array", "items": _scalar(field)}
    return _scalar(field)


def _scalar(field: Field) -> dict[str, Any]:
    if isinstance(field, BooleanField):
        return {"type": "boolean"}
    if isinstance(field, DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, IntegerField) or getattr(field, "coerce", None) is int:
        return {"type": "integer"}
    if isinstance(field, DecimalField):
        return {"type": ["number", "string"]}
    if field.type == "HiddenField":
        return {"type": ["string", "integer"]}
    return {"type": "string"}


def _row_form(unbound: UnboundField) -> BaseForm:
    """A blank row of a FieldList(FormField(RowForm)), to read its fields."""
    if unbound.field_class is FormField:
        return unbound.args[0]()
    raise TypeError(f"FieldList of {unbound.field_class.__name__} is not supported by the API")
