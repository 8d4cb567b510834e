"""The sweep's bookkeeping: an item whose every notice went out is not read again until its date moves."""
from __future__ import annotations

from datetime import date, datetime

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import User, WorkItem
from app.services.plans import plan_import
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING, end_of_day
from tests.conftest import PLAN_2023
from tests.snapshots import seeded


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


@seeded
def item(demo) -> WorkItem:
    """Task 7's decomposition (注册处), due 10 Oct 2023 after an import on 20 September."""
    with time_machine.travel(at(date(2023, 9, 20), 10), tick=False):
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        draft = plan_import.start_import(demo, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        plan = plan_import.confirm_import(draft, {}, dushen)
        db.session.commit()
    task = next(t for t in plan.tasks if t.number == 7)
    return next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task.id)


def chased(item: WorkItem):
    return db.session.scalar(select(WorkItem.chased_due_at).where(WorkItem.id == item.id))


def test_the_last_escalation_marks_the_item_chased_and_an_extension_starts_over(item):
    deadlines.sweep(at(date(2023, 10, 23)))
    assert chased(item) is None                                   # the leaders' day (24 Oct) is still ahead
    deadlines.sweep(at(date(2023, 10, 24)))
    assert chased(item) == item.due_at
    assert all(row.id != item.id for row in deadlines._items_to_chase(end_of_day(date(2023, 12, 31))))
    deadlines.extend(item, end_of_day(date(2023, 11, 30)), "涉及跨部门协调", None)
    sent = [s for s in deadlines.sweep(at(date(2023, 11, 27))) if s.work_item == item.id]
    assert [(s.kind, s.key.rsplit(":", 1)[1]) for s in sent] == [("reminder", "v2")]
    assert chased(item) is None


def test_a_due_date_moved_behind_the_sweeps_back_is_chased_again(item):
    deadlines.sweep(at(date(2023, 10, 24)))
    db.session.commit()
    # Someone else's code moves the date without going through extend(): the marker no longer matches.
    item.due_at = end_of_day(date(2023, 11, 30))
    db.session.commit()
    assert any(row.id == item.id for row in deadlines._items_to_chase(end_of_day(date(2023, 12, 31))))


def test_a_sweep_reads_an_item_again_only_when_its_next_notice_is_due(item):
    horizon = end_of_day(date(2023, 12, 31))
    sent = [s.kind for s in deadlines.sweep(at(date(2023, 10, 10))) if s.work_item == item.id]
    assert sent == ["reminder"]                                   # due today
    next_at = db.session.scalar(select(WorkItem.chase_next_at).where(WorkItem.id == item.id))
    assert next_at == at(date(2023, 10, 11), 0)                   # the overdue notice's day
    assert all(row.id != item.id for row in deadlines._items_to_chase(horizon, at(date(2023, 10, 10), 23)))
    assert any(row.id == item.id for row in deadlines._items_to_chase(horizon, at(date(2023, 10, 11))))
    deadlines.extend(item, end_of_day(date(2023, 11, 30)), "涉及跨部门协调", None)
    assert any(row.id == item.id for row in deadlines._items_to_chase(horizon, at(date(2023, 10, 10), 23)))


def test_a_sweep_in_small_batches_sends_what_one_batch_sends_and_checkpoints_after_each(item, monkeypatch):
    whole = sorted(s.key for s in deadlines.sweep(at(date(2023, 10, 24))))
    db.session.rollback()
    monkeypatch.setattr(deadlines, "BATCH", 2)
    checkpoints = []
    batched = deadlines.sweep(at(date(2023, 10, 24)), lambda: checkpoints.append(db.session.flush()))
    assert sorted(s.key for s in batched) == whole and len(whole) > 4
    open_items = db.session.scalar(select(func.count(WorkItem.id)).where(WorkItem.state == "open"))
    assert len(checkpoints) >= open_items // 2 > 1
    assert deadlines.sweep(at(date(2023, 10, 24))) == []          # every batch moved its items' markers
