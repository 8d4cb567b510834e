"""The deadline sweep: the right notice on the right working day, each exactly once."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, User, WorkItem
from app.services.plans import plan_import
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING, end_of_day
from scheduler.cli import scheduler_command
from tests.conftest import PLAN_2023
from tests.snapshots import seeded


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


@seeded
def imported_in_2023(demo):
    """The 2023 plan imported on Wednesday 20 September 2023, 10:00 Beijing time."""
    with time_machine.travel(at(date(2023, 9, 20), 10), tick=False):
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        draft = plan_import.start_import(demo, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        plan = plan_import.confirm_import(draft, {}, dushen)
        db.session.commit()
    return plan


def decomposition_item(plan, number: int) -> WorkItem:
    task = next(t for t in plan.tasks if t.number == number)
    return next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task.id)


def kinds(sent) -> list[tuple[str, int]]:
    return [(s.kind, s.tier) for s in sent]


def test_decomposition_is_due_ten_working_days_after_import_across_national_day(imported_in_2023):
    item = decomposition_item(imported_in_2023, 7)
    # 21, 22, 25, 26, 27, 28 Sep; 29 Sep–6 Oct holiday; 7 (调休 Sat), 8 (调休 Sun), 9, 10 Oct.
    assert item.due_at.astimezone(BEIJING) == end_of_day(date(2023, 10, 10))


def test_each_notice_on_its_working_day_once(imported_in_2023):
    item = decomposition_item(imported_in_2023, 7)
    mine = lambda sent: [s for s in sent if s.work_item == item.id]  # noqa: E731
    assert mine(deadlines.sweep(at(date(2023, 9, 28)))) == []            # 3 working days before is 7 Oct
    reminder = mine(deadlines.sweep(at(date(2023, 10, 7))))
    assert kinds(reminder) == [("reminder", 1)] and reminder[0].recipients == ["zhuce"] and not reminder[0].late
    assert mine(deadlines.sweep(at(date(2023, 10, 7), 15))) == []          # the same day again: nothing new
    overdue = mine(deadlines.sweep(at(date(2023, 10, 11))))
    assert kinds(overdue) == [("overdue", 1)]
    head = mine(deadlines.sweep(at(date(2023, 10, 13))))
    assert kinds(head) == [("escalation", 1)] and head[0].recipients == ["zhuce_head"]
    leaders = mine(deadlines.sweep(at(date(2023, 10, 24))))
    assert kinds(leaders) == [("escalation", 2)] and leaders[0].recipients == ["leader"]
    assert mine(deadlines.sweep(at(date(2023, 11, 30)))) == []
    db.session.commit()
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    keys = db.session.scalars(select(Notification.key).where(Notification.user_id == zhuce.id,
                                                              Notification.key.like(f"work_item:{item.id}:%"))).all()
    assert sorted(keys) == [f"work_item:{item.id}:overdue:1:v1", f"work_item:{item.id}:reminder:1:v1"]


def test_after_downtime_each_missed_notice_goes_out_once_marked_late(imported_in_2023):
    item = decomposition_item(imported_in_2023, 7)
    first = [s for s in deadlines.sweep(at(date(2023, 10, 16))) if s.work_item == item.id]
    assert kinds(first) == [("reminder", 1), ("overdue", 1), ("escalation", 1)]
    assert [s.late for s in first] == [True, True, True]
    assert [s for s in deadlines.sweep(at(date(2023, 10, 17))) if s.work_item == item.id] == []


def test_a_deadline_on_a_make_up_saturday(imported_in_2023):
    item = decomposition_item(imported_in_2023, 6)
    deadlines.extend(item, end_of_day(date(2023, 10, 7)), "按领导要求提前", None)
    # Saturday 7 Oct 2023 is a working day: the reminder 3 working days before falls back across the holiday.
    sent = [s for s in deadlines.sweep(at(date(2023, 9, 26))) if s.work_item == item.id]
    assert kinds(sent) == [("reminder", 1)] and sent[0].key.endswith(":v2")
    assert [s for s in deadlines.sweep(at(date(2023, 10, 7))) if s.work_item == item.id] == []
    assert kinds([s for s in deadlines.sweep(at(date(2023, 10, 8))) if s.work_item == item.id]) == [("overdue", 1)]


def test_an_extension_keeps_the_old_date_and_restarts_the_notices(imported_in_2023):
    item = decomposition_item(imported_in_2023, 7)
    deadlines.sweep(at(date(2023, 10, 11)))
    change = deadlines.extend(item, end_of_day(date(2023, 10, 31)), "涉及跨部门协调", None)
    assert change.old_due_at.astimezone(BEIJING) == end_of_day(date(2023, 10, 10))
    assert [s for s in deadlines.sweep(at(date(2023, 10, 12))) if s.work_item == item.id] == []
    with pytest.raises(Exception, match="必须说明理由"):
        deadlines.extend(item, end_of_day(date(2023, 11, 30)), " ", None)


def test_finished_steps_are_not_chased(imported_in_2023):
    item = decomposition_item(imported_in_2023, 7)
    item.state = item.state.__class__.COMPLETED
    db.session.flush()
    assert [s for s in deadlines.sweep(at(date(2023, 10, 20))) if s.work_item == item.id] == []
    sent = select(func.count(Notification.id)).where(Notification.key.like(f"work_item:{item.id}:%"))
    assert db.session.scalar(sent) == 0


def test_tick_prints_one_json_line_per_notice_and_nothing_when_run_again(app, imported_in_2023):
    import json

    runner = app.test_cli_runner()
    first = runner.invoke(scheduler_command, ["tick", "--now", "2023-10-11T09:00:00+08:00"])
    assert first.exit_code == 0, first.output
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert lines and all(set(line) == {"key", "kind", "tier", "work_item", "recipients", "late"} for line in lines)
    assert {line["kind"] for line in lines} == {"reminder", "overdue"}
    again = runner.invoke(scheduler_command, ["tick", "--now", "2023-10-11T15:00:00+08:00"])
    assert again.exit_code == 0 and again.stdout == ""


def test_tick_refuses_a_malformed_instant(app):
    result = app.test_cli_runner().invoke(scheduler_command, ["tick", "--now", "十月十一日"])
    assert result.exit_code != 0 and "无法识别的时刻" in result.output


def test_two_concurrent_ticks_send_each_notice_once(app, imported_in_2023, database_url):
    import threading

    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them itself)")
    db.session.commit()
    barrier, results = threading.Barrier(2), []

    def tick() -> None:
        with app.app_context():
            barrier.wait()
            results.append(len(deadlines.sweep(at(date(2023, 10, 16)))))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    keys = db.session.execute(select(Notification.key, Notification.user_id)).all()
    assert len(keys) == len(set(keys)) and len(keys) > 0
    assert len(results) == 2 and sum(results) > 0   # both ticks finished without an error
