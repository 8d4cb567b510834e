"""A short schemathesis run against /api/openapi.json, in-process (WSGI), signed in by a bearer token.

Every operation of the document gets a bounded, derandomized set of generated requests, valid
(positive) and invalid (negative) ones, half of them aimed at real rows (task 7 of the 2023 plan, its
open decomposition, a spare token). Every answer must be documented: no 5xx, a documented status, the
documented content type and response schema; one valid completion checks a 200 answer as well.
Failures are collected over the whole run and listed together, each with a curl command that
reproduces it. Undocumented methods are probed separately: 405 with ``Allow``.
"""
from __future__ import annotations

import contextvars
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, PlanTask, User, WorkItem
from app.services.infrastructure import api_tokens
from tests.api.conftest import issue_secret

#: Examples per operation and generation mode (26 operations × 2 modes; the document itself is skipped).
EXAMPLES = 25
#: The whole run's budget on a busy 2-core machine, shared equally by the operations and modes.
BUDGET_SECONDS = 60
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
#: Methods the 405 probe tries on every documented path.
PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _real_path_parameters(task: PlanTask, zhuce: User) -> dict[str, Any]:
    """Ids of rows that exist, so generated requests also reach past the 404s."""
    item = next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task.id and i.unit_id == zhuce.unit_id)
    spare = db.session.scalar(select(ApiToken.id).where(ApiToken.name.like("%备用%")))
    return {"item_id": item.id, "task_id": task.id, "token_id": spare, "owner": zhuce.id, "kind": "ledger",
            "job_id": 1, "request_id": 1,
            "rectification_id": 1, "review_id": 1, "plan_id": task.plan_id,
            "draft_id": 1}


def _strategy(operation: Any, mode: GenerationMode, real: dict[str, Any]) -> st.SearchStrategy[Case]:
    generated = operation.as_strategy(generation_mode=mode)
    names = {p.name for p in operation.path_parameters}
    if not names:
        return generated
    fixed = operation.as_strategy(generation_mode=mode, path_parameters={n: real[n] for n in names})
    return st.one_of(generated, fixed)


class Caller:
    """Sends each case with zhuce's token, issuing a new one when a generated DELETE revoked it."""

    def __init__(self) -> None:
        self.secret = issue_secret("zhuce")

    def call(self, case: Case) -> int:
        """One request in a context of its own (its own app context, g and session, as in production)."""
        try:
            response = contextvars.Context().run(case.call_and_validate, checks=CHECKS,
                                                 headers={"Authorization": f"Bearer {self.secret}"})
            return response.status_code
        finally:
            if self._revoked():
                self.secret = issue_secret("zhuce")

    def _revoked(self) -> bool:
        revoked_at = db.session.scalar(select(ApiToken.revoked_at)
                                       .where(ApiToken.token_sha256 == api_tokens.digest(self.secret)))
        db.session.rollback()   # hold no transaction open between the requests
        return revoked_at is not None


class Run:
    """The whole run: each (operation, mode) gets its share of the budget; failures and answers are kept."""

    def __init__(self, schema: Any, real: dict[str, Any]) -> None:
        self.operations = [result.ok() for result in schema.get_all_operations()]
        self.real, self.caller = real, Caller()
        self.share = BUDGET_SECONDS / (2 * len(self.operations))
        self.failures: list[str] = []
        self.statuses: dict[str, Counter[int]] = {op.label: Counter() for op in self.operations}

    def all(self) -> None:
        """Every operation, with valid and with invalid data."""
        for operation in self.operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                self.one(operation, mode, time.monotonic() + self.share)

    def one(self, operation: Any, mode: GenerationMode, deadline: float) -> None:
        """A bounded, derandomized batch of cases for one operation (no shrinking: the run stays short)."""
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, mode, self.real))
        def run(case: Case) -> None:
            if time.monotonic() < deadline:
                self.send(case, f"{operation.label} [{mode.value}]")

        run()

    def send(self, case: Case, label: str) -> None:
        try:
            status = self.caller.call(case)
        except (Failure, FailureGroup) as failure:
            status = getattr(getattr(failure, "response", None), "status_code", 0)
            self.failures.append(f"{label}: {failure}\n  {case.as_curl_command()}")
        except Exception as error:  # TESTING propagates what would have been a 500
            status = 500
            self.failures.append(f"{label}: 500 {error!r}\n  {case.as_curl_command()}")
        self.statuses[case.operation.label][status] += 1


@pytest.fixture
def real_ids(app: Flask, task7) -> dict[str, Any]:
    """Ids of real rows: task 7 (注册处 leads it), its open decomposition, and a spare token to revoke."""
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    api_tokens.issue_token(zhuce, "备用令牌", None)
    db.session.commit()
    return _real_path_parameters(task7, zhuce)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(app, real_ids):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    run = Run(schema, real_ids)
    run.all()
    # Random bodies rarely pass a step form: one valid completion checks the 200 answer's schema too.
    valid = schema["/api/work-items/{item_id}/complete"]["POST"].Case(
        path_parameters={"item_id": real_ids["item_id"]}, media_type="application/json",
        body={"form": "decomposition", "milestones": [{"title": "节点", "deliverable": "成果",
                                                      "due_date": "2023-06-30",
                                                      "past_date_reason": "补录", "owner": real_ids["owner"]}]})
    run.send(valid, "valid completion")
    assert not run.failures, f"{len(run.failures)} failure(s):\n" + "\n".join(run.failures)
    assert run.statuses[valid.operation.label][200] == 1
    # The run reached every operation, and past the sign-in: the token worked.
    assert len(run.statuses) == 27 and all(set(seen) - {401} for seen in run.statuses.values()), run.statuses


def test_every_undocumented_method_is_405_with_allow(client):
    """Routing answers before sign-in: even anonymous, a wrong method is 405 and names the right ones."""
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for template, operations in paths.items():
        path = template.format(item_id=1, task_id=1, token_id=1, kind="ledger", job_id=1,
                                 request_id=1, rectification_id=1, review_id=1, plan_id=1,
                                 draft_id=1)
        documented = {method.upper() for method in operations}
        for method in set(PROBED_METHODS) - documented:
            response = client.open(path, method=method)
            assert response.status_code == 405, (method, path)
            assert response.get_json()["error_code"] == "method_not_allowed"
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            assert allowed - {"HEAD", "OPTIONS"} == documented, (method, path, allowed)
