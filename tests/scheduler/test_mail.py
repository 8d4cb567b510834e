"""E-mail through the outbox: real SMTP to a local aiosmtpd server, retries with backoff, exactly once."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.extensions import db
from app.models import MailStatus, Notification, OutboxMail, User
from app.models.base import utcnow
from app.services.infrastructure import notices
from scheduler import jobs

TITLE = "逾期提醒:2023年工作要点第7项"
BODY = "“推进经营主体登记便利化”的分解方案已逾期 2 个工作日,请尽快报送。"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port(app, monkeypatch) -> int:
    """A port nothing listens on yet, configured as the SMTP server."""
    number = _free_port()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": number, "PUBLIC_URL": "https://duban.example.gov.cn",
                       "MAIL_FROM": "督办系统 <duban@example.gov.cn>", "SMTP_TIMEOUT_SECONDS": 5}.items():
        monkeypatch.setitem(app.config, key, value)
    return number


@pytest.fixture
def smtp_server(port) -> Iterator[Inbox]:
    """A local SMTP server on ``port``."""
    yield from _serve(port)


def _serve(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def notice(demo, port) -> Notification:
    """An overdue notice to zhuce, with its mail queued, committed."""
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    zhuce.email = "zhuce@example.gov.cn"
    created = notices.notify(zhuce, "overdue", "work_item:7:overdue:1:v1", TITLE, BODY, "/work/items/7")
    db.session.commit()
    return created


def _outbox() -> OutboxMail:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMail))


def test_the_job_delivers_chinese_mail_once(notice, smtp_server):
    jobs.deliver_mail()
    jobs.deliver_mail()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == f"【督办】{TITLE}"
    assert message["To"] == "zhuce@example.gov.cn"
    text = message.get_content()
    assert BODY in text and "https://duban.example.gov.cn/work/items/7" in text and "您好" in text
    assert _outbox().status is MailStatus.SENT and _outbox().attempts == 1


def test_server_down_backs_off_then_delivers_exactly_once(notice, port):
    start = utcnow()
    assert notices.deliver_pending(start, checkpoint=db.session.commit).retried == 1
    assert _outbox().attempts == 1 and _outbox().next_attempt_at == start + timedelta(minutes=1)
    assert "ConnectionRefused" in _outbox().last_error
    assert notices.deliver_pending(start + timedelta(seconds=30)).retried == 0  # not due yet
    notices.deliver_pending(start + timedelta(minutes=1), checkpoint=db.session.commit)
    assert _outbox().attempts == 2 and _outbox().next_attempt_at == start + timedelta(minutes=3)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    for inbox in _serve(port):
        later = start + timedelta(minutes=3)
        assert notices.deliver_pending(later, checkpoint=db.session.commit).sent == 1
        assert notices.deliver_pending(later + timedelta(minutes=5), checkpoint=db.session.commit).sent == 0
        assert len(inbox.messages) == 1 and inbox.messages[0]["Subject"] == f"【督办】{TITLE}"
    assert _outbox().status is MailStatus.SENT and _outbox().last_error is None


def test_gives_up_after_the_configured_attempts_and_keeps_the_notice(notice, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    now = utcnow()
    notices.deliver_pending(now, checkpoint=db.session.commit)
    result = notices.deliver_pending(now + timedelta(minutes=1), checkpoint=db.session.commit)
    assert result.failed == 1 and _outbox().status is MailStatus.FAILED
    assert notices.deliver_pending(now + timedelta(days=1)).failed == 0
    assert db.session.get(Notification, notice.id).read_at is None


def test_without_a_server_configured_nothing_is_sent(notice, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    assert notices.deliver_pending(utcnow()) == notices.DeliveryResult()
    assert _outbox().status is MailStatus.PENDING


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (12, 60)])
def test_backoff_doubles_up_to_the_cap(attempts, minutes):
    assert notices.backoff(attempts, 60) == timedelta(minutes=minutes)


class CountingInbox(Inbox):
    """An inbox that also counts the SMTP sessions (one EHLO each)."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0

    async def handle_EHLO(  # type: ignore[no-untyped-def]
            self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses


def test_two_senders_deliver_every_mail_exactly_once_a_connection_per_batch(app, demo, port, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 25)
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    zhuce.email = "zhuce@example.gov.cn"
    for n in range(150):
        notices.notify(zhuce, "overdue", f"work_item:{n}:overdue:1:v1", f"{TITLE}之{n}", BODY, "/work/items/7")
    db.session.commit()
    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    results: list[notices.DeliveryResult] = []

    def sender() -> None:
        with app.app_context():
            results.append(notices.deliver_pending(utcnow(), checkpoint=db.session.commit))
            db.session.remove()

    try:
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        controller.stop()
    subjects = [message["Subject"] for message in inbox.messages]
    assert len(subjects) == len(set(subjects)) == 150 == sum(result.sent for result in results)
    assert inbox.sessions <= 150 // 25 + 2                                     # reused: one per batch
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMail)).all()
    assert {(row.status, row.attempts) for row in rows} == {(MailStatus.SENT, 1)}
