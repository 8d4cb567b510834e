"""Helpers for the API tests: clients signed in by bearer token (task 7 is the shared `task7` fixture)."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import PlanTask, User
from app.services.infrastructure import api_tokens


def issue_secret(username: str) -> str:
    """A committed token for the user."""
    user = db.session.scalar(select(User).where(User.username == username))
    issued = api_tokens.issue_token(user, f"{username} 的测试令牌", None)
    db.session.commit()
    return issued.secret


def bearer_client(app: Flask, secret: str) -> FlaskClient:
    """A client that sends ``Authorization: Bearer <secret>`` and no cookies of a signed-in session."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


@pytest.fixture
def api_as(app: Flask, demo):
    """A callable: a bearer-token client acting as the demo user."""
    return lambda username: bearer_client(app, issue_secret(username))


def open_item_id(client: FlaskClient, form_key: str, task: PlanTask) -> int:
    """The id of the caller's one open item of that kind on the task, found through GET /api/work-items."""
    items = client.get("/api/work-items").get_json()["items"]
    found = [i["id"] for i in items if i["form_key"] == form_key and i["task_id"] == task.id]
    assert len(found) == 1, (form_key, found)
    return found[0]


def complete(client: FlaskClient, item_id: int, body: dict, status: int = 200) -> dict:
    """POST the body to the item's completion and check the status; returns the JSON answer."""
    response = client.post(f"/api/work-items/{item_id}/complete", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()
