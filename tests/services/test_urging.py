"""催办 through the service: recorded, counted per item, task and unit, told to the people who may act."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import AuditEvent, Notification, Urge, WorkItemState
from app.services.follow_up import urging
from tests.services.test_lifecycle import item_for, unit


def test_an_urge_is_recorded_counted_and_told_to_the_unit(task7, people):
    dushen, zhuce = people["dushen"], people["zhuce"]
    item = item_for(zhuce, "decomposition", task7)
    first = urging.urge(item, "请于本周内提交分解方案", dushen)
    urging.urge(item, "再次催办", dushen)
    db.session.commit()

    assert (first.unit_id, first.plan_task_id, first.sent_by_id) == (item.unit_id, task7.id, dushen.id)
    assert [u.message for u in urging.urges_of(item)] == ["请于本周内提交分解方案", "再次催办"]
    assert urging.urge_counts([item.id]) == {item.id: 2}
    assert urging.urge_counts_by_unit(task7.plan_id) == {unit("注册处").id: 2}
    assert urging.urge_counts_by_task(task7.plan_id) == {(task7.id, unit("注册处").id): 2}
    told = db.session.scalars(select(Notification).where(Notification.key == f"urge:{first.id}")).all()
    assert {n.user_id for n in told} == {u.id for u in urging.people_to_act(item)}
    assert zhuce.id in {n.user_id for n in told}
    assert told[0].link == f"/work/items/{item.id}" and "督〔2023〕7号" in told[0].title
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity == "work_item", AuditEvent.entity_id == str(item.id))).all() == ["urged", "urged"]


def test_only_supervisors_urge_open_unit_steps_with_a_message(task7, people):
    dushen, zhuce = people["dushen"], people["zhuce"]
    item = item_for(zhuce, "decomposition", task7)
    with pytest.raises(PermissionDenied):
        urging.urge(item, "催一下", zhuce)
    with pytest.raises(ValidationFailed, match="催办内容"):
        urging.urge(item, "  ", dushen)
    item.state = WorkItemState.COMPLETED
    with pytest.raises(InvalidTransition):
        urging.urge(item, "催一下", dushen)
    db.session.rollback()
    assert db.session.scalar(select(Urge.id)) is None


def test_supervisors_own_steps_cannot_be_urged(task7, people):
    from datetime import date

    from app.services.lifecycle import decomposition
    from app.services.lifecycle.decomposition import MilestonePlan
    zhuce, dushen = people["zhuce"], people["dushen"]
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7),
                                       [MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id,
                                                      past_date_reason="补录")], None, zhuce)
    review = item_for(dushen, "decomposition_review", task7)
    assert not urging.may_urge(dushen, review)
    assert review.id not in {i.id for i in urging.urgeable_items()}
    with pytest.raises(ValidationFailed, match="责任单位正在办理"):
        urging.urge(review, "催一下", dushen)
