"""修改或取消计划任务 from the plan page, through the real forms."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Decomposition, PlanTask
from tests.conftest import csrf_token
from tests.web.test_work import as_user


def send(client, url: str, prefix: str, data: dict):
    token = csrf_token(client, url)
    return client.post(url, data={f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}})


def test_the_supervisor_edits_then_cancels_a_task_from_the_plan_page(app, task7):
    dushen, zhuce = as_user(app, "dushen"), as_user(app, "zhuce")
    url = f"/plans/tasks/{task7.id}/edit"
    assert url in dushen.get(f"/plans/{task7.plan_id}").get_data(as_text=True)
    page = dushen.get(url).get_data(as_text=True)
    version = re.search(r'name="edit-version" type="hidden" value="([0-9a-f]+)"', page).group(1)
    assert 'value="注册处"' in page

    fields = {"version": version, "title": task7.title, "text": task7.text, "lead_units": "信用处",
              "cooperating_units": "科信处、信息中心", "submit": "保存修改"}
    page = send(dushen, url, "edit", {**fields, "reason": ""}).get_data(as_text=True)
    assert "请填写修改原因" in page
    page = send(dushen, url, "edit", {**fields, "lead_units": "不存在处", "reason": "调整"}).get_data(as_text=True)
    assert "找不到:不存在处" in page
    response = send(dushen, url, "edit", {**fields, "reason": "调整牵头单位"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/plans/{task7.plan_id}")
    db.session.expire_all()
    assert db.session.get(PlanTask, task7.id).responsibilities[0].holder_name == "信用处"
    stale = send(dushen, url, "edit", {**fields, "lead_units": "注册处", "reason": "改回"})
    assert stale.status_code == 302
    assert "该任务已被修改" in dushen.get(stale.headers["Location"]).get_data(as_text=True)
    assert zhuce.get(url).status_code == 403

    fresh = re.search(r'name="cancel-version" type="hidden" value="([0-9a-f]+)"',
                      dushen.get(url).get_data(as_text=True)).group(1)
    response = send(dushen, url, "cancel", {"version": fresh, "cancel_reason": "并入其他任务", "cancel": "取消该任务"})
    assert response.status_code == 302
    plan_page = dushen.get(f"/plans/{task7.plan_id}").get_data(as_text=True)
    assert "已取消" in plan_page and "并入其他任务" in plan_page and url not in plan_page
    assert db.session.scalar(select(PlanTask.cancelled_at).where(PlanTask.id == task7.id)) is not None


def test_the_supervisor_adds_a_task_whose_lead_gets_its_decomposition(app, task7):
    dushen = as_user(app, "dushen")
    url = f"/plans/{task7.plan_id}/tasks/new"
    assert url in dushen.get(f"/plans/{task7.plan_id}").get_data(as_text=True)
    page = dushen.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([0-9a-f]+)"', page).group(1)
    fields = {"csrf_token": csrf_token(dushen, url), "version": version, "section": "1", "title": "",
              "text": "开展经营主体年报质量提升行动,完成抽查5000户。", "lead_units": "信用处",
              "cooperating_units": "注册处", "reason": "省政府新增部署", "submit": "新增任务"}
    assert "请填写新增原因" in dushen.post(url, data={**fields, "reason": ""}).get_data(as_text=True)
    response = dushen.post(url, data=fields)
    assert response.status_code == 302
    added = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == task7.plan_id, PlanTask.number == 40))
    assert added.supervision_number and added.targets[0].value == 5000
    assert [r.holder_name for r in added.responsibilities] == ["信用处", "注册处"]
    parts = db.session.scalars(select(Decomposition).filter_by(plan_task_id=added.id))
    assert [part.unit.name for part in parts] == ["信用处"]
    again = dushen.post(url, data=fields)  # the same form twice: refused, nothing added
    assert again.status_code == 302 and "该计划的任务已有变化" in dushen.get(again.headers["Location"]).get_data(
        as_text=True)
    assert db.session.scalar(select(PlanTask.id).where(PlanTask.plan_id == task7.plan_id,
                                                       PlanTask.number == 41)) is None


def test_with_the_switch_on_a_leader_approves_the_change_before_it_applies(app, task7):
    dushen, leader = as_user(app, "dushen"), as_user(app, "leader")
    plan_url = f"/plans/{task7.plan_id}"
    switch = dushen.post(f"{plan_url}/approval", data={"csrf_token": csrf_token(dushen, plan_url),
                                                       "changes_need_approval": "on"})
    assert switch.status_code == 302 and "需局领导审批" in dushen.get(plan_url).get_data(as_text=True)
    url = f"/plans/tasks/{task7.id}/edit"
    version = re.search(r'name="cancel-version" type="hidden" value="([0-9a-f]+)"',
                        dushen.get(url).get_data(as_text=True)).group(1)
    response = send(dushen, url, "cancel", {"version": version, "cancel_reason": "并入其他任务",
                                            "cancel": "取消该任务"})
    assert "待审批后生效" in dushen.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlanTask, task7.id).cancelled_at is None

    listing = leader.get("/plans/changes").get_data(as_text=True)
    assert "第7项 取消任务" in listing and 'data-testid="badge-plans.changes">1<' in listing
    change_id = int(re.search(r"/plans/changes/(\d+)", listing).group(1))
    decide = f"/plans/changes/{change_id}"
    assert "(取消任务)" in leader.get(decide).get_data(as_text=True)
    response = leader.post(decide, data={"csrf_token": csrf_token(leader, decide), "note": "同意", "approve": "批准"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PlanTask, task7.id).cancelled_at is not None
    assert dushen.get("/plans/changes").status_code == 403
