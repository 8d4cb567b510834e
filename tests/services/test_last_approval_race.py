"""Two approvals of a decomposition's last two milestones at once: the lifecycle still moves on to closure."""
from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import ReviewDecision, WorkItem, WorkItemState
from app.services.lifecycle import reporting
from app.services.lifecycle.reporting import UploadPolicy
from app.workflow import complete_work_item
from tests.services.test_step_cost import open_item, two_milestones, user


def approve_in_thread(app: Flask, item_id: int, results: list[str], hold: threading.Event | None = None) -> None:
    """督审处 approves the item's report on a connection of its own; optionally waits before committing."""
    with app.app_context():
        try:
            item = db.session.get_one(WorkItem, item_id)
            reporting.review_report(item, ReviewDecision.APPROVE, None, "good", user("dushen"))
            if hold is not None:
                results.append("holding")
                hold.wait(5)
            db.session.commit()
            results.append("ok")
        except Exception as error:  # the assertion below shows what went wrong
            db.session.rollback()
            results.append(repr(error))
        finally:
            db.session.remove()


def test_the_later_of_two_last_approvals_waits_and_moves_the_lifecycle_on(app, task7, people, tmp_path,
                                                                          database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers itself)")
    task_id, zhuce = task7.id, people["zhuce"]
    milestone_ids = [m.id for m in two_milestones(task7, people)]
    for milestone_id in milestone_ids:
        report = db.session.get_one(WorkItem, open_item("milestone_report", task_id, milestone_id=milestone_id))
        reporting.submit_report(report, "已完成", 100, {}, [], UploadPolicy(tmp_path, 1024), zhuce)
    contribution = db.session.get_one(WorkItem, open_item("cooperating_contribution", task_id))
    complete_work_item(contribution.id, None, {})
    first, second = (open_item("report_review", task_id, milestone_id=m) for m in milestone_ids)
    db.session.commit()

    held, waited, release = [], [], threading.Event()
    a = threading.Thread(target=approve_in_thread, args=(app, first, held, release))
    a.start()
    while not held:
        threading.Event().wait(0.01)
    b = threading.Thread(target=approve_in_thread, args=(app, second, waited))
    b.start()
    b.join(0.5)
    assert b.is_alive(), "the second approval must wait for the first on the lifecycle instance's lock"
    release.set()
    a.join(10)
    b.join(10)
    assert (held, waited) == (["holding", "ok"], ["ok"])

    db.session.expire_all()
    closure = db.session.scalars(select(WorkItem).where(WorkItem.form_key == "task_closure",
                                                        WorkItem.state == WorkItemState.OPEN)).all()
    assert [item for item in closure if item.context.get("plan_task_id") == task_id], "nobody signalled closure"
