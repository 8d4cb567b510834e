"""Where work happens, items are named: 待办 rows, the diagram summaries and the 催办 list name the milestone."""
from __future__ import annotations

import re
from datetime import date

from app.extensions import db
from app.services.lifecycle import decomposition
from app.services.lifecycle.decomposition import MilestonePlan
from tests.conftest import login
from tests.services.test_lifecycle import APPROVE, item_for, unit


def _html(client, url: str) -> str:
    response = client.get(url)
    try:
        assert response.status_code == 200
        return response.get_data(as_text=True)
    finally:
        response.close()


def test_two_milestones_of_one_task_are_told_apart(task7, people, signed_in):
    zhuce, dushen = people["zhuce"], people["dushen"]
    plans = [MilestonePlan("制定改革方案", "方案", date(2023, 6, 30), zhuce.id, past_date_reason="补录"),
             MilestonePlan("扩大行业范围", "行业清单", date(2023, 9, 30), zhuce.id, (unit("科信处").id,),
                           past_date_reason="补录")]
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), plans, None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), APPROVE, None, dushen)
    db.session.commit()

    client = signed_in("zhuce")
    inbox = _html(client, "/work/inbox")
    names = re.findall(r'data-testid="item-subject">([^<]*)<', inbox)
    assert "节点1「制定改革方案」" in names and "节点2「扩大行业范围」" in names
    assert task7.plan.title in inbox

    supervisor = client.application.test_client()
    login(supervisor, "dushen")
    summaries = re.findall(r'data-testid="diagram-summary">([^<]*)<', _html(supervisor, f"/tasks/{task7.id}"))
    assert any("节点2「扩大行业范围」(注册处)" in s for s in summaries) and not any("#" in s for s in summaries)
    urging = re.findall(r'data-testid="item-subject">([^<]*)<', _html(supervisor, "/urging"))
    assert "节点1「制定改革方案」" in urging
