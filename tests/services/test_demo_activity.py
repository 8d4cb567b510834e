"""The demo activity: the real plan imported and eight tasks driven through the services, as of today."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select

from app import demo_activity
from app.extensions import db
from app.models import (
    AuditEvent,
    Decomposition,
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    MilestoneStatus,
    Plan,
    PlanTask,
    Rectification,
    RectificationStatus,
    ReviewDecision,
    ReviewRecord,
    TargetActual,
    Urge,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.models.user import UNIT_ROLES
from app.services.dashboards import lights
from app.services.dashboards.facts import TaskState, task_facts
from app.services.infrastructure import accounts
from app.services.lifecycle import work_items
from app.services.scoring import closure, evaluation
from app.services.timing.workdays import BEIJING
from tests.conftest import login
from tests.snapshots import seeded

DRIVEN = (5, 6, 7, 19, 20, 23, 24, 25)


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def _task(plan: Plan, number: int) -> PlanTask:
    return next(task for task in plan.tasks if task.number == number)


def _lights(plan: Plan) -> dict[int, lights.Light]:
    verdicts = lights.task_lights(datetime.now(BEIJING), plan_id=plan.id)
    return {task.number: verdicts[task.id].light for task in plan.tasks}


def test_the_plan_is_imported_for_this_year_and_the_tasks_show_every_light(activity):
    assert activity.year == demo_activity.plan_year(datetime.now(BEIJING).date())
    by_number = _lights(activity)
    assert {number: by_number[number].value for number in DRIVEN} == {
        5: "green", 6: "blue", 7: "yellow", 19: "green", 20: "green", 23: "red", 24: "yellow", 25: "green"}
    assert {light for number, light in by_number.items() if number not in DRIVEN} == {lights.Light.GREEN}


def test_the_story_leaves_a_returned_report_an_open_rectification_and_a_scored_closed_task(activity):
    returned = db.session.scalars(select(ReviewRecord).where(
        ReviewRecord.step == "report_review", ReviewRecord.decision == ReviewDecision.RETURN)).all()
    assert [r.plan_task_id for r in returned] == [_task(activity, 7).id]
    (rectification,) = db.session.scalars(select(Rectification)).all()
    assert rectification.review_record_id == returned[0].id
    assert rectification.status is RectificationStatus.PLAN_REVIEW

    task5 = _task(activity, 5)
    assert closure.is_closed(task5)
    (score,) = evaluation.frozen_evaluation(task5).units
    assert score.unit_name == "注册处" and score.score > 100
    approved = select(func.count(Milestone.id)).where(Milestone.status == MilestoneStatus.APPROVED)
    assert db.session.scalar(approved) == 5
    assert db.session.scalar(select(func.count(TargetActual.id))) == 2
    assert [u.plan_task_id for u in db.session.scalars(select(Urge))] == [_task(activity, 23).id]
    (extension,) = db.session.scalars(select(ExtensionRequest)).all()
    assert extension.status is ExtensionStatus.APPROVED


def test_may_act_in_python_and_in_sql_agree_on_every_row(activity):
    users = db.session.scalars(select(User).order_by(User.id)).all()
    items = db.session.scalars(select(WorkItem).order_by(WorkItem.id)).all()
    _hand_one_over(users, items)
    admitted = 0
    for user in users:
        in_sql = set(db.session.scalars(select(WorkItem.id).where(work_items.may_act_clause(user))))
        in_python = {item.id for item in items if work_items.may_act(user, item)}
        assert in_sql == in_python, user.username
        admitted += len(in_python)
    assert 0 < admitted < len(users) * len(items)


def _hand_one_over(users: list[User], items: list[WorkItem]) -> None:
    """Give the rows an assignee: an open unit item handed to a new colleague of the unit."""
    item, actor = next((i, u) for i in items for u in users
                       if i.state is WorkItemState.OPEN and i.role in UNIT_ROLES and work_items.may_act(u, i))
    colleague = accounts.create_user("tongshi", "同事", "Duban-test-2023", [item.role], unit=actor.unit)
    work_items.hand_over(item, colleague.id, None, actor)
    db.session.commit()
    users.append(colleague)


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Plan, WorkItem, ReviewRecord, Rectification, AuditEvent))


def test_running_it_again_changes_nothing(activity, demo):
    first = _counts()
    assert demo_activity.load_activity(demo) is None
    db.session.commit()
    assert _counts() == first


def test_the_leader_dashboard_counts_tasks_of_every_colour(activity, client):
    assert login(client, "leader").status_code == 302
    html = client.get("/dashboards/leader").get_data(as_text=True)
    table = re.search(r'data-testid="section-lights-table">(.*?)</table>', html, re.S).group(1)
    rows = [[int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', row)]
            for row in re.findall(r"<tr><td>.*?</tr>", table, re.S)]
    red, yellow, blue, green = (sum(column) for column in zip(*rows, strict=False))
    assert (red, yellow, blue, green) == (1, 2, 1, len(activity.tasks) - 4)


def test_the_demo_command_plays_the_story_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "模拟了八项任务的办理进展" in first.output
    counts = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "工作要点已导入过" in second.output
    assert _counts() == counts and counts[0] == 1


def test_closed_is_stored_once_and_every_reader_agrees_with_the_engine(activity):
    """A part is closed exactly when its lifecycle instance completed; closure, lights and dashboards see the same."""
    parts = db.session.execute(select(Decomposition, WorkflowInstance.status)
                               .join(WorkflowInstance, WorkflowInstance.decomposition_id == Decomposition.id)).all()
    assert any(part.is_closed for part, _ in parts) and not all(part.is_closed for part, _ in parts)
    assert all(part.is_closed == (status is WorkflowStatus.COMPLETED) for part, status in parts)
    assert set(db.session.scalars(select(Decomposition.id).where(Decomposition.is_closed))) == {
        part.id for part, _ in parts if part.is_closed}

    ended = {task.id for task in activity.tasks
             if (statuses := [s for part, s in parts if part.plan_task_id == task.id])
             and all(s is WorkflowStatus.COMPLETED for s in statuses)}
    assert ended == {task.id for task in activity.tasks if closure.is_closed(task)}
    verdicts = lights.task_lights(datetime.now(BEIJING), plan_id=activity.id)
    assert ended == {task_id for task_id, verdict in verdicts.items() if verdict.reason == "已办结"}
    facts = task_facts(activity.id)
    assert ended == set(db.session.scalars(select(facts.c.task_id).where(facts.c.state == TaskState.CLOSED)))
