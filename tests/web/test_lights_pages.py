"""The lights on the pages: a badge with its reason on hover and for screen readers, and the legend on each list."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Milestone, ReviewDecision, User, WorkItem, WorkItemState
from app.services.lifecycle import decomposition, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.timing import deadlines
from app.services.timing.workdays import end_of_day
from tests.conftest import login

LEGEND = 'data-testid="lights-legend"'
BADGE = re.compile(r'<span class="badge rounded-pill (text-bg-\w+)" title="([^"]*)" tabindex="0" data-testid="light" '
                   r'data-light="(\w+)"><span aria-hidden="true">(.)</span>'
                   r'<span class="visually-hidden">([^<]*)</span>')


def badges(html: str) -> list[tuple[str, str, str, str, str]]:
    """(Bootstrap class, title, light, visible label, screen-reader text) of every badge on the page."""
    return BADGE.findall(html)


def page(app, username: str, url: str) -> str:
    client = app.test_client()
    assert login(client, username).status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def item_of(task, form_key: str) -> WorkItem:
    (item,) = [i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key,
                                                                    WorkItem.state == WorkItemState.OPEN))
               if i.context["plan_task_id"] == task.id]
    return item


@pytest.fixture
def late_task(plan_2023):
    """Task 5's decomposition step is given a due date two years back; the others are due in ten working days."""
    task5 = next(t for t in plan_2023.tasks if t.number == 5)
    item = item_of(task5, "decomposition")
    deadlines.extend(item, end_of_day(date(2024, 12, 31)), "测试", None)
    db.session.commit()
    return task5, item


def test_plan_page_shows_a_light_per_task_and_the_legend(app, late_task):
    task5, _ = late_task
    html = page(app, "dushen", f"/plans/{task5.plan_id}")
    assert LEGEND in html and "已逾期" in html and "进度滞后或被退回" in html
    found = badges(html)
    assert len(found) == len(task5.plan.tasks)
    assert found[task5.number - 1][:4] == ("text-bg-danger", found[task5.number - 1][1], "red", "红")
    assert re.fullmatch(r"「分解任务」已逾期 \d+ 个工作日（应于 2024年12月31日 完成）", found[task5.number - 1][1])
    assert found[task5.number - 1][4] == f"红灯：{found[task5.number - 1][1]}"
    assert {light for _, _, light, _, _ in found} == {"red", "green"}


def test_inbox_and_my_tasks_show_lights_and_the_legend(app, late_task):
    task5, item = late_task
    inbox = page(app, "zhuce", "/work/inbox")
    assert LEGEND in inbox and "<th>状态</th>" in inbox
    rows = re.findall(r"<tr>(.*?)</tr>", inbox, re.S)
    (late_row,) = [row for row in rows if f'href="/work/items/{item.id}"' in row]
    (badge,) = badges(late_row)
    assert badge[2] == "red" and re.fullmatch(r"已逾期 \d+ 个工作日（应于 2024年12月31日 完成）", badge[1])
    assert len(badges(inbox)) == len(work_items.inbox(user("zhuce")))

    mine = page(app, "zhuce", "/my-tasks")
    assert LEGEND in mine
    lights_by_task = dict(re.findall(r'href="/tasks/(\d+)">\s*<span class="badge rounded-pill \S+" title="[^"]*" '
                                     r'tabindex="0" data-testid="light" data-light="(\w+)"', mine))
    assert lights_by_task[str(task5.id)] == "red" and set(lights_by_task.values()) == {"red", "green"}


def test_task_and_work_item_pages_show_the_task_its_open_steps_and_milestones(app, plan_2023):
    task7 = next(t for t in plan_2023.tasks if t.number == 7)
    zhuce, dushen = user("zhuce"), user("dushen")
    plans = [MilestonePlan("完成试点", "成果", date(2023, 6, 28), zhuce.id, past_date_reason="补录"),
             MilestonePlan("全面推开", "成果", date(2023, 12, 31), zhuce.id, past_date_reason="补录")]
    decomposition.submit_decomposition(item_of(task7, "decomposition"), plans, None, zhuce)
    decomposition.review_decomposition(item_of(task7, "decomposition_review"), ReviewDecision.APPROVE, None, dushen)
    db.session.commit()

    html = page(app, "zhuce", f"/tasks/{task7.id}")
    assert LEGEND in html
    found = badges(html)
    task_badge, step_badges, milestone_badges = found[0], found[1:3], found[3:]
    assert task_badge[2] == "red"
    assert re.fullmatch(r"节点「完成试点」已逾期 \d+ 个工作日（应于 2023年6月28日 完成）", task_badge[1])
    assert [b[2] for b in step_badges] == ["red", "red"]       # both report steps, one per milestone
    assert [b[2] for b in milestone_badges] == ["red", "red"]
    assert re.fullmatch(r"已逾期 \d+ 个工作日（应于 2023年6月28日 完成）", milestone_badges[0][1])

    report = next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "milestone_report"))
                  if i.context["milestone_id"] == milestone_id(task7, "完成试点"))
    item_page = page(app, "zhuce", f"/work/items/{report.id}")
    assert LEGEND in item_page
    header = item_page.split("</h1>")[0]
    (badge,) = badges(header)
    assert badge[2] == "red" and re.fullmatch(r"已逾期 \d+ 个工作日（应于 2023年6月28日 完成）", badge[1])
    assert len(badges(item_page)) == 3                         # the step and the task's two milestones


def milestone_id(task, title: str) -> int:
    return db.session.scalar(select(Milestone.id).where(Milestone.plan_task_id == task.id, Milestone.title == title))
