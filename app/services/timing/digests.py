"""每日汇总: one e-mail per person per day carrying that day's deadline notices, for plans that ask for it.

The in-app notices are recorded one per item as always (their keys unchanged); only
their e-mails wait, marked with ``digest_day``. At the digest hour (config
``DIGEST_HOUR``, Beijing time) each person with waiting notices gets one DIGEST notice
keyed ``digest:<user id>:<day>`` — unique like every notice, so a repeated tick or a
second scheduler sends it once — and its one e-mail. A notice recorded after that
day's digest went out waits for the next day's. Carried notices get ``digested_at``, so
a tick reads only the ones still waiting.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import NoticeKind, Notification, User
from app.models.notice import DIGEST_WAITING
from app.services.infrastructure import notices
from app.services.timing.workdays import BEIJING

#: A digest missed for longer than this (scheduler down for weeks) is not sent any more.
CATCH_UP_DAYS = 14


def digest_day_for(now: datetime) -> date:
    """The day whose digest carries a notice recorded at ``now``: today before the digest hour, else tomorrow."""
    local = now.astimezone(BEIJING)
    return local.date() if local.hour < current_app.config["DIGEST_HOUR"] else local.date() + timedelta(days=1)


def send_due(now: datetime, checkpoint: Callable[[], None] | None = None) -> list[Notification]:
    """Send each person's digest for every day whose digest hour has passed; once each.

    Only the notices still waiting (``DIGEST_WAITING``, indexed) are read, a person at a
    time; each digest marks its notices digested, and ``checkpoint`` (default: flush) runs
    after each batch of people.
    """
    local = now.astimezone(BEIJING)
    last = local.date() if local.hour >= current_app.config["DIGEST_HOUR"] else local.date() - timedelta(days=1)
    pairs = db.session.execute(
        select(Notification.user_id, Notification.digest_day)
        .where(DIGEST_WAITING, Notification.digest_day <= last)
        .group_by(Notification.user_id, Notification.digest_day)
        .order_by(Notification.user_id, Notification.digest_day)
    ).all()
    sent = []
    for start in range(0, len(pairs), _PEOPLE_PER_BATCH):
        for user_id, day in pairs[start:start + _PEOPLE_PER_BATCH]:
            if day is None:  # excluded in SQL; narrows the type
                continue
            digest = _send_waiting(user_id, day, local.date(), now)
            sent += [digest] if digest else []
        (checkpoint or db.session.flush)()
    return sent


#: Notices a digest spells out; the rest are counted.
_LISTED = 200
#: (person, day) digests per batch.
_PEOPLE_PER_BATCH = 200


def _send_waiting(user_id: int, day: date, today: date, now: datetime) -> Notification | None:
    """One person's digest of one day (unless too old or sent before); its notices stop waiting either way."""
    mine = (DIGEST_WAITING, Notification.user_id == user_id, Notification.digest_day == day)
    digest = None
    if day >= today - timedelta(days=CATCH_UP_DAYS):
        listed = db.session.execute(select(Notification.title, Notification.body).where(*mine)
                                    .order_by(Notification.id).limit(_LISTED)).all()
        total = db.session.scalar(select(func.count(Notification.id)).where(*mine)) or 0
        user = db.session.get_one(User, user_id)
        digest = _send(user, day, [(t, b) for t, b in listed], total, late=today > day)
    db.session.execute(update(Notification).where(*mine)
                       .values(digested_at=now).execution_options(synchronize_session=False))
    return digest


def digest_key(user_id: int, day: date) -> str:
    """The idempotency key of one person's digest of one day."""
    return f"digest:{user_id}:{day.isoformat()}"


def _send(user: User, day: date, items: list[tuple[str, str]], total: int, late: bool) -> Notification | None:
    """One digest notice (and its e-mail) listing ``items`` of ``total``; None if sent before."""
    lines = [f"{n}. {title}:{body}" for n, (title, body) in enumerate(items, 1)]
    if total > len(items):
        lines.append(f"……另有 {total - len(items)} 条,请在“通知”页面查看。")
    title = f"每日汇总:{day:%Y年%m月%d日}共 {total} 条督办提醒"
    return notices.notify(user, NoticeKind.DIGEST, digest_key(user.id, day), title,
                          "\n".join(lines), "/notifications", late=late)
