"""JSON in, the step's own Flask-WTF form out: the API validates with exactly the page's form.

A JSON body ``{"milestones": [{"title": "…"}], "note": "…"}`` becomes the form data the
page would post (``milestones-0-title=…``, ``note=…``); lists of plain values become
repeated keys (checkbox lists). Attachments are not accepted by the API.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from flask import current_app, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField

from app.api.auth import token_authenticated
from app.errors import FormInvalid, ValidationFailed
from app.fields import leaf_fields
from app.models import WorkItem
from app.steps import STEPS, form_class, step_of

F = TypeVar("F", bound=FlaskForm)


def json_body() -> dict[str, Any]:
    """The request's JSON object.

    :raises ValidationFailed: the body is not a JSON object.
    """
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationFailed("请求体必须是 JSON 对象(Content-Type: application/json)。")
    return payload


class FormMismatch(ValidationFailed):
    """The body's ``form`` names another form than the item's."""

    error_code = "form_mismatch"


def step_fields(item: WorkItem, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields of a completion body; its ``form`` must name the item's form (absent: taken as it).

    :raises FormMismatch: ``form`` names another form, or the item has no form the API can fill.
    """
    if item.form_key not in STEPS:
        raise FormMismatch(f"「{item.step_name}」没有可通过接口提交的表单,请在页面上办理。")
    if payload.get("form", item.form_key) != item.form_key:
        raise FormMismatch(f"请求体的 form 与该待办的表单不符:该待办的 form 应为“{item.form_key}”。")
    return {key: value for key, value in payload.items() if key != "form"}


def flatten(data: Mapping[str, Any], prefix: str = "") -> MultiDict[str, str]:
    """Form data as the page would post it, from nested JSON."""
    flat: MultiDict[str, str] = MultiDict()
    for key, value in data.items():
        for name, text in _pairs(f"{prefix}{key}", value):
            flat.add(name, text)
    return flat


def _pairs(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        yield from flatten(value, f"{name}-").items(multi=True)
    elif isinstance(value, list):
        for index, element in enumerate(value):
            yield from _pairs(f"{name}-{index}", element) if isinstance(element, Mapping) else _pairs(name, element)
    elif value is not None:
        yield name, _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "y" if value else ""
    return str(value)


def filled_form(form_type: type[F], payload: Mapping[str, Any]) -> F:
    """A page's form filled from ``payload``; token requests skip the form's CSRF check (see auth.py)."""
    formdata = flatten(payload)
    if token_authenticated():
        return form_type(formdata=formdata, meta={"csrf": False})
    formdata.setlist(current_app.config["WTF_CSRF_FIELD_NAME"], _csrf_header())
    return form_type(formdata=formdata)


def validated_form(form_type: type[F], payload: Mapping[str, Any]) -> F:
    """A page's form filled from ``payload`` and validated by its own rules.

    :raises FormInvalid: with each field's messages, as the page would show them.
    """
    form = filled_form(form_type, payload)
    if not form.validate():
        raise FormInvalid(form.errors)
    return form


def step_form(item: WorkItem, payload: Mapping[str, Any]) -> FlaskForm:
    """The item's form filled from ``payload``."""
    form = filled_form(form_class(item), payload)
    sent = _hidden_values(form)
    step_of(item).prepare(form, item)
    _ensure_hidden_unchanged(form, sent)
    return form


def blank_step_form(item: WorkItem) -> FlaskForm:
    """The item's form as the step prepares it, with nothing filled in (to describe it)."""
    form = form_class(item)(formdata=MultiDict(), meta={"csrf": False})
    step_of(item).prepare(form, item)
    return form


def _csrf_header() -> list[str]:
    return [value for name in current_app.config["WTF_CSRF_HEADERS"] if (value := request.headers.get(name))][:1]


def validated_step_form(item: WorkItem, payload: Mapping[str, Any]) -> FlaskForm:
    """The filled form of a completion body, validated by its own rules.

    :raises FormMismatch: the body's ``form`` is not the item's (see step_fields).
    :raises FormInvalid: with each field's messages, as the page would show them.
    """
    form = step_form(item, step_fields(item, payload))
    if not form.validate():
        raise FormInvalid(form.errors)
    return form


def _hidden_values(form: FlaskForm) -> dict[str, Any]:
    hidden = (f for f in leaf_fields(form) if isinstance(f, HiddenField) and f.short_name != "csrf_token")
    return {f.name: f.data for f in hidden if f.data}


def _ensure_hidden_unchanged(form: FlaskForm, sent: dict[str, Any]) -> None:
    """Rows the step fixes (a report's targets) must be sent in its order, or values would land on the wrong row.

    :raises FormInvalid: a sent hidden value differs from the one the step sets at that position.
    """
    prepared = _hidden_values(form)
    wrong = {name: [f"应为 {prepared.get(name)},与本事项的顺序不符。"] for name, value in sent.items()
             if prepared.get(name) != value}
    if wrong:
        raise FormInvalid(wrong, "各行须按本事项给出的顺序填写(见 GET /api/work-items/{id} 的 fields)。")
