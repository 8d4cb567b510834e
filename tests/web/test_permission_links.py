"""Links and buttons show exactly to those the route admits: templates ask the rules, they test no roles."""
from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from app.access import may_call
from app.errors import InvalidTransition, PermissionDenied
from app.extensions import db
from app.models import ReviewDecision, ReviewRecord, StepKey, Unit
from app.services.follow_up import rectification
from app.services.lifecycle import discussion
from app.services.plans import plan_import
from tests.conftest import ROOT, login

USERS = ("admin", "dushen", "zhuce", "zhuce_head", "kexin", "leader")
TEMPLATES = ROOT / "app" / "templates"


def signed_in_as(app, username: str):
    """A client of its own, signed in as the user."""
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def page_as(app, username: str, url: str, client=None) -> str | None:
    """The page as the user sees it, or None when the user may not open it."""
    response = (client or signed_in_as(app, username)).get(url)
    body = response.get_data(as_text=True) if response.status_code == 200 else None
    response.close()
    return body


def cases(plan, task) -> list[tuple[str, str, str, frozenset[str]]]:
    """(page, endpoint it links to, the link as rendered, who sees it — as before the rules were asked)."""
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))
    with_url = [
        ("/plans/", "plans.import_start", url_for("plans.import_start"), {"dushen"}),
        (f"/plans/{plan.id}", "deadlines.policy", url_for("deadlines.policy", plan_id=plan.id), {"admin", "dushen"}),
        (f"/plans/{plan.id}", "plans.archive", url_for("plans.archive", plan_id=plan.id), {"dushen"}),
        (f"/plans/{plan.id}/assessment", "assessment.policy", url_for("assessment.policy", plan_id=plan.id),
         {"admin", "dushen"}),
        (f"/tasks/{task.id}", "tasks.instruct", url_for("tasks.instruct", task_id=task.id), {"leader"}),
        (f"/tasks/{task.id}", "tasks.priority", url_for("tasks.priority", task_id=task.id), {"dushen"}),
        (f"/tasks/{task.id}", "rectification.new", url_for("rectification.new", task_id=task.id), {"dushen"}),
        (f"/tasks/{task.id}", "plans.detail", f'href="{url_for("plans.detail", plan_id=plan.id)}"',
         {"admin", "dushen", "leader"}),
        (f"/tasks/{task.id}", "tasks.mine", f'href="{url_for("tasks.mine")}"', {"zhuce", "zhuce_head", "kexin"}),
        # 注册处's own people see (and may appeal) its score too.
        (f"/dashboards/units/{unit_id}", "assessment.unit",
         url_for("assessment.unit", plan_id=plan.id, unit_id=unit_id),
         {"admin", "dushen", "leader", "zhuce", "zhuce_head"}),
        ("/work/inbox", "rectification.open_items", 'data-testid="urge-link"', {"dushen"}),
        ("/directory/units", "admin.unit_new", url_for("admin.unit_new"), {"admin"}),
        (f"/directory/units/{unit_id}", "admin.unit_edit", url_for("admin.unit_edit", unit_id=unit_id), {"admin"}),
        ("/directory/groups", "admin.group_new", url_for("admin.group_new"), {"admin"}),
    ]
    return [(page, endpoint, link, frozenset(who)) for page, endpoint, link, who in with_url]


def test_each_link_shows_to_each_role_as_before_and_as_the_route_admits(app, plan_2023, task7, people):
    with app.test_request_context():
        table = cases(plan_2023, task7)
    clients = {username: signed_in_as(app, username) for username in USERS}
    for page, endpoint, link, expected in table:
        seen_by = set()
        for username in USERS:
            body = page_as(app, username, page, clients[username])
            if body is None:
                continue
            shown = link in body.replace("&#34;", '"')
            assert shown == may_call(people[username], endpoint), (page, endpoint, username)
            if shown:
                seen_by.add(username)
        assert seen_by == expected, (page, endpoint)


def test_no_template_tests_a_role():
    # Listing the user's roles (``current_user.roles|sort``) is fine; deciding by them is not.
    role_test = re.compile(r"has_role|current_user\.roles(?!\|sort)|current_user\.role\b|is_supervisor")
    offenders = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                 if role_test.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_an_archived_plan_offers_no_archiving_and_refuses_it(app, plan_2023, people):
    dushen, leader = people["dushen"], people["leader"]
    assert plan_import.may_archive(plan_2023, dushen) and not plan_import.may_archive(plan_2023, leader)
    with pytest.raises(PermissionDenied):
        plan_import.archive_plan(plan_2023, leader)
    plan_import.archive_plan(plan_2023, dushen)
    db.session.commit()
    assert not plan_import.may_archive(plan_2023, dushen)
    with pytest.raises(InvalidTransition):
        plan_import.archive_plan(plan_2023, dushen)
    body = page_as(app, "dushen", f"/plans/{plan_2023.id}")
    assert f"/plans/{plan_2023.id}/archive" not in body and "已归档" in body


def test_each_answering_unit_confirms_an_instruction_once(app, task7, people):
    instruction = discussion.add_instruction(task7, "请抓紧推进。", people["leader"])
    db.session.commit()
    waiting = {name: discussion.to_acknowledge(task7, [instruction], people[name]) for name in USERS}
    assert {name for name, ids in waiting.items() if ids} == {"zhuce", "zhuce_head", "kexin"}
    assert "本单位确认收悉" in page_as(app, "kexin", f"/tasks/{task7.id}")
    discussion.acknowledge(instruction, people["zhuce"])
    db.session.commit()
    assert discussion.to_acknowledge(task7, [instruction], people["zhuce_head"]) == set()
    assert "本单位确认收悉" not in page_as(app, "zhuce_head", f"/tasks/{task7.id}")
    assert discussion.to_acknowledge(task7, [instruction], people["kexin"]) == {instruction.id}
    with pytest.raises(PermissionDenied):
        discussion.acknowledge(instruction, people["dushen"])


def test_only_a_returned_report_review_opens_a_rectification_and_only_for_the_supervision_office(people):
    returned = ReviewRecord(step=StepKey.REPORT_REVIEW, decision=ReviewDecision.RETURN)
    approved = ReviewRecord(step=StepKey.REPORT_REVIEW, decision=ReviewDecision.APPROVE)
    decomposition = ReviewRecord(step=StepKey.DECOMPOSITION_REVIEW, decision=ReviewDecision.RETURN)
    dushen, leader = people["dushen"], people["leader"]
    assert rectification.may_open_rectification(returned, dushen)
    assert not rectification.may_open_rectification(returned, leader)
    assert not any(rectification.may_open_rectification(r, dushen) for r in (approved, decomposition))
