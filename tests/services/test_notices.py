"""notices: one notice per (key, user) whatever happens, in the caller's transaction."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied
from app.extensions import db
from app.models import NoticeKind, Notification, OutboxMail, User
from app.services.infrastructure import notices

KEY = "work_item:12:reminder:1:v1"


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _notify(user: User, key: str = KEY) -> Notification | None:
    return notices.notify(user, "reminder", key, "临期提醒:请按时报送进展", "距截止还有 3 个工作日。", "/work/items/12")


def _count(model: type = Notification) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_twice_in_one_transaction_gives_one_notice_and_the_transaction_goes_on(demo):
    zhuce = _user("zhuce")
    first = _notify(zhuce)
    assert first is not None and first.kind is NoticeKind.REMINDER
    assert _notify(zhuce) is None
    assert _notify(zhuce, key="work_item:13:reminder:1:v1") is not None
    db.session.commit()
    assert _count() == 2


def test_twice_in_two_transactions_gives_one_notice(demo):
    _notify(_user("zhuce"))
    db.session.commit()
    assert _notify(_user("zhuce")) is None
    db.session.commit()
    assert _count() == 1


def test_the_same_key_reaches_each_user_once(demo):
    assert _notify(_user("zhuce")) is not None
    assert _notify(_user("kexin")) is not None
    db.session.commit()
    assert _count() == 2


@pytest.mark.parametrize("read_first", [False, True])
def test_a_rolled_back_transaction_leaves_no_notice(demo, read_first):
    # On SQLite the notice's SAVEPOINT must not be the outermost transaction, or its RELEASE commits.
    if read_first:
        _user("zhuce")
    _notify(_user("zhuce"))
    db.session.rollback()
    assert _count() == 0


def test_a_link_outside_duban_is_refused(demo):
    with pytest.raises(ValueError):
        notices.notify(_user("zhuce"), "info", "k", "标题", "正文", "https://example.com/")


def test_mail_is_queued_only_for_an_address_and_a_configured_server(demo, app, monkeypatch):
    zhuce, kexin = _user("zhuce"), _user("kexin")
    zhuce.email = "zhuce@example.gov.cn"
    _notify(zhuce, key="no-server")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://duban.example.gov.cn/")
    notice = _notify(zhuce, key="with-server")
    _notify(kexin, key="no-address")
    db.session.commit()
    outbox = db.session.scalars(select(OutboxMail)).all()
    assert [m.notification_id for m in outbox] == [notice.id]
    assert outbox[0].subject == "【督办】临期提醒:请按时报送进展"
    assert "https://duban.example.gov.cn/work/items/12" in outbox[0].body


def test_unread_count_recent_and_mark_read(demo):
    zhuce = _user("zhuce")
    first, second = _notify(zhuce, key="a"), _notify(zhuce, key="b")
    _notify(_user("kexin"), key="a")
    assert notices.unread_count(zhuce) == 2
    assert [n.id for n in notices.recent(zhuce, 10)] == [second.id, first.id]
    notices.mark_read(first, zhuce)
    assert notices.unread_count(zhuce) == 1
    assert notices.mark_all_read(zhuce) == 1
    assert notices.unread_count(zhuce) == 0
    assert notices.unread_count(_user("kexin")) == 1


def test_a_user_cannot_mark_another_users_notice(demo):
    notice = _notify(_user("zhuce"))
    with pytest.raises(PermissionDenied):
        notices.mark_read(notice, _user("kexin"))
    assert notice.read_at is None


def test_two_processes_at_once_give_one_notice(demo, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent inserts need PostgreSQL (SQLite serialises writers)")
    user_id = _user("zhuce").id
    db.session.commit()
    barrier, results, errors = threading.Barrier(2), [], []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                notice = _notify(db.session.get(User, user_id))
                time.sleep(0.3)  # hold the row so the other insert waits on the unique index
                db.session.commit()
                results.append(notice is not None)
            except Exception as error:  # reported below, so a thread's failure fails the test
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [False, True]
    assert _count() == 1
