"""The API refuses what the pages refuse: impossible milestone dates, an empty 办结说明 — with
the message under the field it concerns, and nothing saved."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Decomposition, User
from tests.api.conftest import complete, open_item_id
from tests.security.test_view_races import ready_to_close
from tests.services.test_deadlines import at


def row(due: str, **more: str) -> dict:
    owner = db.session.scalar(select(User.id).where(User.username == "zhuce"))
    milestone = {"title": "出台实施方案", "deliverable": "实施方案", "due_date": due, "owner": owner}
    return {"milestones": [{**milestone, **more}]}


def rounds(task) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task.id))


@pytest.mark.parametrize(("due", "reason", "message"), [
    ("2023-02-01", None, "早于今天(2023-03-01)"),
    ("2024-01-15", "跨年度推进", "完成时限应在 2023 年内"),
])
def test_an_impossible_milestone_date_is_refused_under_its_field(api_as, task7, due, reason, message):
    more = {"past_date_reason": reason} if reason else {}
    with time_machine.travel(at(date(2023, 3, 1)), tick=False):
        zhuce = api_as("zhuce")
        answer = complete(zhuce, open_item_id(zhuce, "decomposition", task7), row(due, **more), status=400)
    assert answer["error_code"] == "form_invalid" and message in answer["message"]
    (field, (field_message,)), = answer["fields"].items()
    assert field == "milestones-0-due_date" and message in field_message
    assert rounds(task7) == 0


def test_a_past_date_with_its_reason_and_a_date_ahead_are_taken(api_as, task7):
    with time_machine.travel(at(date(2023, 3, 1)), tick=False):
        zhuce = api_as("zhuce")
        complete(zhuce, open_item_id(zhuce, "decomposition", task7), row("2023-02-01", past_date_reason="已完成,补录"))
    assert rounds(task7) == 1


def test_closure_without_a_closing_note_is_refused(api_as, task7):
    ready_to_close(task7)
    db.session.commit()
    dushen = api_as("dushen")
    item = open_item_id(dushen, "task_closure", task7)
    answer = complete(dushen, item, {"summary": ""}, status=400)
    assert answer["fields"] == {"summary": ["请填写办结说明。"]}
    assert open_item_id(dushen, "task_closure", task7) == item
    complete(dushen, item, {"summary": "按期完成"})

