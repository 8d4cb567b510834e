"""停滞提醒 once per (item, last update), and the daily digest: one e-mail per person per day."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import NoticeKind, Notification, OutboxMail, PlanTask, Role, StagnantItem, User, WorkItem
from app.services.lifecycle import discussion, drafts, work_items
from app.services.plans import plan_import
from app.services.timing import deadlines, digests, stagnation
from app.services.timing.workdays import BEIJING
from scheduler import tick
from tests.conftest import PLAN_2023
from tests.snapshots import seeded


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


@seeded
def imported_in_2023(demo):
    """The 2023 plan imported on Wednesday 20 September 2023, 10:00 Beijing time."""
    with time_machine.travel(at(date(2023, 9, 20), 10), tick=False):
        dushen = user("dushen")
        draft = plan_import.start_import(demo, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        plan = plan_import.confirm_import(draft, {}, dushen)
        db.session.commit()
    return plan


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def task7_item(plan) -> WorkItem:
    task = next(t for t in plan.tasks if t.number == 7)
    return next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task.id)


def stagnant(sent, item) -> list:
    return [s for s in sent if s.work_item == item.id]


def test_fifteen_quiet_working_days_raise_one_notice_to_the_liaison_and_dushen(imported_in_2023):
    item = task7_item(imported_in_2023)
    assert stagnant(stagnation.sweep(at(date(2023, 10, 16))), item) == []   # the 14th working day
    sent = stagnant(stagnation.sweep(at(date(2023, 10, 17))), item)         # the 15th, across National Day
    assert len(sent) == 1 and sent[0].key == f"work_item:{item.id}:stagnation:2023-09-20"
    assert sent[0].recipients == ["zhuce", "dushen"] and not sent[0].late
    assert stagnant(stagnation.sweep(at(date(2023, 10, 17), 16)), item) == []
    assert stagnant(stagnation.sweep(at(date(2023, 10, 30))), item) == []


def stagnation_notices(username: str) -> list[Notification]:
    query = (select(Notification).join(User).where(User.username == username,
                                                   Notification.kind == NoticeKind.STAGNATION)
             .order_by(Notification.id))
    return list(db.session.scalars(query))


def test_units_and_dushen_get_one_summary_a_day_not_one_notice_per_item(imported_in_2023):
    # Issue 18: 督审处 used to get one notice per stagnant item (4,923 each in a day at province scale).
    item, zhuce = task7_item(imported_in_2023), user("zhuce")
    task7 = db.session.get(PlanTask, item.context["plan_task_id"])
    lines = stagnation.sweep(at(date(2023, 10, 17)))
    found = [line for line in lines if line.work_item is not None]
    assert len(found) == db.session.scalar(select(func.count(StagnantItem.id))) > 39
    [mine] = stagnation_notices("zhuce")
    assert mine.key == f"stagnation:unit:{zhuce.unit_id}:2023-10-17" and task7.supervision_number in mine.body
    listed = mine.body.splitlines()[1:]
    assert listed and all("(注册处)" in line for line in listed)        # a unit hears only of its own items
    [theirs] = stagnation_notices("dushen")
    assert theirs.key == "stagnation:supervision:2023-10-17" and f"{len(found)} 项" in theirs.title
    assert "注册处" in theirs.body and "科信处" in theirs.body
    keys = set(db.session.scalars(select(Notification.key).where(Notification.kind == NoticeKind.STAGNATION)))
    units = {line.work_item and db.session.get(WorkItem, line.work_item).unit_id for line in found}
    assert keys == {"stagnation:supervision:2023-10-17"} | {
        f"stagnation:unit:{unit_id}:2023-10-17" for unit_id in units
        if any(u.unit_id == unit_id for u in deadlines.People.load().with_role(Role.LIAISON))}
    summaries = [line for line in lines if line.work_item is None]
    assert {line.key for line in summaries} == keys and all(not line.late for line in summaries)


def test_a_tick_looks_only_at_items_whose_marker_has_come(imported_in_2023):
    stagnation.sweep(at(date(2023, 10, 16)))
    due = select(func.count(WorkItem.id)).where(WorkItem.state == "open", or_(
        WorkItem.stagnation_check_at.is_(None), WorkItem.stagnation_check_at <= at(date(2023, 10, 16))))
    assert db.session.scalar(due) == 0
    still = select(func.count(WorkItem.id)).where(WorkItem.state == "open",
                                                  WorkItem.stagnation_check_at <= at(date(2023, 10, 17)))
    assert db.session.scalar(still) > 39                                      # all stagnant on the 17th


def test_an_item_found_after_the_days_summary_waits_for_the_next_days(imported_in_2023):
    item, zhuce = task7_item(imported_in_2023), user("zhuce")
    with time_machine.travel(at(date(2023, 9, 21), 10), tick=False):
        work_items.sign_for(item, zhuce)                                      # stagnant on the 18th
    stagnation.sweep(at(date(2023, 10, 17)))
    assert stagnant(stagnation.sweep(at(date(2023, 10, 17), 12)), item) == []
    deadlines.policy_for(imported_in_2023.tasks[0]).stagnation_after = 14   # now stagnant since the 17th
    stagnation.recheck_plan(imported_in_2023.id)
    afternoon = stagnation.sweep(at(date(2023, 10, 17), 16))
    assert [s.key for s in stagnant(afternoon, item)] == [f"work_item:{item.id}:stagnation:2023-09-21"]
    assert [s for s in afternoon if s.work_item is None] == []                # today's summaries went out
    assert len(stagnation_notices("zhuce")) == 1
    morning = [s for s in stagnation.sweep(at(date(2023, 10, 18))) if s.work_item is None]
    unit_key = f"stagnation:unit:{zhuce.unit_id}:2023-10-18"
    assert {s.key for s in morning} == {unit_key, "stagnation:supervision:2023-10-18"}
    assert all(s.late for s in morning)
    latest = stagnation_notices("zhuce")[-1]
    assert latest.key == unit_key and len(latest.body.splitlines()) == 2 and "1 项" in latest.title


def test_an_update_restarts_the_count_and_a_new_silence_is_told_again(imported_in_2023):
    item = task7_item(imported_in_2023)
    stagnation.sweep(at(date(2023, 10, 17)))
    with time_machine.travel(at(date(2023, 10, 18), 11), tick=False):
        work_items.sign_for(item, user("zhuce"))
    with time_machine.travel(at(date(2023, 10, 25), 11), tick=False):
        discussion.add_comment(db.session.get(PlanTask, item.context["plan_task_id"]), "另一单位的留言不算",
                               user("kexin"))
    assert stagnant(stagnation.sweep(at(date(2023, 11, 7))), item) == []
    sent = stagnant(stagnation.sweep(at(date(2023, 11, 8))), item)          # 15 working days after 18 Oct
    assert [s.key for s in sent] == [f"work_item:{item.id}:stagnation:2023-10-18"]


def test_a_comment_by_the_unit_is_an_update(imported_in_2023):
    item = task7_item(imported_in_2023)
    with time_machine.travel(at(date(2023, 10, 9), 11), tick=False):
        discussion.add_comment(db.session.get(PlanTask, item.context["plan_task_id"]), "正在征求意见", user("zhuce"))
    assert stagnant(stagnation.sweep(at(date(2023, 10, 17))), item) == []


def test_a_saved_draft_is_an_update(imported_in_2023):
    from werkzeug.datastructures import MultiDict

    item = task7_item(imported_in_2023)
    with time_machine.travel(at(date(2023, 10, 9), 11), tick=False):
        drafts.save_draft(item, user("zhuce"), MultiDict({"note": "草拟中"}))
    assert stagnant(stagnation.sweep(at(date(2023, 10, 17))), item) == []


def test_zero_turns_stagnation_off(imported_in_2023):
    deadlines.policy_for(imported_in_2023.tasks[0]).stagnation_after = 0
    db.session.flush()
    assert stagnation.sweep(at(date(2023, 12, 29))) == []


@pytest.fixture
def digest_plan(app, imported_in_2023):
    deadlines.policy_for(imported_in_2023.tasks[0]).daily_digest = True
    for username in ("zhuce", "zhuce_head", "dushen", "leader"):
        user(username).email = f"{username}@example.gov.cn"
    db.session.commit()
    app.config["SMTP_HOST"] = "mail.example.gov.cn"
    yield imported_in_2023
    app.config["SMTP_HOST"] = None


def test_a_digest_day_carries_every_notice_in_one_mail_sent_at_the_digest_hour_once(digest_plan):
    morning = tick.run(at(date(2023, 10, 16)))
    zhuce = user("zhuce")
    own = db.session.scalars(select(Notification).where(Notification.user_id == zhuce.id)).all()
    assert len(own) > 3 and {n.digest_day for n in own} == {date(2023, 10, 16)}
    assert db.session.scalar(select(func.count(OutboxMail.id))) == 0          # nothing mailed one by one
    assert not [line for line in morning if line["kind"] == "digest"]
    evening = [line for line in tick.run(at(date(2023, 10, 16), 17)) if line["kind"] == "digest"]
    assert {line["key"] for line in evening} >= {f"digest:{zhuce.id}:2023-10-16"}
    mails = db.session.scalars(select(OutboxMail).where(OutboxMail.to_address == "zhuce@example.gov.cn")).all()
    assert len(mails) == 1 and str(len(own)) in mails[0].subject
    assert all(n.title in mails[0].body for n in own)
    assert tick.run(at(date(2023, 10, 16), 18)) == []
    assert [line for line in tick.run(at(date(2023, 10, 17), 8)) if line["kind"] == "digest"] == []
    assert db.session.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.to_address == "zhuce@example.gov.cn")) == 1


def test_notices_after_the_digest_hour_wait_for_the_next_day_and_a_missed_digest_goes_out_late(digest_plan):
    deadlines.sweep(at(date(2023, 10, 16), 18))
    zhuce = user("zhuce")
    assert set(db.session.scalars(select(Notification.digest_day).where(Notification.user_id == zhuce.id))) == {
        date(2023, 10, 17)}
    sent = digests.send_due(at(date(2023, 10, 18), 9))                       # the scheduler was down on the 17th
    mine = [d for d in sent if d.user_id == zhuce.id]
    assert len(mine) == 1 and mine[0].late and mine[0].kind is NoticeKind.DIGEST
    assert mine[0].key == f"digest:{zhuce.id}:2023-10-17"
