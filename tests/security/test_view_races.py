"""Two submissions of one step at the same moment, through the real views: one wins, one is told politely.

Each race signs two clients in (the same person in two browsers), lets both requests pass the view's own
checks, holds them at a barrier just before the step's service runs, then releases them together. Exactly
one verdict, round or row must be stored, one request succeeds, the other is refused in Chinese (a flash
and a redirect, a 409 page, or 409 JSON under /api), and neither answers 500.
"""
from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import (
    AuditEvent,
    CooperatingContribution,
    DecompositionRound,
    DueDateChange,
    ExtensionRequest,
    MilestoneReport,
    PlanTask,
    RectificationSubmission,
    ReviewDecision,
    ReviewRecord,
    User,
    WorkItem,
    WorkItemState,
)
from app.services.follow_up import extensions, rectification
from app.services.lifecycle import decomposition, progress_reports, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.timing.workdays import WorkCalendar
from app.steps import STEPS
from tests.api.conftest import bearer_client, issue_secret
from tests.conftest import csrf_token
from tests.services.test_deadlines import at, decomposition_item, imported_in_2023  # noqa: F401
from tests.services.test_lifecycle import item_for, unit
from tests.services.test_progress_reports import monthly_plan  # noqa: F401
from tests.services.test_rectification import EVIDENCE, order, step
from tests.web.test_work import as_user

APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN
DONE_TWICE = "已办理完毕,不能重复办理"


def count(model: Any, *where: Any) -> Callable[[], int]:
    """A fresh count of ``model``'s rows."""
    return lambda: db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- Getting a task to each step, through the services (committed by the race) ----------------------------

def policy() -> UploadPolicy:
    return UploadPolicy(Path(current_app.config["ATTACHMENT_DIR"]), 1024 * 1024)


def who(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def decomposed(task: PlanTask, *, cooperating: bool = False, signoff: bool = False) -> None:
    """Task 7 split into one milestone (科信处 cooperating if asked; the head signing off if asked), approved."""
    zhuce, dushen = who("zhuce"), who("dushen")
    unit("注册处").requires_head_signoff = signoff
    units = (unit("科信处").id,) if cooperating else ()
    plan = MilestonePlan("扩大改革行业范围", "行业清单", date(2023, 9, 30), zhuce.id, units, past_date_reason="补录")
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task), [plan], None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task), APPROVE, None, dushen)


def reported(task: PlanTask, *, percent: int = 60, **options: bool) -> None:
    decomposed(task, **options)
    zhuce = who("zhuce")
    reporting.submit_report(item_for(zhuce, "milestone_report", task), "已扩展到18个行业", percent, {}, [],
                            policy(), zhuce)


def ready_to_close(task: PlanTask) -> None:
    reported(task, percent=100)
    dushen = who("dushen")
    reporting.review_report(item_for(dushen, "report_review", task), APPROVE, None, "excellent", dushen)


def rectifying(task: PlanTask, *, upto: str = "rectification_plan") -> None:
    """A rectification of task 7 for 注册处, worked up to the step ``upto``."""
    zhuce, dushen = who("zhuce"), who("dushen")
    rect = rectification.open_rectification(task, order(unit("注册处").id), dushen)
    sequence = [
        ("rectification_plan", lambda: rectification.submit_plan(
            step(rect, "rectification_plan"), "整改方案", [], policy(), zhuce)),
        ("rectification_plan_review", lambda: rectification.review_plan(
            step(rect, "rectification_plan_review"), APPROVE, None, dushen)),
        ("rectification_result", lambda: rectification.submit_result(
            step(rect, "rectification_result"), "已整改", EVIDENCE, policy(), zhuce)),
    ]
    for key, action in sequence:
        if key == upto:
            return
        action()


def decomposition_pending(task: PlanTask) -> None:
    zhuce = who("zhuce")
    plan = MilestonePlan("节点", "成果", date(2023, 9, 30), zhuce.id, past_date_reason="补录")
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task), [plan], None, zhuce)


def progress_report_open(task: PlanTask) -> None:
    progress_reports.open_due(at(date(2023, 9, 20), 10), WorkCalendar())


def nothing(task: PlanTask) -> None:
    """The step is open as soon as the plan is imported."""


# --- The races ------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Race:
    """One step kind raced: how to reach it, who submits what, and the rows it must store exactly once."""

    form_key: str
    username: str
    data: dict[str, Any]
    setup: Callable[[PlanTask], None]
    rows: Callable[[], int]
    plan: str = "plan_2023"
    with_evidence: bool = False


def milestone_row() -> dict[str, Any]:
    return {"milestones-0-title": "节点", "milestones-0-deliverable": "成果",
            "milestones-0-due_date": "2023-09-30",
            "milestones-0-past_date_reason": "补录", "milestones-0-owner": str(who("zhuce").id), "submit": "1"}


STEP_RACES = {
    "decomposition": Race("decomposition", "zhuce", {}, nothing, count(DecompositionRound)),
    "decomposition_review": Race("decomposition_review", "dushen", {"decision": "return", "comments": "请细化"},
                                 decomposition_pending, count(ReviewRecord)),
    "milestone_report": Race(
        "milestone_report", "zhuce", {"progress": "进展", "percent_done": "60", "submit": "1"},
        decomposed, count(MilestoneReport)),
    "cooperating_contribution": Race(
        "cooperating_contribution", "kexin", {"contribution": "已支持", "submit": "1"},
        lambda task: reported(task, cooperating=True), count(CooperatingContribution)),
    "head_signoff": Race("head_signoff", "zhuce_head", {"decision": "return", "comments": "数据有误"},
                         lambda task: reported(task, signoff=True), count(ReviewRecord)),
    "report_review": Race("report_review", "dushen", {"decision": "approve", "quality": "excellent"},
                          reported, count(ReviewRecord)),
    "task_closure": Race("task_closure", "dushen", {"summary": "按期完成", "submit": "1"}, ready_to_close,
                         count(AuditEvent, AuditEvent.action == "closed")),
    "rectification_plan": Race("rectification_plan", "zhuce", {"text": "整改方案", "submit": "1"}, rectifying,
                               count(RectificationSubmission)),
    "rectification_plan_review": Race(
        "rectification_plan_review", "dushen", {"decision": "return", "comments": "请细化"},
        lambda task: rectifying(task, upto="rectification_plan_review"), count(ReviewRecord)),
    "rectification_result": Race(
        "rectification_result", "zhuce", {"text": "已整改", "submit": "1"},
        lambda task: rectifying(task, upto="rectification_result"), count(RectificationSubmission),
        with_evidence=True),
    "rectification_verify": Race(
        "rectification_verify", "dushen", {"decision": "approve"},
        lambda task: rectifying(task, upto="rectification_verify"), count(ReviewRecord)),
    "progress_report": Race(
        "progress_report", "zhuce", {"progress": "本月新增 3 个行业", "percent_done": "40", "submit": "1"},
        progress_report_open, count(AuditEvent, AuditEvent.entity == "progress_report",
                                    AuditEvent.action == "submitted"), plan="monthly_plan"),
}


@pytest.fixture
def task(request: pytest.FixtureRequest) -> Callable[[str], PlanTask]:
    """Task 7 of the plan imported by the named fixture."""
    def of(fixture: str) -> PlanTask:
        plan = request.getfixturevalue(fixture)
        return next(t for t in plan.tasks if t.number == 7)
    return of


def the_open_item(form_key: str, username: str, task: PlanTask) -> WorkItem:
    """The one open item of ``form_key`` on the task that the user may work."""
    user = who(username)
    query = select(WorkItem).where(WorkItem.form_key == form_key, WorkItem.state == WorkItemState.OPEN)
    (item,) = [i for i in db.session.scalars(query)
               if i.instance.plan_task_id == task.id and work_items.may_act(user, i)]
    return item


def hold_step(monkeypatch: pytest.MonkeyPatch, form_key: str, barrier: threading.Barrier) -> None:
    """Make the step's submission wait at the barrier first: both requests passed the view's checks."""
    original = STEPS[form_key]

    def submit(*args: Any) -> str:
        barrier.wait()
        return original.submit(*args)

    monkeypatch.setitem(STEPS, form_key, dataclasses.replace(original, submit=submit))


def hold_service(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, barrier: threading.Barrier) -> None:
    """Make ``module.name`` wait at the barrier before it runs."""
    original = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)


def at_once(*requests: Callable[[], TestResponse]) -> list[TestResponse]:
    """Issue the requests from threads of their own and wait for their answers (in the same order)."""
    answers: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        answers[index] = requests[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(answer is not None for answer in answers), "a request did not answer"
    return answers


def outcome(client: FlaskClient, response: TestResponse) -> str:
    """What the user saw: the flash on the page a redirect leads to, or the page or JSON answered."""
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 302:
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def settle(race_rows: Callable[[], int]) -> int:
    db.session.rollback()
    return race_rows()


@pytest.mark.parametrize("kind", list(STEP_RACES))
def test_two_submissions_of_one_step_store_one_and_refuse_the_other(app: Flask, task, monkeypatch, kind: str):
    race = STEP_RACES[kind]
    plan_task = task(race.plan)
    race.setup(plan_task)
    db.session.commit()
    item = the_open_item(race.form_key, race.username, plan_task)
    url, before = f"/work/items/{item.id}", race.rows()
    data = milestone_row() if kind == "decomposition" else race.data
    clients = [as_user(app, race.username), as_user(app, race.username)]
    tokens = [csrf_token(client, url) for client in clients]
    db.session.commit()
    barrier = threading.Barrier(2, timeout=30)
    hold_step(monkeypatch, race.form_key, barrier)

    def submit(client: FlaskClient, token: str) -> Callable[[], TestResponse]:
        def post() -> TestResponse:
            payload = {"csrf_token": token, **data}
            if race.with_evidence:
                payload["attachments"] = (io.BytesIO(b"%PDF-1.4 evidence"), "整改佐证.pdf")
                return client.post(url, data=payload, content_type="multipart/form-data")
            return client.post(url, data=payload)
        return post

    answers = at_once(*(submit(c, t) for c, t in zip(clients, tokens, strict=False)))
    assert [a.status_code for a in answers] == [302, 302]
    seen = [outcome(c, a) for c, a in zip(clients, answers, strict=False)]
    assert sorted(DONE_TWICE in page for page in seen) == [False, True], seen
    assert settle(race.rows) - before == 1
    assert db.session.get(WorkItem, item.id).state is WorkItemState.COMPLETED


def test_two_api_completions_store_one_verdict_and_answer_409(app: Flask, task, monkeypatch):
    plan_task = task("plan_2023")
    decomposition_pending(plan_task)
    db.session.commit()
    item = the_open_item("decomposition_review", "dushen", plan_task)
    before = count(ReviewRecord)()
    clients = [bearer_client(app, issue_secret("dushen")) for _ in range(2)]
    for client in clients:     # a token's first use records it (a write): not part of the race
        assert client.get(f"/api/work-items/{item.id}").status_code == 200
    hold_step(monkeypatch, "decomposition_review", threading.Barrier(2, timeout=30))
    body, url = {"decision": "return", "comments": "请细化"}, f"/api/work-items/{item.id}/complete"
    answers = at_once(*(lambda c=c: c.post(url, json=body) for c in clients))
    assert sorted(a.status_code for a in answers) == [200, 409]
    (refused,) = [a.get_json() for a in answers if a.status_code == 409]
    assert refused["error_code"] == "invalid_transition" and DONE_TWICE in refused["message"]
    assert settle(count(ReviewRecord)) - before == 1


def test_two_extension_requests_leave_one(app: Flask, imported_in_2023, monkeypatch):  # noqa: F811
    item = decomposition_item(imported_in_2023, 7)
    url = f"/work/items/{item.id}/extension"
    clients = [as_user(app, "zhuce"), as_user(app, "zhuce")]
    tokens = [csrf_token(client, url) for client in clients]
    db.session.commit()
    hold_service(monkeypatch, extensions, "request_extension", threading.Barrier(2, timeout=30))
    data = {"requested_due": "2023-10-31", "reason": "需征求多部门意见"}
    answers = at_once(*(lambda c=c, t=t: c.post(url, data={"csrf_token": t, **data})
                        for c, t in zip(clients, tokens, strict=False)))
    assert [a.status_code for a in answers] == [302, 302]
    seen = [outcome(c, a) for c, a in zip(clients, answers, strict=False)]
    assert sorted("已有待审批的延期申请" in page for page in seen) == [False, True], seen
    assert settle(count(ExtensionRequest)) == 1


def test_two_extension_decisions_move_the_date_once(app: Flask, imported_in_2023, monkeypatch):  # noqa: F811
    item = decomposition_item(imported_in_2023, 7)
    request_id = extensions.request_extension(item, date(2023, 10, 31), "涉及跨部门协调", who("zhuce")).id
    db.session.commit()
    url = f"/extensions/{request_id}"
    clients = [as_user(app, "dushen"), as_user(app, "dushen")]
    tokens = [csrf_token(client, url) for client in clients]
    db.session.commit()
    hold_service(monkeypatch, extensions, "approve", threading.Barrier(2, timeout=30))
    data = {"granted_due": "2023-10-20", "note": "同意", "approve": "批准"}
    answers = at_once(*(lambda c=c, t=t: c.post(url, data={"csrf_token": t, **data})
                        for c, t in zip(clients, tokens, strict=False)))
    assert sorted(a.status_code for a in answers) == [302, 409]
    seen = [outcome(c, a) for c, a in zip(clients, answers, strict=False)]
    assert sorted("不能重复审批" in page for page in seen) == [False, True], seen
    assert settle(count(DueDateChange)) == 1
