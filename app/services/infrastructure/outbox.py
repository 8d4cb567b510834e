"""What the SMS/robot outbox and the webhook outbox share: claiming due rows in batches, taking one
row under its lease, recording failures with a doubling wait, and inserts that skip rows already there.

A batch is claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer) by moving its rows'
next attempt past a lease; the caller commits, sends one row at a time and commits each outcome, so a
second sender never takes a row this one holds and a row sent is not sent again.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import MailStatus
from app.services.infrastructure.channels import ChannelError
from app.services.infrastructure.notices import CLAIM_LEASE, RUN_SECONDS, backoff


class OutboxRow(Protocol):
    """The columns every outbox row has (ChannelDelivery, WebhookDelivery)."""

    id: int
    status: MailStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


@dataclass
class Tally:
    """What one run of an outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def run(model: type[Any], now: datetime, send: Callable[[Any], None], destination: Callable[[Any], object],
        checkpoint: Callable[[], None] | None = None) -> Tally:
    """Send the due rows of ``model``, a claimed batch at a time; failures back off and never raise.

    ``checkpoint`` (the job passes the commit; default flush) records the claim and then each outcome.
    Like the mail outbox, a run stops claiming after RUN_SECONDS (the job runs every minute).
    A destination found unreachable (gateway, robot or receiver down) is not tried again in this run:
    its other rows wait a minute without counting an attempt.
    """
    tally = Tally()
    record_step = checkpoint or db.session.flush
    unreachable: set[object] = set()
    began = time.monotonic()
    while time.monotonic() - began < RUN_SECONDS:
        lease = lease_after(now)
        claimed = claim(model, now, lease, current_app.config["CHANNEL_BATCH_SIZE"])
        if not claimed:
            return tally
        record_step()
        for row_id in claimed:
            row = take(model, row_id, lease)
            if row is not None:
                _attempt(row, now, send, destination(row), unreachable, tally)
            record_step()
    return tally


def _attempt(row: Any, now: datetime, send: Callable[[Any], None], destination: object, unreachable: set[object],
             tally: Tally) -> None:
    if destination in unreachable:
        defer(row, now)
        return
    try:
        send(row)
    except ChannelError as error:
        if error.unreachable:
            unreachable.add(destination)
        gave_up = failed(row, now, str(error))
        tally.failed += gave_up
        tally.retried += not gave_up
        current_app.logger.warning("%s %s to %s failed (attempt %s): %s", type(row).__name__, row.id, destination,
                                   row.attempts, error)
        return
    sent(row, now)
    tally.sent += 1


def lease_after(now: datetime) -> datetime:
    """A lease time of this sender's own (the microseconds tell two senders' claims apart)."""
    return now + CLAIM_LEASE + timedelta(microseconds=secrets.randbelow(10**6))


def claim(model: type[Any], now: datetime, lease: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due rows of ``model``: their next attempt moves to ``lease``."""
    due = (select(model.id).where(model.status == MailStatus.PENDING, model.next_attempt_at <= now)
           .order_by(model.next_attempt_at, model.id).limit(limit).with_for_update(skip_locked=True))
    statement = (update(model).where(model.id.in_(due.scalar_subquery())).values(next_attempt_at=lease)
                 .returning(model.id).execution_options(synchronize_session=False))
    return sorted(db.session.scalars(statement))


def take(model: type[Any], row_id: int, lease: datetime) -> Any:
    """The claimed row, locked, unless another sender took it over since (its lease ran out) or it is done."""
    query = select(model).where(model.id == row_id).with_for_update(skip_locked=True)
    row = db.session.scalar(query.execution_options(populate_existing=True))
    if row is None or row.status is not MailStatus.PENDING or row.next_attempt_at != lease:
        return None
    return row


def sent(row: OutboxRow, now: datetime) -> None:
    row.status, row.sent_at, row.attempts, row.last_error, row.next_attempt_at = (
        MailStatus.SENT, now, row.attempts + 1, None, now)
    db.session.flush()


def failed(row: OutboxRow, now: datetime, error: str) -> bool:
    """Count the attempt; retry later with a doubling wait; True when it gave up after the configured tries."""
    config = current_app.config
    row.attempts += 1
    row.last_error = error[:2000]
    gave_up = row.attempts >= config["CHANNEL_MAX_ATTEMPTS"]
    if gave_up:
        row.status = MailStatus.FAILED
    else:
        row.next_attempt_at = now + backoff(row.attempts, config["MAIL_BACKOFF_CAP_MINUTES"])
    db.session.flush()
    return gave_up


def defer(row: OutboxRow, now: datetime) -> None:
    """Leave a row for later without counting an attempt (its destination was just found unreachable)."""
    row.next_attempt_at = now + backoff(1, 1)
    db.session.flush()


def insert_new(model: type[Any], rows: Sequence[dict[str, Any]], unique: Sequence[str],
               returning: Sequence[Any] = ()) -> list[Any]:
    """INSERT … ON CONFLICT (``unique``) DO NOTHING; the ``returning`` columns of the rows that were new."""
    if not rows:
        return []
    connection = db.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement: Any = insert(model).on_conflict_do_nothing(index_elements=list(unique))
    if returning:
        # One statement per row: executemany with RETURNING is not portable to every driver version.
        return [found for row in rows for found in connection.execute(statement.returning(*returning), row)]
    connection.execute(statement, list(rows))
    return []
