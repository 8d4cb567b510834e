"""延期申请: a unit asks, 督审处 approves (possibly another date) or refuses; the old date stays on record."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    AuditEvent,
    DueDateChange,
    ExtensionRequest,
    ExtensionStatus,
    Notification,
    User,
    WorkItem,
    WorkItemState,
)
from app.services.follow_up import extensions
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING, end_of_day
from tests.services.test_deadlines import at, decomposition_item, imported_in_2023  # noqa: F401

ORIGINAL_DUE = end_of_day(date(2023, 10, 10))


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def item(imported_in_2023):  # noqa: F811
    """注册处's decomposition of task 7, due 10 October 2023."""
    return decomposition_item(imported_in_2023, 7)


def ask(item, day=date(2023, 10, 31), reason="涉及跨部门协调,需征求意见"):
    with time_machine.travel(at(date(2023, 9, 25)), tick=False):
        return extensions.request_extension(item, day, reason, user("zhuce"))


def notices_of(username: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user(username).id)))


def test_a_request_waits_for_the_supervisor_and_changes_nothing_yet(item):
    request = ask(item)
    db.session.commit()
    assert request.status is ExtensionStatus.PENDING and request.unit_id == item.unit_id
    assert request.current_due_at == ORIGINAL_DUE and request.requested_due_at == end_of_day(date(2023, 10, 31))
    assert item.due_at == ORIGINAL_DUE
    assert extensions.pending() == [request] and extensions.pending_count() == 1
    assert extensions.pending_of(item) == request
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "extension_requested"))
    assert audit.entity == "work_item" and audit.entity_id == str(item.id) and audit.actor.username == "zhuce"


def test_approval_moves_the_due_date_and_keeps_the_old_one(item):
    request = ask(item)
    extensions.approve(request, None, "同意", user("dushen"))
    db.session.commit()
    assert request.status is ExtensionStatus.APPROVED and request.decided_by.username == "dushen"
    assert item.due_at == end_of_day(date(2023, 10, 31)) == request.approved_due_at
    change = db.session.scalar(select(DueDateChange).where(DueDateChange.work_item_id == item.id))
    assert (change.old_due_at, change.new_due_at) == (ORIGINAL_DUE, end_of_day(date(2023, 10, 31)))
    assert change.changed_by_id == user("dushen").id and "涉及跨部门协调" in change.reason
    assert extensions.pending_count() == 0
    # The unit hears of it in-app: the liaison and the head of 注册处, nobody else.
    assert [n.kind.value for n in notices_of("zhuce")] == ["info"] and len(notices_of("zhuce_head")) == 1
    assert "2023年10月31日" in notices_of("zhuce")[0].body and notices_of("kexin") == []
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "extension_approved")) == 1


def test_the_supervisor_may_grant_another_date(item):
    request = ask(item)
    extensions.approve(request, date(2023, 10, 20), None, user("dushen"))
    assert item.due_at == end_of_day(date(2023, 10, 20)) == request.approved_due_at
    assert request.requested_due_at == end_of_day(date(2023, 10, 31))


def test_a_granted_date_not_after_the_current_one_is_refused_and_nothing_changes(item):
    request = ask(item)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="须晚于当前期限"):
        extensions.approve(request, date(2023, 10, 10), None, user("dushen"))
    db.session.rollback()     # as the refusal handler does (app.errors.answer_refusal)
    assert request.status is ExtensionStatus.PENDING and item.due_at == ORIGINAL_DUE


def test_refusal_needs_a_note_and_keeps_the_date(item):
    request = ask(item)
    with pytest.raises(ValidationFailed, match="请填写审批意见"):
        extensions.refuse(request, "  ", user("dushen"))
    extensions.refuse(request, "理由不充分,请按期完成", user("dushen"))
    db.session.commit()
    assert request.status is ExtensionStatus.REFUSED and request.decision_note == "理由不充分,请按期完成"
    assert item.due_at == ORIGINAL_DUE and request.approved_due_at is None
    assert db.session.scalar(select(func.count(DueDateChange.id))) == 0
    assert "理由不充分" in notices_of("zhuce")[0].body
    ask(item, date(2023, 10, 20), "再次申请")   # refused: the unit may ask again


def test_one_pending_request_per_item(item):
    ask(item)
    with pytest.raises(InvalidTransition, match="已有待审批的延期申请"):
        ask(item, date(2023, 11, 30))


def test_the_database_keeps_one_pending_request_per_item(item):
    ask(item)
    db.session.commit()
    twin = ExtensionRequest(work_item_id=item.id, unit_id=item.unit_id, requested_due_at=ORIGINAL_DUE,
                            reason="并发的第二份", requested_by_id=user("zhuce").id)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("second", ["approve", "refuse"])
def test_a_stale_second_decision_is_refused(item, second):
    request = ask(item)
    extensions.approve(request, None, None, user("dushen"))
    db.session.commit()
    stale = db.session.get(ExtensionRequest, request.id)
    with pytest.raises(InvalidTransition, match=r"已审批.已批准.,不能重复审批"):
        if second == "approve":
            extensions.approve(stale, date(2023, 11, 30), None, user("dushen"))
        else:
            extensions.refuse(stale, "不同意", user("dushen"))
    db.session.rollback()
    assert item.due_at == end_of_day(date(2023, 10, 31))
    assert db.session.scalar(select(func.count(DueDateChange.id))) == 1


def test_a_decision_made_elsewhere_meanwhile_wins_over_a_stale_page(item):
    """The reviewer's copy still says pending; the database says another reviewer approved."""
    request = ask(item)
    db.session.commit()
    db.session.execute(update(ExtensionRequest).where(ExtensionRequest.id == request.id)
                       .values(status=ExtensionStatus.REFUSED).execution_options(synchronize_session=False))
    assert request.status is ExtensionStatus.PENDING
    with pytest.raises(InvalidTransition, match=r"已审批.未批准."):
        extensions.approve(request, None, None, user("dushen"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(DueDateChange.id))) == 0


def test_another_unit_may_not_ask(item):
    with pytest.raises(PermissionDenied):
        extensions.request_extension(item, date(2023, 10, 31), "代为申请", user("kexin"))
    with pytest.raises(PermissionDenied):
        extensions.request_extension(item, date(2023, 10, 31), "督审处不能代为申请", user("dushen"))


def test_only_the_supervisor_decides(item):
    request = ask(item)
    for who in ("zhuce", "zhuce_head", "leader", "admin"):
        with pytest.raises(PermissionDenied):
            extensions.approve(request, None, None, user(who))
    assert request.status is ExtensionStatus.PENDING


@pytest.mark.parametrize(("day", "reason", "message"), [
    (date(2023, 10, 10), "理由", "须晚于当前期限"),
    (date(2023, 10, 1), "理由", "须晚于当前期限"),
    (None, "理由", "请填写申请延期至的日期"),
    (date(2023, 10, 31), " ", "请填写申请延期的理由"),
])
def test_bad_requests_are_refused_in_chinese(item, day, reason, message):
    with pytest.raises(ValidationFailed, match=message):
        ask(item, day, reason)
    assert extensions.pending_count() == 0


def test_a_closed_item_cannot_be_extended(item):
    request = ask(item)
    item.state = WorkItemState.COMPLETED
    db.session.flush()
    db.session.commit()
    with pytest.raises(InvalidTransition):
        extensions.approve(request, None, None, user("dushen"))
    db.session.rollback()
    assert request.status is ExtensionStatus.PENDING
    with pytest.raises(InvalidTransition):
        ask(item, date(2023, 11, 30))


def test_notices_follow_the_new_date_after_approval(item):
    extensions.approve(ask(item), None, None, user("dushen"))
    swept = [s for s in deadlines.sweep(at(date(2023, 10, 11))) if s.work_item == item.id]
    assert swept == []     # the old date passed, but the item is no longer overdue
    assert item.due_at.astimezone(BEIJING).date() == date(2023, 10, 31)


def test_history_of_item_and_task(item, imported_in_2023):  # noqa: F811
    first = ask(item)
    extensions.refuse(first, "不同意", user("dushen"))
    second = ask(item, date(2023, 10, 20), "再次申请")
    task = next(t for t in imported_in_2023.tasks if t.number == 7)
    assert extensions.of_item(item.id) == [first, second] == extensions.of_task(task)
    other = next(t for t in imported_in_2023.tasks if t.number == 6)
    assert extensions.of_task(other) == []


def run_twice_at_once(app, action) -> list[str]:
    """Run ``action`` in two threads with their own sessions at the same moment; each returns its outcome."""
    import threading

    barrier, outcomes = threading.Barrier(2), []

    def attempt() -> None:
        with app.app_context():
            barrier.wait()
            try:
                action()
                db.session.commit()
                outcomes.append("done")
            except (InvalidTransition, IntegrityError) as refused:
                db.session.rollback()
                outcomes.append(type(refused).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(outcomes)


def test_two_reviewers_at_once_decide_once(app, item, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them itself)")
    request_id, item_id = ask(item).id, item.id
    db.session.commit()

    def approve_it() -> None:
        extensions.approve(db.session.get(ExtensionRequest, request_id), None, None, user("dushen"))

    assert run_twice_at_once(app, approve_it) == ["InvalidTransition", "done"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(DueDateChange.id)).where(DueDateChange.work_item_id == item_id)) == 1


def test_two_requests_at_once_leave_one_pending(app, item, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them itself)")
    item_id = item.id
    db.session.commit()

    def request_it() -> None:
        extensions.request_extension(db.session.get(WorkItem, item_id), date(2023, 10, 31), "并发申请", user("zhuce"))

    assert run_twice_at_once(app, request_it) == ["InvalidTransition", "done"]
    assert db.session.scalar(select(func.count(ExtensionRequest.id))) == 1
