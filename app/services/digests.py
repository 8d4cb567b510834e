"""每日汇总: one e-mail per person per day carrying that day's deadline notices, for plans that ask for it.

The in-app notices are recorded one per item as always (their keys unchanged); only
their e-mails wait, marked with ``digest_day``. At the digest hour (config
``DIGEST_HOUR``, Beijing time) each person with waiting notices gets one DIGEST notice
keyed ``digest:<user id>:<day>`` — unique like every notice, so a repeated tick or a
second scheduler sends it once — and its one e-mail. A notice recorded after that
day's digest went out waits for the next day's.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import NoticeKind, Notification, User
from app.services import notices
from app.services.workdays import BEIJING

#: A digest missed for longer than this (scheduler down for weeks) is not sent any more.
CATCH_UP_DAYS = 14


def digest_day_for(now: datetime) -> date:
    """The day whose digest carries a notice recorded at ``now``: today before the digest hour, else tomorrow."""
    local = now.astimezone(BEIJING)
    return local.date() if local.hour < current_app.config["DIGEST_HOUR"] else local.date() + timedelta(days=1)


def send_due(now: datetime) -> list[Notification]:
    """Send each person's digest for every day whose digest hour has passed; once each."""
    local = now.astimezone(BEIJING)
    last = local.date() if local.hour >= current_app.config["DIGEST_HOUR"] else local.date() - timedelta(days=1)
    pairs = db.session.execute(
        select(Notification.user_id, Notification.digest_day)
        .where(Notification.digest_day.between(last - timedelta(days=CATCH_UP_DAYS), last))
        .group_by(Notification.user_id, Notification.digest_day)
    ).all()
    keys = {digest_key(user_id, day): (user_id, day) for user_id, day in pairs}
    done = set(db.session.scalars(select(Notification.key).where(Notification.key.in_(keys)))) if keys else set()
    sent = []
    for key in sorted(set(keys) - done):
        user_id, day = keys[key]
        items = db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.digest_day == day).order_by(Notification.id)).all()
        digest = _send(db.session.get(User, user_id), day, list(items), late=local.date() > day)
        sent += [digest] if digest else []
    return sent


def digest_key(user_id: int, day: date) -> str:
    """The idempotency key of one person's digest of one day."""
    return f"digest:{user_id}:{day.isoformat()}"


def _send(user: User, day: date, items: list[Notification], late: bool) -> Notification | None:
    """One digest notice (and its e-mail) listing ``items``; None when it went out before."""
    lines = [f"{n + 1}. {item.title}:{item.body}" for n, item in enumerate(items)]
    title = f"每日汇总:{day:%Y年%m月%d日}共 {len(items)} 条督办提醒"
    return notices.notify(user, NoticeKind.DIGEST, digest_key(user.id, day), title,
                          "\n".join(lines), "/notifications", late=late)
