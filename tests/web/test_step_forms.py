"""The step forms' own rules: Chinese messages next to the field, and nothing typed is lost."""
from __future__ import annotations

from contextlib import ExitStack

import pytest
from werkzeug.datastructures import MultiDict

from app.steps import STEPS
from tests.conftest import make_test_app


@pytest.fixture(scope="module")
def form_app(migrated_app, database_url):
    """An app without CSRF: these tests are about the forms' own rules."""
    return make_test_app(database_url, WTF_CSRF_ENABLED=False)


@pytest.fixture
def form_context(form_app):
    """Build a step form from posted data inside a request; the request ends with the test."""
    with ExitStack() as stack:

        def build(form_key: str, data: dict):
            stack.enter_context(form_app.test_request_context(method="POST", data=MultiDict(data)))
            return STEPS[form_key].form()

        yield build


@pytest.mark.parametrize("key", ["decomposition_review", "report_review", "head_signoff"])
def test_a_return_needs_comments(form_context, key):
    form = form_context(key, {"decision": "return", "comments": "  "})
    assert not form.validate()
    assert form.comments.errors == ["退回时必须填写意见,说明需要修改的内容。"]


@pytest.mark.parametrize("key", ["decomposition_review", "report_review", "head_signoff"])
def test_a_decision_is_required(form_context, key):
    form = form_context(key, {})
    assert not form.validate() and "请选择" in form.decision.errors[0]


def test_approval_needs_no_comment(form_context):
    assert form_context("report_review", {"decision": "approve", "quality": "good"}).validate()


def test_decomposition_rows_report_each_missing_field_and_keep_the_rest(form_context):
    form = form_context("decomposition", {
        "milestones-0-title": "制定实施方案", "milestones-0-deliverable": "", "milestones-0-due_date": "2023-13-40",
        "milestones-0-owner": "0",
    })
    form.fill_choices(owners=[(0, "请选择"), (7, "张三")], units=[], targets=[])
    assert not form.validate()
    row = form.milestones[0].form
    assert row.deliverable.errors == ["请填写交付成果。"]
    assert row.due_date.errors and row.title.data == "制定实施方案"


def test_report_percent_must_be_within_0_and_100(form_context):
    form = form_context("milestone_report", {"progress": "已完成调研", "percent_done": "120"})
    assert not form.validate() and form.percent_done.errors == ["完成进度应在 0 到 100 之间。"]
    assert form.progress.data == "已完成调研"


def test_report_percent_may_be_0_but_not_left_empty(form_context):
    assert form_context("milestone_report", {"progress": "尚未启动", "percent_done": "0"}).validate()
    form = form_context("milestone_report", {"progress": "尚未启动", "percent_done": ""})
    assert not form.validate() and form.percent_done.errors == ["请填写完成进度。"]
