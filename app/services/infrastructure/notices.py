"""In-app notices (站内通知) and their e-mails: insert once, deliver through the outbox after the commit.

Idempotency comes from the database: (key, user) is unique, so a replayed job, a
restarted scheduler or a second process inserting the same notice gets a unique
violation inside a SAVEPOINT and sends nothing.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Row, delete, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.errors import PermissionDenied
from app.extensions import db
from app.models import MailStatus, NoticeKind, NoticeMailChoice, NoticeTopic, Notification, OutboxMail, User
from app.models.base import utcnow
from app.services.infrastructure import mail


def notify(user: User, kind: NoticeKind | str, key: str, title: str, body: str, link: str,
           late: bool = False, digest_day: date | None = None,
           topic: NoticeTopic | None = None) -> Notification | None:
    """Record a notice for ``user`` (and queue its e-mail); None when (key, user) was already notified.

    With ``digest_day`` the e-mail waits for that day's digest (app/services/timing/digests.py) instead.
    With ``topic`` the e-mail goes only when the user takes that topic by mail (``mails_topic``).

    :raises ValueError: ``link`` is not a path inside Duban.
    """
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"notice link must be a path inside Duban: {link!r}")
    by_mail = topic is None or mails_topic(user, topic)
    notice = Notification(user_id=user.id, kind=NoticeKind(kind), key=key, title=title, body=body, link=link,
                          late=late, digest_day=digest_day if by_mail else None,
                          topic=topic.value if topic is not None else None)
    begin_transaction()
    try:
        with db.session.begin_nested():
            db.session.add(notice)
            db.session.flush()
            if digest_day is None and by_mail:
                queue_mail(notice, user)
    except IntegrityError:
        if not _already_notified(user, key):
            raise
        return None
    return notice


def mail_choices(user: User) -> dict[NoticeTopic, bool]:
    """Whether each topic comes to ``user`` by mail: their choice, else the topic's default."""
    chosen = {topic: by_mail for topic, by_mail in db.session.execute(
        select(NoticeMailChoice.topic, NoticeMailChoice.by_mail).where(NoticeMailChoice.user_id == user.id))}
    return {topic: chosen.get(topic, topic.mailed_by_default) for topic in NoticeTopic}


def mails_topic(user: User, topic: NoticeTopic) -> bool:
    """True when notices of ``topic`` also come to ``user`` by mail."""
    chosen = db.session.scalar(select(NoticeMailChoice.by_mail).where(NoticeMailChoice.user_id == user.id,
                                                                       NoticeMailChoice.topic == topic))
    return topic.mailed_by_default if chosen is None else chosen


def choose_mail(user: User, by_mail: set[NoticeTopic]) -> None:
    """Record which topics come to ``user`` by mail (every other topic stays in-app only)."""
    db.session.execute(delete(NoticeMailChoice).where(NoticeMailChoice.user_id == user.id))
    db.session.add_all(NoticeMailChoice(user_id=user.id, topic=topic, by_mail=topic in by_mail)
                       for topic in NoticeTopic)
    db.session.flush()


@dataclass(frozen=True)
class NoticeDraft:
    """One notice to record in bulk with ``notify_many``."""

    user: User
    kind: NoticeKind
    key: str
    title: str
    body: str
    link: str
    late: bool = False
    digest_day: date | None = None


#: Rows per batched INSERT.
_CHUNK = 5000


def notify_many(drafts: Sequence[NoticeDraft]) -> list[NoticeDraft]:
    """Record many notices at once (and queue their e-mails); returns those that were new.

    ``INSERT … ON CONFLICT DO NOTHING`` on (key, user): a notice recorded before, by this
    or a concurrent sweep, is skipped by the database itself. Rows go in key order so two
    concurrent sweeps wait on each other instead of deadlocking.
    """
    ordered = sorted(drafts, key=lambda d: (d.key, d.user.id))
    by_pair = {(d.key, d.user.id): d for d in ordered}
    created: list[NoticeDraft] = []
    for start in range(0, len(ordered), _CHUNK):
        for notice_id, key, user_id in _insert_new([_row(d) for d in ordered[start:start + _CHUNK]]):
            draft = by_pair[(key, user_id)]
            created.append(draft)
            if draft.digest_day is None:
                _queue_mail_for(notice_id, draft)
    db.session.flush()
    return created


_COLUMNS = ("user_id", "kind", "key", "title", "body", "link", "late", "digest_day", "created_at")
#: PostgreSQL takes the batch as one array per column: a short statement, however many rows.
_UNNEST = text(
    "INSERT INTO notification (user_id, kind, key, title, body, link, late, digest_day, created_at) "
    "SELECT * FROM unnest(CAST(:user_id AS integer[]), CAST(:kind AS varchar[]), CAST(:key AS varchar[]), "
    "CAST(:title AS varchar[]), CAST(:body AS text[]), CAST(:link AS varchar[]), CAST(:late AS boolean[]), "
    "CAST(:digest_day AS date[]), CAST(:created_at AS timestamptz[])) "
    "ON CONFLICT (key, user_id) DO NOTHING RETURNING id, key, user_id"
)


def _insert_new(rows: list[dict[str, Any]]) -> list[Row[*tuple[Any, ...]]]:
    """INSERT … ON CONFLICT (key, user_id) DO NOTHING RETURNING (id, key, user_id) of the rows that were new."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        columns = {name: [row[name] for row in rows] for name in _COLUMNS}
        columns["kind"] = [kind.value for kind in columns["kind"]]
        return list(connection.execute(_UNNEST, columns))
    statement = (sqlite_insert(Notification).on_conflict_do_nothing(index_elements=["key", "user_id"])
                 .returning(Notification.id, Notification.key, Notification.user_id))
    return list(connection.execute(statement, rows))


def _row(draft: NoticeDraft) -> dict[str, Any]:
    return {"user_id": draft.user.id, "kind": draft.kind, "key": draft.key, "title": draft.title, "body": draft.body,
            "link": draft.link, "late": draft.late, "digest_day": draft.digest_day, "created_at": utcnow()}


def _queue_mail_for(notice_id: int, draft: NoticeDraft) -> None:
    config = current_app.config
    if not (draft.user.email and config.get("SMTP_HOST")):
        return
    url = mail.absolute_url(config["PUBLIC_URL"], draft.link)
    subject, text = mail.compose(draft.user.display_name, draft.title, draft.body, url, draft.late)
    db.session.add(OutboxMail(notification_id=notice_id, to_address=draft.user.email, subject=subject, body=text,
                              next_attempt_at=utcnow()))


def begin_transaction() -> None:
    """Open the real transaction before a SAVEPOINT on SQLite.

    pysqlite emits BEGIN only before INSERT/UPDATE/DELETE; a SAVEPOINT issued first
    would itself start the transaction, and its RELEASE would then commit the
    notice on its own, outside the caller's transaction.
    """
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _already_notified(user: User, key: str) -> bool:
    query = select(Notification.id).where(Notification.user_id == user.id, Notification.key == key)
    return db.session.scalar(query) is not None


def queue_mail(notice: Notification, user: User) -> None:
    """Add the notice's e-mail to the outbox when the user has an address and mail is configured."""
    config = current_app.config
    if not (user.email and config.get("SMTP_HOST")):
        return
    url = mail.absolute_url(config["PUBLIC_URL"], notice.link)
    subject, text = mail.compose(user.display_name, notice.title, notice.body, url, notice.late)
    db.session.add(OutboxMail(notification_id=notice.id, to_address=user.email, subject=subject, body=text,
                              next_attempt_at=utcnow()))
    db.session.flush()


def unread_count(user: User) -> int:
    """How many of the user's notices are unread (the bell's number)."""
    query = select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                      Notification.read_at.is_(None))
    return db.session.scalar(query) or 0


def recent(user: User, limit: int = 100) -> list[Notification]:
    """The user's latest notices, newest first."""
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def mark_read(notification: Notification, user: User) -> None:
    """Mark one of the user's own notices read.

    :raises PermissionDenied: the notice belongs to someone else.
    """
    if notification.user_id != user.id:
        raise PermissionDenied("只能处理发给自己的通知。")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notice of the user read; returns how many changed."""
    statement = (update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                 .values(read_at=utcnow()).execution_options(synchronize_session="fetch"))
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount  # DML: the session types it loosely


@dataclass
class DeliveryResult:
    """What one sweep of the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


#: A claimed mail is left alone by other senders this long; a sender killed mid-batch frees it then.
CLAIM_LEASE = timedelta(minutes=10)
#: One run of the job stops claiming new batches after this long (it runs every minute).
RUN_SECONDS = 50.0


def deliver_pending(now: datetime, send: mail.Sender | None = None,
                    checkpoint: Callable[[], None] | None = None) -> DeliveryResult:
    """Send the outbox mails due at ``now``, a batch per SMTP connection; failures back off and never raise.

    Each batch of ``MAIL_BATCH_SIZE`` is claimed first (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL) by moving its rows' next attempt past a lease, and ``checkpoint`` records the
    claim; then each mail is sent and its outcome recorded before the next (``checkpoint``
    again: the scheduler job passes the commit, so a mail goes out once). By default
    ``checkpoint`` only flushes. Batches follow until none is due or the run's time is up.
    """
    result = DeliveryResult()
    config = current_app.config
    if send is None and not config.get("SMTP_HOST"):
        return result
    record = checkpoint or db.session.flush
    began = time.monotonic()
    while time.monotonic() - began < RUN_SECONDS:
        lease = now + CLAIM_LEASE + timedelta(microseconds=secrets.randbelow(10**6))
        claimed = _claim(now, lease, config["MAIL_BATCH_SIZE"])
        if not claimed:
            break
        record()
        with _session(send, config) as deliver:
            if not _deliver_batch(claimed, now, lease, deliver, result, record):
                break
    return result


@contextmanager
def _session(send: mail.Sender | None, config: Mapping[str, Any]) -> Iterator[mail.Sender]:
    if send is not None:
        yield send
        return
    with mail.SmtpSession(config) as session:
        yield session


def _claim(now: datetime, lease: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due mails for this sender: their next attempt moves to ``lease``."""
    due = (select(OutboxMail.id)
           .where(OutboxMail.status == MailStatus.PENDING, OutboxMail.next_attempt_at <= now)
           .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)
           .with_for_update(skip_locked=True))
    statement = (update(OutboxMail).where(OutboxMail.id.in_(due.scalar_subquery()))
                 .values(next_attempt_at=lease).returning(OutboxMail.id)
                 .execution_options(synchronize_session=False))
    return sorted(db.session.scalars(statement))


def _deliver_batch(claimed: list[int], now: datetime, lease: datetime, send: mail.Sender,
                   result: DeliveryResult, record: Callable[[], None]) -> bool:
    """Send the claimed mails in order; False when the server could not be reached (the rest are freed)."""
    for position, mail_id in enumerate(claimed):
        error = _deliver_one(mail_id, now, lease, send, result)
        record()
        if error is not None and mail.is_connection_error(error):
            _release(claimed[position + 1:], now)
            record()
            return False
    return True


def _release(mail_ids: list[int], now: datetime) -> None:
    """Give claimed, unsent mails back: due again at ``now``."""
    if mail_ids:
        statement = update(OutboxMail).where(OutboxMail.id.in_(mail_ids),
                                             OutboxMail.status == MailStatus.PENDING)
        db.session.execute(statement.values(next_attempt_at=now).execution_options(synchronize_session=False))


def _deliver_one(mail_id: int, now: datetime, lease: datetime, send: mail.Sender,
                 result: DeliveryResult) -> Exception | None:
    """Send one claimed mail unless it was taken over since (lease expired); record the outcome."""
    query = select(OutboxMail).where(OutboxMail.id == mail_id).with_for_update(skip_locked=True)
    row = db.session.scalar(query.execution_options(populate_existing=True))
    if row is None or row.status is not MailStatus.PENDING or row.next_attempt_at != lease:
        return None
    try:
        send(row.to_address, row.subject, row.body)
    except mail.MAIL_ERRORS as error:
        _record_failure(row, now, error, result)
        db.session.flush()
        return error
    row.status, row.sent_at, row.attempts, row.last_error = MailStatus.SENT, now, row.attempts + 1, None
    row.next_attempt_at = now
    result.sent += 1
    db.session.flush()
    return None


def _record_failure(row: OutboxMail, now: datetime, error: Exception, result: DeliveryResult) -> None:
    """Count the attempt; retry later with a doubling wait, or give up after the configured tries."""
    config = current_app.config
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts >= config["MAIL_MAX_ATTEMPTS"]:
        row.status = MailStatus.FAILED
        result.failed += 1
        current_app.logger.error("mail %s to %s failed for good: %s", row.id, row.to_address, row.last_error)
        return
    row.next_attempt_at = now + backoff(row.attempts, config["MAIL_BACKOFF_CAP_MINUTES"])
    result.retried += 1
    current_app.logger.warning("mail %s to %s failed (attempt %s): %s", row.id, row.to_address, row.attempts,
                               row.last_error)


def backoff(attempts: int, cap_minutes: int) -> timedelta:
    """The wait after ``attempts`` failures: 1, 2, 4, 8 … minutes, at most ``cap_minutes``."""
    return timedelta(minutes=min(2 ** (attempts - 1), cap_minutes))
