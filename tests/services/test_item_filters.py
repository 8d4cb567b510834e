"""Filters, sorts and 批量催办 of the work-item lists (待办, 已办, 催办)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import Notification, PlanTask, Urge
from app.models.base import utcnow
from app.services.follow_up import urging
from app.services.lifecycle import work_items
from app.services.lifecycle.item_filters import ItemFilter
from tests.services.test_lifecycle import item_for, unit


def urgeable(filters: ItemFilter):
    return urging.urgeable_page(1, filters).items


def test_unknown_filter_values_are_ignored():
    chosen = ItemFilter.from_args(MultiDict({"plan": "x1", "unit": "-3", "due": "soon", "sort": "drop table",
                                             "step": "s" * 500}))
    assert chosen == ItemFilter()
    assert ItemFilter.from_args(MultiDict({"plan": "2", "due": "overdue", "sort": "task"})).as_args() == \
        {"plan": 2, "due": "overdue", "sort": "task"}


def test_the_urging_list_filters_by_unit_step_plan_and_due_window(plan_2023):
    everything = urgeable(ItemFilter())
    zhuce = unit("注册处")
    mine = urgeable(ItemFilter(unit=zhuce.id))
    assert mine and {item.unit_id for item in mine} == {zhuce.id} and len(mine) < len(everything)
    step = everything[0].step_id
    assert {item.step_id for item in urgeable(ItemFilter(step=step))} == {step}
    assert len(urgeable(ItemFilter(plan=plan_2023.id))) == len(everything)
    assert urgeable(ItemFilter(plan=plan_2023.id + 1000)) == []
    overdue = urgeable(ItemFilter(due="overdue"))
    assert all(item.due_at is not None and item.due_at < utcnow() for item in overdue)
    soon = urgeable(ItemFilter(due="7d"))
    assert all(utcnow() <= item.due_at < utcnow() + timedelta(days=7) for item in soon)
    choices = urging.urgeable_choices()
    assert (zhuce.id, "注册处") in choices.units and choices.plans == [(plan_2023.id, plan_2023.title)]


def test_sorting_by_task_number(plan_2023):
    items = urgeable(ItemFilter(sort="task"))
    numbers = [db.session.get(PlanTask, item.instance.plan_task_id).number for item in items]
    assert numbers == sorted(numbers)


def test_the_inbox_keeps_its_rule_under_a_filter(task7, people):
    zhuce = people["zhuce"]
    all_mine = work_items.inbox_page(zhuce, 1).items
    filtered = work_items.inbox_page(zhuce, 1, filters=ItemFilter(unit=unit("科信处").id)).items
    assert all_mine and filtered == []
    assert work_items.done_page(zhuce, 1, filters=ItemFilter(sort="due")).items == []


def test_bulk_urge_sends_each_and_reports_refusals_item_by_item(task7, people):
    dushen, zhuce = people["dushen"], people["zhuce"]
    first = item_for(zhuce, "decomposition", task7)
    others = [item for item in urgeable(ItemFilter()) if item.id != first.id][:2]
    urging.urge(first, "请尽快分解", dushen)
    db.session.commit()

    outcomes = urging.urge_many([first, *others], "请尽快分解", dushen)
    db.session.commit()
    assert [outcome.item.id for outcome in outcomes] == [first.id, *[item.id for item in others]]
    refused = [outcome for outcome in outcomes if outcome.refusal]
    assert len(refused) == 1 and refused[0].item.id == first.id and "分钟内不再重复发送" in refused[0].refusal
    assert urging.urge_counts([first.id, *[i.id for i in others]]) == {first.id: 1, **{i.id: 1 for i in others}}
    for outcome in outcomes[1:]:
        told = db.session.scalars(select(Notification.user_id).where(Notification.key == f"urge:{outcome.urge.id}"))
        assert set(told) == {user.id for user in urging.people_to_act(outcome.item)}


def test_bulk_urge_refuses_as_a_whole_without_a_message_or_items_or_as_a_unit(task7, people):
    dushen, zhuce = people["dushen"], people["zhuce"]
    item = item_for(zhuce, "decomposition", task7)
    with pytest.raises(ValidationFailed, match="催办内容"):
        urging.urge_many([item], "   ", dushen)
    with pytest.raises(ValidationFailed, match="勾选"):
        urging.urge_many([], "请尽快", dushen)
    with pytest.raises(PermissionDenied):
        urging.urge_many([item], "请尽快", zhuce)
    assert db.session.scalar(select(func.count()).select_from(Urge)) == 0
