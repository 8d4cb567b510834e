"""Long lists cost a fixed number of SQL statements a page, whatever the list's length (issue 18).

Each page is counted once with a few rows and once with more than a page of them; a per-row query
(a lazy load, a lookup per row) makes the two counts differ.
"""
from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, update

from app import demo_activity
from app.extensions import db
from app.models import (
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    PlanTask,
    Rectification,
    RectificationSource,
    RectificationStatus,
    ReviewRecord,
    Role,
    Unit,
    Urge,
    User,
    WorkItem,
    WorkItemState,
)
from tests.conftest import counted, login
from tests.snapshots import seeded

MORE = 70  # more than a page (50)


def statements(client: Any, url: str) -> int:
    with counted() as seen:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(seen)


def as_user(app: Any, username: str) -> Any:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def clone(row: Any, **changes: Any) -> Any:
    """A copy of the row with a new id (and the given column values)."""
    attrs = inspect(type(row)).column_attrs
    columns = {attr.key: getattr(row, attr.key) for attr in attrs if attr.key != "id"}
    copy = type(row)(**{**columns, **changes})
    db.session.add(copy)
    return copy


def open_unit_items() -> list[WorkItem]:
    query = select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.unit_id.is_not(None))
    return list(db.session.scalars(query.order_by(WorkItem.id)))


def copies(count: int, **changes: Any) -> None:
    """``count`` copies of the open unit steps, round robin (so rows name different tasks and units)."""
    items = open_unit_items()
    for n in range(count):
        clone(items[n % len(items)], engine_task_id=str(uuid.uuid4()), **changes)
    db.session.commit()


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def test_supervisor_inbox(app, plan_2023):
    client = as_user(app, "dushen")
    copies(2, role=Role.SUPERVISOR)
    few = statements(client, "/work/inbox")
    copies(MORE, role=Role.SUPERVISOR)
    page = client.get("/work/inbox").get_data(as_text=True)
    assert "下一页" in page and "第 1 / 2 页" in page
    assert statements(client, "/work/inbox") == few
    assert "上一页" in client.get("/work/inbox?page=2").get_data(as_text=True)
    for wrong in ("99", "abc", "-1"):   # past the end: the last page; not a number: the first
        assert client.get(f"/work/inbox?page={wrong}").status_code == 200
    assert "第 2 / 2 页" in client.get("/work/inbox?page=99").get_data(as_text=True)


def test_the_inbox_counts_its_items_once_for_its_heading_and_the_badge(app, plan_2023):
    client = as_user(app, "dushen")
    copies(3, role=Role.SUPERVISOR)
    page = client.get("/work/inbox").get_data(as_text=True)
    total = re.search(r"待办 <small[^>]*>(\d+) 项", page).group(1)
    assert re.search(r'data-testid="inbox-count">(\d+)<', page).group(1) == total
    elsewhere = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'data-testid="inbox-count">(\d+)<', elsewhere).group(1) == total
    with counted() as queries:
        client.get("/work/inbox")
    assert sum("count(" in q.lower() and "work_item" in q for q in queries) == 1


def test_done_list(app, plan_2023):
    client = as_user(app, "dushen")
    done = {"state": WorkItemState.COMPLETED, "completed_by_id": user_id("dushen"),
            "completed_at": datetime.now(UTC)}
    copies(2, **done)
    few = statements(client, "/work/done")
    copies(MORE, **done)
    assert statements(client, "/work/done") == few


def test_urging_list(app, plan_2023):
    client = as_user(app, "dushen")
    keep = [item.id for item in open_unit_items()[:3]]
    cancelled = update(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.id.not_in(keep))
    db.session.execute(cancelled.values(state=WorkItemState.CANCELLED))
    db.session.commit()
    few = statements(client, "/urging")
    db.session.execute(update(WorkItem).where(WorkItem.state == WorkItemState.CANCELLED)
                       .values(state=WorkItemState.OPEN))
    db.session.commit()
    copies(MORE)
    assert statements(client, "/urging") == few


def _rectifications(count: int) -> None:
    tasks = list(db.session.scalars(select(PlanTask).order_by(PlanTask.id)))
    units = list(db.session.scalars(select(Unit).order_by(Unit.id)))
    for n in range(count):
        db.session.add(Rectification(
            plan_task_id=tasks[n % len(tasks)].id, unit_id=units[n % len(units)].id,
            source=RectificationSource.INSPECTION, requirement="按要求整改", due_date=date(2023, 12, 31),
            status=RectificationStatus.PLANNING, opened_by_id=user_id("dushen")))
    db.session.commit()


def test_rectification_ledger(app, plan_2023):
    client = as_user(app, "dushen")
    _rectifications(2)
    few = statements(client, "/rectifications")
    _rectifications(MORE)
    assert statements(client, "/rectifications") == few


@pytest.mark.parametrize("extra", [MORE])
def test_plan_page(app, plan_2023, extra):
    client = as_user(app, "dushen")
    url = f"/plans/{plan_2023.id}"
    tasks = list(db.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan_2023.id)
                                    .order_by(PlanTask.number)))
    for task in tasks[10:]:   # a plan of 10 tasks first
        task.number += 1000
    db.session.commit()
    few = statements(client, url)
    for n in range(extra):
        source = tasks[n % 10]
        copy = clone(source, number=2000 + n, supervision_number=f"X{n}")
        db.session.flush()
        for r in source.responsibilities:
            clone(r, task_id=copy.id)
        for t in source.targets:
            clone(t, task_id=copy.id)
    db.session.commit()
    assert statements(client, url) == few
    assert statements(client, url + "?page=2") == few



# Dashboards, the unit page and the assessment: counted on the demo year, then with each milestone's
# history (reports, reviews, actuals) and the list of milestones several times longer.

@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def _more_history(times: int) -> None:
    """Each reported milestone ``times`` more times over, with its reports, reviews and actuals; more open items."""
    reported = list(db.session.scalars(select(Milestone).where(Milestone.reports.any()).order_by(Milestone.id)))
    for milestone in reported:
        for n in range(times):
            copy = clone(milestone, position=milestone.position + 100 * (n + 1))
            copy.cooperating_units = list(milestone.cooperating_units)
            db.session.flush()
            for report in milestone.reports:
                report_copy = clone(report, milestone_id=copy.id)
                db.session.flush()
                for actual in report.actuals:
                    clone(actual, report_id=report_copy.id)
                for review in db.session.scalars(select(ReviewRecord).where(
                        ReviewRecord.milestone_report_id == report.id)):
                    clone(review, milestone_report_id=report_copy.id)
    for urge in list(db.session.scalars(select(Urge))):
        for _ in range(times):
            clone(urge)
    db.session.commit()
    copies(MORE)


def test_dashboards_unit_page_and_assessment(app, activity):
    zhuce = db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))
    plan = f"plan_id={activity.id}"
    pages = {"dushen": [f"/dashboards/?{plan}", f"/dashboards/units/{zhuce}?{plan}"],
             "leader": [f"/dashboards/leader?{plan}", f"/plans/{activity.id}/assessment",
                        f"/plans/{activity.id}/assessment/units/{zhuce}"],
             "zhuce": [f"/dashboards/units/{zhuce}"]}
    clients = {username: as_user(app, username) for username in pages}

    def count_all() -> dict[str, int]:
        return {url: statements(clients[username], url) for username, urls in pages.items() for url in urls}

    few = count_all()
    milestones = db.session.scalar(select(func.count(Milestone.id)))
    _more_history(3)
    assert db.session.scalar(select(func.count(Milestone.id))) > 2 * milestones
    assert count_all() == few


def _waiting_extensions(count: int) -> None:
    """``count`` more extension requests waiting, each on an open step that has none waiting yet."""
    request = db.session.scalars(select(ExtensionRequest).order_by(ExtensionRequest.id)).first()
    waiting = select(ExtensionRequest.work_item_id).where(ExtensionRequest.status == ExtensionStatus.PENDING)
    free = db.session.scalars(select(WorkItem.id).where(WorkItem.state == WorkItemState.OPEN,
                                                        WorkItem.unit_id.is_not(None), WorkItem.id.not_in(waiting))
                              .order_by(WorkItem.id).limit(count)).all()
    assert len(free) == count
    for item_id in free:
        clone(request, status=ExtensionStatus.PENDING, work_item_id=item_id)


def _locked_accounts(first: int, count: int) -> None:
    kexin = db.session.scalars(select(User).where(User.username == "kexin")).one()
    for n in range(first, first + count):
        clone(kexin, username=f"locked{n}", locked_until=datetime(2999, 1, 1, tzinfo=UTC))


def test_home_pages(app, activity):
    """Each role's home page counts and lists its work in the same statements, however much there is."""
    _waiting_extensions(1)   # one of each, so the first count lists some too
    _locked_accounts(0, 1)
    db.session.commit()
    clients = {username: as_user(app, username) for username in ("dushen", "zhuce", "kexin", "admin", "leader")}

    def count_all() -> dict[str, int]:
        return {username: statements(client, "/") for username, client in clients.items()}

    few = count_all()
    _more_history(3)
    copies(MORE, role=Role.SUPERVISOR)
    _waiting_extensions(MORE)
    _locked_accounts(1, MORE)
    db.session.commit()
    assert count_all() == few
    page = clients["dushen"].get("/").get_data(as_text=True)
    assert re.search(r'data-testid="home-extensions-count">(\d+)<', page).group(1) == str(MORE + 1)
    assert int(re.search(r'data-testid="home-total">(\d+)<', page).group(1)) > MORE
