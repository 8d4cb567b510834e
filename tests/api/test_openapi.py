"""The OpenAPI document: well-formed 3.1, every API route and method in it, every reference resolvable."""
from __future__ import annotations

import re

from app.steps import STEPS

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _openapi_path(rule: str) -> str:
    """/api/work-items/<int:item_id> → /api/work-items/{item_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_is_public_and_has_the_required_parts(client):
    document = _document(client)
    assert document["openapi"].startswith("3.1") and document["info"]["title"] and document["info"]["version"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["type"] == "apiKey" and schemes["cookieAuth"]["in"] == "cookie"
    assert document["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]


def test_every_api_route_and_method_is_described(app, client):
    paths = _document(client)["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = _openapi_path(rule.rule)
        assert path in paths, path
        for method in rule.methods & METHODS:
            operation = paths[path][method.lower()]
            assert operation["operationId"] == rule.endpoint and operation["responses"]
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(rule.arguments), path
    described = {(path, method) for path, item in paths.items() for method in item}
    routed = {(_openapi_path(r.rule), m.lower()) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/") for m in r.methods & METHODS}
    assert described == routed


def test_every_reference_resolves_and_every_step_form_has_a_request_schema(client):
    document = _document(client)
    for ref in set(_refs(document)):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    schemas = document["components"]["schemas"]
    assert {f"Step_{key}" for key in STEPS} <= set(schemas)
    decomposition = schemas["Step_decomposition"]["properties"]["milestones"]["items"]
    assert set(decomposition["required"]) == {"title", "deliverable", "due_date", "owner"}
    assert decomposition["properties"]["due_date"]["format"] == "date"
    assert "attachments" not in schemas["Step_milestone_report"]["properties"]
    assert schemas["Step_milestone_report"]["required"] == ["progress", "percent_done"]


def test_the_completion_body_names_its_form_by_a_discriminator(client):
    schemas = _document(client)["components"]["schemas"]
    body = schemas["CompletionRequest"]
    assert "anyOf" not in body and body["discriminator"]["propertyName"] == "form"
    assert body["discriminator"]["mapping"] == {key: f"#/components/schemas/{key}" for key in STEPS}
    mapping = body["discriminator"]["mapping"]
    assert sorted(variant["$ref"] for variant in body["oneOf"]) == sorted(mapping.values())
    report = schemas["milestone_report"]
    assert report["properties"]["form"]["const"] == "milestone_report"
    assert report["required"] == ["form", "progress", "percent_done"]
    fields = schemas["Step_milestone_report"]["properties"]
    assert report["properties"]["percent_done"] == fields["percent_done"]
    assert "body_schema" in schemas["WorkItem"]["required"]
