"""Home pages on the demo story, through the real pages: what each role must do today, with counts and links."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import demo_activity
from app.extensions import db
from app.models import PlanTask, StepKey, Unit, User, WorkItem, WorkItemState
from app.services.follow_up import extensions
from tests.conftest import csrf_token, login
from tests.snapshots import seeded


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def home(app, username: str) -> str:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client.get("/").get_data(as_text=True)


def section(page: str, key: str) -> str:
    """The card ``home-<key>`` of the page (up to the next card)."""
    start = page.index(f'data-testid="home-{key}"')
    following = re.compile(rf'data-testid="home-(?!item"|{key}-count")').search(page, start + 1)
    return page[start:following.start() if following else None]


def counted(page: str, key: str) -> int:
    return int(re.search(rf'data-testid="home-{key}-count">(\d+)<', page).group(1))


def open_item(form_key: str, task: PlanTask, unit: str = "科信处") -> WorkItem:
    """The unit's open item of that kind on the task (a task several units answer for has one each)."""
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == unit))
    items = db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key, WorkItem.unit_id == unit_id,
                                                      WorkItem.state == WorkItemState.OPEN)).all()
    return next(item for item in items if item.context.get("plan_task_id") == task.id)


def task(activity, number: int) -> PlanTask:
    return db.session.scalar(select(PlanTask).where(PlanTask.plan_id == activity.id, PlanTask.number == number))


def test_a_liaison_sees_overdue_and_returned_steps_linked_to_their_forms(app, activity):
    page = home(app, "kexin")
    assert re.search(r'data-testid="home-total">4<', page)
    assert re.search(r'data-testid="inbox-count">4<', page)   # the navbar's badge counts the same items
    assert counted(page, "overdue") == 1 and counted(page, "returned") == 1 and counted(page, "due_soon") == 0
    overdue = section(page, "overdue")
    assert f'href="/work/items/{open_item(StepKey.MILESTONE_REPORT, task(activity, 23)).id}"' in overdue
    assert "已逾期 5 个工作日" in overdue
    returned = section(page, "returned")
    assert f'href="/work/items/{open_item(StepKey.DECOMPOSITION, task(activity, 24)).id}"' in returned
    assert "分解方案已被退回修改" in returned
    assert 'data-testid="home-contribution"' not in page   # nothing asked of it as a cooperating unit yet


def test_the_cooperating_unit_sees_the_contribution_asked_of_it(app, activity):
    zhuce = app.test_client()
    assert login(zhuce, "zhuce").status_code == 302
    url = f"/work/items/{open_item(StepKey.MILESTONE_REPORT, task(activity, 7), '注册处').id}"
    resubmitted = zhuce.post(url, data={"csrf_token": csrf_token(zhuce, url), "progress": "已扩展到25个行业",
                                        "percent_done": "100", "submit": "1"})
    assert resubmitted.status_code == 302
    page = home(app, "kexin")
    assert counted(page, "contribution") == 1
    contribution = section(page, "contribution")
    assert f'href="/work/items/{open_item(StepKey.COOPERATING_CONTRIBUTION, task(activity, 7)).id}"' in contribution
    assert f"督〔{activity.year}〕7号" in contribution and "「“一业一证”改革扩展到25个行业」" in contribution
    assert counted(home(app, "zhuce"), "returned") == 0   # resubmitted: no longer waiting on 注册处


def test_a_unit_head_watches_the_units_milestones_whoever_has_the_step(app, activity):
    page = home(app, "zhuce_head")
    assert re.search(r'data-testid="home-total">0<', page)
    assert counted(page, "unit-overdue") == 0 and counted(page, "unit-due-soon") == 1
    assert counted(page, "unit-returned") == 1
    returned = section(page, "unit-returned")
    assert f'href="/tasks/{task(activity, 7).id}"' in returned and "退回意见:进度明显滞后" in returned
    assert "科信处" not in page.split('data-testid="home-unit"')[1]   # its own unit only (the last card)
    assert counted(home(app, "kexin"), "unit-overdue") == 1


def test_the_supervision_office_sees_reviews_late_units_and_extension_requests(app, activity):
    page = home(app, "dushen")
    assert "待审核(共 3 项)" in page and "督审处审核 2" in page and "审核整改方案 1" in page
    assert "科信处" in section(page, "late-units") and "逾期节点 1" in section(page, "late-units")
    assert counted(page, "extensions") == 0

    item = open_item(StepKey.MILESTONE_REPORT, task(activity, 23))
    kexin = db.session.scalar(select(User).where(User.username == "kexin"))
    later = (item.due_at + timedelta(days=10)).date()
    request = extensions.request_extension(item, later, "等待省级平台接口联调", kexin)
    db.session.commit()
    page = home(app, "dushen")
    assert counted(page, "extensions") == 1
    assert f'href="/extensions/{request.id}"' in section(page, "extensions")
    assert "科信处 · 报送进展" in section(page, "extensions") and "等待省级平台接口联调" in section(page, "extensions")


def test_an_administrator_sees_locked_accounts_and_the_latest_audit_events(app, activity):
    page = home(app, "admin")
    assert "暂被锁定的账户(0)" in page
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    zhuce.locked_until = datetime.now(UTC) + timedelta(minutes=15)
    db.session.commit()
    page = home(app, "admin")
    assert "暂被锁定的账户(1)" in page and f'href="/admin/users/{zhuce.id}/edit"' in page
    assert section(page, "audit").count('class="list-group-item"') == 10


def test_a_leader_lands_on_the_leader_dashboard(app, activity):
    page = home(app, "leader")
    assert "<h1" in page and "领导看板" in page and 'data-testid="home-total"' not in page
