"""Editing a plan's 时限规则 and the holiday calendar re-schedules open steps, each move on the record."""
from __future__ import annotations

import logging
from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import AuditEvent, DueDateChange, User, WorkItem, WorkItemState
from app.models.base import as_dict
from app.services.follow_up import extensions
from app.services.timing import calendar_overrides, deadline_policy
from app.services.timing.workdays import BEIJING, end_of_day
from tests.services.test_deadlines import at, decomposition_item, imported_in_2023  # noqa: F401


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def open_decompositions(plan) -> list[WorkItem]:
    ids = {t.id for t in plan.tasks}
    items = db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition",
                                                      WorkItem.state == WorkItemState.OPEN))
    return [i for i in items if i.context["plan_task_id"] in ids]


def save(plan, actor="dushen", **changes):
    policy = deadline_policy.policy_of(plan)
    data = {**as_dict(policy, *deadline_policy.FIELDS), **changes}
    return deadline_policy.update_policy(policy, data, deadline_policy.version_of(policy), user(actor))


def due_day(item) -> date:
    return item.due_at.astimezone(BEIJING).date()


def test_a_longer_decomposition_period_moves_every_open_decomposition_on_the_record(imported_in_2023):  # noqa: F811
    items = open_decompositions(imported_in_2023)
    assert items and {due_day(i) for i in items} == {date(2023, 10, 10)}
    moved = save(imported_in_2023, decompose_within=12)
    db.session.commit()
    assert {due_day(i) for i in items} == {date(2023, 10, 12)}
    assert len(moved) == len(items)
    changes = db.session.scalars(select(DueDateChange)).all()
    assert {c.work_item_id for c in changes} == {i.id for i in items}
    assert {(c.reason, c.old_due_at, c.new_due_at) for c in changes} == {
        ("时限规则调整", end_of_day(date(2023, 10, 10)), end_of_day(date(2023, 10, 12)))}
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "deadline_policy")).all()
    assert len(audit) == 1 and audit[0].before["decompose_within"] == 10
    assert audit[0].after["decompose_within"] == 12 and audit[0].after["moved_due_dates"] == len(items)


def test_a_granted_extension_is_not_moved_but_a_rule_move_is_moved_again(imported_in_2023):  # noqa: F811
    extended = decomposition_item(imported_in_2023, 7)
    request = extensions.request_extension(extended, date(2023, 10, 31), "跨部门协调", user("zhuce"))
    extensions.approve(request, None, None, user("dushen"))
    other = decomposition_item(imported_in_2023, 6)
    save(imported_in_2023, decompose_within=12)
    save(imported_in_2023, decompose_within=8)
    assert due_day(extended) == date(2023, 10, 31)
    assert due_day(other) == date(2023, 10, 8)    # Sunday 8 Oct 2023 is a 调休 working day
    history = db.session.scalars(select(DueDateChange).where(DueDateChange.work_item_id == other.id)
                                 .order_by(DueDateChange.id)).all()
    assert [due_day_of(c.new_due_at) for c in history] == [date(2023, 10, 12), date(2023, 10, 8)]


def due_day_of(moment) -> date:
    return moment.astimezone(BEIJING).date()


def test_reminder_settings_move_no_due_date(imported_in_2023):  # noqa: F811
    assert save(imported_in_2023, remind_before=5, daily_digest=True, report_cycle="monthly") == []
    policy = deadline_policy.policy_of(imported_in_2023)
    assert policy.remind_before == 5 and policy.daily_digest and policy.report_cycle.value == "monthly"
    assert db.session.scalar(select(func.count(DueDateChange.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "deadline_policy")) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"escalate_head_after": 5, "escalate_leaders_after": 4}, "不能少于提请单位负责人"),
    ({"remind_before": -1}, "临期提醒提前天数须为 0 至 30"),
    ({"report_day": 29}, "报送日须为 1 至 28"),
    ({"progress_tolerance": 101}, "序时进度容差须为 0 至 100"),
    ({"decompose_within": 0}, "任务分解时限须为 1 至 250"),
    ({"review_within": None}, "督审处审核时限"),
    ({"report_cycle": "weekly"}, "请选择报送周期"),
])
def test_bad_values_are_refused_and_nothing_changes(imported_in_2023, changes, message):  # noqa: F811
    with pytest.raises(ValidationFailed, match=message):
        save(imported_in_2023, **changes)
    db.session.rollback()
    policy = deadline_policy.policy_of(imported_in_2023)
    assert (policy.remind_before, policy.report_day, policy.escalate_head_after) == (3, 25, 3)
    assert db.session.scalar(select(func.count(DueDateChange.id))) == 0


def test_a_stale_form_is_refused(imported_in_2023):  # noqa: F811
    policy = deadline_policy.policy_of(imported_in_2023)
    shown = deadline_policy.version_of(policy)
    db.session.commit()
    with time_machine.travel(at(date(2023, 9, 21)), tick=False):
        save(imported_in_2023, remind_before=4)
    db.session.commit()
    data = as_dict(policy, *deadline_policy.FIELDS)
    with pytest.raises(InvalidTransition, match="已被他人修改"):
        deadline_policy.update_policy(policy, {**data, "remind_before": 2}, shown, user("admin"))


def test_a_day_off_moves_a_due_date_across_it_and_deleting_it_moves_it_back(imported_in_2023):  # noqa: F811
    item = decomposition_item(imported_in_2023, 7)
    moved = calendar_overrides.add_override(date(2023, 10, 9), False, "临时停工", user("admin"))
    assert due_day(item) == date(2023, 10, 11) and item.id in {c.work_item_id for c in moved}
    override_id = calendar_overrides.overrides()[0].id
    back = calendar_overrides.delete_override(override_id, user("admin"))
    db.session.commit()
    assert due_day(item) == date(2023, 10, 10) and len(back) == len(moved)
    changes = db.session.scalars(select(DueDateChange).where(DueDateChange.work_item_id == item.id)
                                 .order_by(DueDateChange.id)).all()
    assert [(due_day_of(c.old_due_at), due_day_of(c.new_due_at), c.reason) for c in changes] == [
        (date(2023, 10, 10), date(2023, 10, 11), "节假日安排调整"),
        (date(2023, 10, 11), date(2023, 10, 10), "节假日安排调整"),
    ]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "calendar_override")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["created", "deleted"]


def test_a_working_saturday_brings_a_due_date_forward(imported_in_2023):  # noqa: F811
    item = decomposition_item(imported_in_2023, 7)
    calendar_overrides.add_override(date(2023, 9, 23), True, "补班", user("admin"))
    assert due_day(item) == date(2023, 10, 9)


def test_one_override_per_day_and_a_second_delete_is_stale(imported_in_2023):  # noqa: F811
    calendar_overrides.add_override(date(2023, 10, 9), False, None, user("admin"))
    with pytest.raises(ValidationFailed, match="已有设置"):
        calendar_overrides.add_override(date(2023, 10, 9), True, None, user("admin"))
    override_id = calendar_overrides.overrides()[0].id
    calendar_overrides.delete_override(override_id, user("admin"))
    with pytest.raises(InvalidTransition, match="已被删除"):
        calendar_overrides.delete_override(override_id, user("admin"))


def test_warnings_for_a_year_the_calendar_does_not_know(app):
    warnings = calendar_overrides.coverage_warnings(date(2026, 11, 24))
    assert len(warnings) == 1 and "2027年" in warnings[0]
    assert calendar_overrides.coverage_warnings(date(2025, 3, 1)) == []
    calendar_overrides.add_override(date(2027, 1, 1), False, "元旦", None)
    assert calendar_overrides.coverage_warnings(date(2026, 11, 24)) == []


def test_the_scheduler_logs_the_warning(app, caplog):
    from scheduler import jobs

    with time_machine.travel(at(date(2026, 11, 24)), tick=False), caplog.at_level(logging.WARNING):
        jobs.check_calendar()
    assert [r.levelno for r in caplog.records] == [logging.WARNING] and "2027年" in caplog.records[0].getMessage()
    caplog.clear()
    with time_machine.travel(at(date(2025, 3, 1)), tick=False), caplog.at_level(logging.WARNING):
        jobs.check_calendar()
    assert caplog.records == []


def test_due_dates_in_an_unknown_year_fall_back_to_weekdays(imported_in_2023):  # noqa: F811
    item = decomposition_item(imported_in_2023, 7)
    item.created_at = end_of_day(date(2027, 9, 29))   # a step opened in a year chinese-calendar does not cover
    moved = save(imported_in_2023, decompose_within=5)
    assert item.id in {c.work_item_id for c in moved} and due_day(item) == date(2027, 10, 6)
