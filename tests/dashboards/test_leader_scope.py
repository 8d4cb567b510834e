"""The leader dashboard opens on the leader's 分管 units, switches to the whole bureau, and lists their 批示."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PlanTask, User
from app.services.infrastructure import accounts
from app.services.lifecycle import discussion
from tests.dashboard_scenario import AS_OF, build_scenario


@pytest.fixture
def scenario(demo):
    built = build_scenario(demo)
    db.session.commit()
    return built


def _html(client, url: str) -> str:
    response = client.get(url)
    try:
        assert response.status_code == 200
        return response.get_data(as_text=True)
    finally:
        response.close()


def _ranking(html: str) -> str:
    return re.search(r'data-testid="unit-rank-table">(.*?)</table>', html, re.S).group(1)


def test_leader_sees_own_units_first_then_the_whole_bureau(signed_in, scenario):
    leader = db.session.scalar(select(User).where(User.username == "leader"))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    accounts.set_units_in_charge(leader, [scenario.kexin_id], admin)
    task = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == scenario.plan_id).order_by(PlanTask.id))
    discussion.add_instruction(task, "请加快进度", leader)
    db.session.commit()
    client = signed_in("leader")
    base = f"/dashboards/leader?plan_id={scenario.plan_id}&as_of={AS_OF}"
    mine = _html(client, base)
    assert "显示分管单位:科信处" in mine
    assert "科信处" in _ranking(mine) and "注册处" not in _ranking(mine)
    whole = _html(client, base + "&scope=all")
    assert "显示全局情况" in whole and "注册处" in _ranking(whole) and "科信处" in _ranking(whole)
    listed = re.search(r'data-testid="my-instructions">(.*?)</table>', mine, re.S).group(1)
    assert "请加快进度" in listed and "尚无单位确认" in listed


def test_leader_without_units_sees_the_whole_bureau(signed_in, scenario):
    html = _html(signed_in("leader"), f"/dashboards/leader?plan_id={scenario.plan_id}&as_of={AS_OF}")
    assert "注册处" in _ranking(html) and "科信处" in _ranking(html) and 'data-testid="scope"' not in html
