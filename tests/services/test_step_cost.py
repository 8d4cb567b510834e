"""What completing a step costs the database: a bounded number of statements, whatever the history.

Each step is completed through its service the way a request does it: the work item and the actor
were loaded (and the actor's right to act checked) by the view; everything the service then runs,
its pending writes flushed, is counted.

The bound is on the whole completion, everything on (issue #18: ≤ 8): engine, business rows, due dates,
audit, and what the step tells others — which it only leaves in the completed item's ``fan_out`` for the
scheduler's tick (``step_notices.fan_out``): the notices to the units concerned and the search index's rows.
The tick's fan-out is run after each bounded step to show the notices do arrive.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Milestone,
    Notification,
    PlanTask,
    ReviewDecision,
    SearchEntry,
    Unit,
    User,
    WorkItem,
    WorkItemState,
)
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from tests.conftest import counted, fan_out

#: Statements one completion may run (issue #18: a report, a review, a decomposition alike).
MAX_STATEMENTS = 8
APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def open_item(form_key: str, task_id: int, **context: int) -> int:
    items = db.session.scalars(select(WorkItem).where(WorkItem.state == WorkItemState.OPEN,
                                                      WorkItem.form_key == form_key)).all()
    found = [i for i in items if i.context.get("plan_task_id") == task_id
             and all(i.context.get(k) == v for k, v in context.items())]
    assert len(found) == 1, [(i.form_key, i.context) for i in items]
    return found[0].id


def as_a_request(item_id: int, username: str) -> tuple[WorkItem, User]:
    """A new session holding what the view has loaded before calling the service."""
    db.session.commit()
    db.session.expunge_all()
    item, actor = db.session.get_one(WorkItem, item_id), user(username)
    work_items.ensure_may_act(actor, item)
    return item, actor


def statements_of(call: Callable[[], object]) -> list[str]:
    """The statements a service call runs, its pending writes flushed."""
    with counted() as seen:
        call()
        db.session.flush()
    return list(seen)


def within_target(seen: list[str]) -> bool:
    return len(seen) <= MAX_STATEMENTS


def notices_count() -> int:
    return db.session.scalar(select(func.count(Notification.id))) or 0


def two_milestones(task: PlanTask, people: dict[str, User]) -> list[Milestone]:
    """注册处 decomposes ``task`` into two milestones (the first with 科信处 and the task's target), confirmed."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    kexin = db.session.scalars(select(Unit).where(Unit.name == "科信处")).one()
    plans = [MilestonePlan("扩大行业范围", "行业清单", date(2023, 6, 30), zhuce.id, (kexin.id,),
                           tuple(t.id for t in task.targets), past_date_reason="补录"),
             MilestonePlan("全面推开", "实施方案", date(2023, 11, 30), zhuce.id, past_date_reason="补录")]
    decomposition.submit_decomposition(db.session.get_one(WorkItem, open_item("decomposition", task.id)), plans, None,
                                       zhuce)
    decomposition.review_decomposition(db.session.get_one(WorkItem, open_item("decomposition_review", task.id)),
                                       APPROVE, None, dushen)
    db.session.commit()
    return sorted(db.session.scalars(select(Milestone).where(Milestone.plan_task_id == task.id)),
                  key=lambda m: m.position)


def test_a_decomposition_costs_a_bounded_number_of_statements(task7, people):
    item, zhuce = as_a_request(open_item("decomposition", task7.id), "zhuce")
    plan = MilestonePlan("扩大行业范围", "行业清单", date(2023, 6, 30), zhuce.id, past_date_reason="补录")
    seen = statements_of(lambda: decomposition.submit_decomposition(item, [plan], "按季度推进", zhuce))
    assert within_target(seen), "\n".join(seen)


def test_a_decomposition_review_costs_a_bounded_number_of_statements(task7, people):
    zhuce = people["zhuce"]
    decomposition.submit_decomposition(db.session.get_one(WorkItem, open_item("decomposition", task7.id)),
                                       [MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id,
                                                      past_date_reason="补录")], None, zhuce)
    item, dushen = as_a_request(open_item("decomposition_review", task7.id), "dushen")
    seen = statements_of(lambda: decomposition.review_decomposition(item, RETURN, "请细化节点", dushen))
    assert within_target(seen), "\n".join(seen)


def test_a_report_costs_a_bounded_number_of_statements(task7, people, tmp_path):
    first, _ = two_milestones(task7, people)
    target_id = task7.targets[0].id
    item, zhuce = as_a_request(open_item("milestone_report", task7.id, milestone_id=first.id), "zhuce")
    actuals, policy = {target_id: Decimal("18")}, UploadPolicy(tmp_path, 1024)
    seen = statements_of(lambda: reporting.submit_report(item, "已扩展到18个行业", 60, actuals, [], policy, zhuce))
    assert within_target(seen), "\n".join(seen)


@pytest.mark.parametrize("decision", [APPROVE, RETURN])
def test_a_report_review_costs_a_bounded_number_of_statements(task7, people, tmp_path, decision):
    _, second = two_milestones(task7, people)
    zhuce = people["zhuce"]
    report = db.session.get_one(WorkItem, open_item("milestone_report", task7.id, milestone_id=second.id))
    reporting.submit_report(report, "已完成", 100, {}, [], UploadPolicy(tmp_path, 1024), zhuce)
    item, dushen = as_a_request(open_item("report_review", task7.id, milestone_id=second.id), "dushen")
    comments = "请补充" if decision is RETURN else None
    seen = statements_of(lambda: reporting.review_report(item, decision, comments, "good", dushen))
    assert within_target(seen), "\n".join(seen)


def test_a_report_costs_the_same_after_returns(task7, people, tmp_path):
    """History is never read back: the fourth round of report and return runs what the first did."""
    milestone_id, task_id = two_milestones(task7, people)[1].id, task7.id
    policy = UploadPolicy(tmp_path, 1024)
    rounds = []
    for _ in range(4):
        item, zhuce = as_a_request(open_item("milestone_report", task_id, milestone_id=milestone_id), "zhuce")
        report = statements_of(lambda: reporting.submit_report(item, "进展", 50, {}, [], policy, zhuce))  # noqa: B023
        item, dushen = as_a_request(open_item("report_review", task_id, milestone_id=milestone_id), "dushen")
        review = statements_of(lambda: reporting.review_report(item, RETURN, "请补充", None, dushen))  # noqa: B023
        rounds.append((len(report), len(review)))
    assert rounds[-1] == rounds[0], rounds


def test_a_returned_report_tells_its_unit_through_the_fan_out_at_no_cost_to_the_step(task7, people, tmp_path):
    """The whole completion, notices and search index on, stays within the bound; the tick's fan-out then
    writes the unit's notice and indexes the verdict's comments, once."""
    _, second = two_milestones(task7, people)
    zhuce = people["zhuce"]
    report = db.session.get_one(WorkItem, open_item("milestone_report", task7.id, milestone_id=second.id))
    reporting.submit_report(report, "已完成", 100, {}, [], UploadPolicy(tmp_path, 1024), zhuce)
    fan_out()
    item, dushen = as_a_request(open_item("report_review", task7.id, milestone_id=second.id), "dushen")
    before = notices_count()
    seen = statements_of(lambda: reporting.review_report(item, RETURN, "请补充佐证材料", None, dushen))
    assert within_target(seen), "\n".join(seen)
    assert notices_count() == before
    db.session.commit()
    assert fan_out(commit=True) == 1
    told = db.session.scalars(select(Notification).where(Notification.id > 0).order_by(Notification.id.desc())
                              .limit(notices_count() - before)).all()
    assert told and all(n.title.startswith("进展报告被退回") and "请补充佐证材料" in n.body for n in told)
    assert db.session.scalar(select(func.count(SearchEntry.id)).where(
        SearchEntry.kind == "review", SearchEntry.document.contains("请补充佐证材料"))) == 1
    assert fan_out(commit=True) == 0 and len(told) == notices_count() - before
