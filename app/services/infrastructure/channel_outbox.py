"""SMS and group-robot deliveries of notices: chosen, queued once per (notice, channel, recipient), sent.

Nothing here runs when a notice is recorded: the scheduler's channel job reads the notices not yet
passed on (``fanned_out_at`` NULL, a partial index), queues their deliveries by each person's choices and
each unit's robot, and marks them passed on. The unique (notice key, channel, recipient) makes a notice
told to several people of a unit reach the unit's robot once, and a repeated job queue nothing new.
A notice waiting for the daily digest is not passed on: the digest notice itself is.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select, update

from app.errors import FieldRefused
from app.extensions import db
from app.models import (
    ChannelDelivery,
    ChannelName,
    MailStatus,
    NoticeChannelChoice,
    NoticeKind,
    NoticeTopic,
    Notification,
    RobotKind,
    Unit,
    UnitRobot,
    User,
)
from app.models.notice import FAN_OUT_WAITING
from app.services.infrastructure import channels, mail, outbox, webhooks
from app.services.infrastructure.audit import record
from app.services.infrastructure.channels import ChannelError, Message

#: Deadline notices have no topic: their kind is what a person chooses by.
DEADLINE_KINDS = (NoticeKind.REMINDER, NoticeKind.OVERDUE, NoticeKind.ESCALATION, NoticeKind.STAGNATION,
                  NoticeKind.DIGEST)
#: A mainland mobile number, optionally with +86.
PHONE_PATTERN = r"^(\+?86)?1[3-9]\d{9}$"
#: Notices read per fan-out batch.
_FAN_OUT_BATCH = 500


def categories() -> dict[str, str]:
    """Every kind of notice a person or a robot can choose, value → Chinese name."""
    return {**{kind.value: kind.label for kind in DEADLINE_KINDS}, **{t.value: t.label for t in NoticeTopic}}


def category_of(notice: Notification) -> str:
    return notice.topic or notice.kind.value


def _chosen_by_default(category: str) -> bool:
    """Like mail: what someone must act on comes unless turned off."""
    return NoticeTopic(category).mailed_by_default if category in set(NoticeTopic) else True


def sms_enabled() -> bool:
    return bool(current_app.config.get("SMS_GATEWAY_URL"))


def sms_categories() -> dict[str, str]:
    """The kinds a person may take by SMS: those the administrator gave a gateway template (SMS_TEMPLATES)."""
    if not sms_enabled():
        return {}
    templates = channels.sms_templates(current_app.config)
    return {value: label for value, label in categories().items() if value in templates}


def sms_choices(user: User) -> set[str]:
    """The kinds that come to ``user`` by SMS, within those allowed."""
    allowed = sms_categories()
    chosen = {category: value for category, value in db.session.execute(
        select(NoticeChannelChoice.category, NoticeChannelChoice.chosen).where(
            NoticeChannelChoice.user_id == user.id, NoticeChannelChoice.channel == ChannelName.SMS))}
    return {value for value in allowed if chosen.get(value, _chosen_by_default(value))}


def choose_sms(user: User, chosen: set[str]) -> None:
    """Record which of the allowed kinds come to ``user`` by SMS."""
    db.session.execute(delete(NoticeChannelChoice).where(NoticeChannelChoice.user_id == user.id,
                                                         NoticeChannelChoice.channel == ChannelName.SMS))
    db.session.add_all(NoticeChannelChoice(user_id=user.id, category=value, channel=ChannelName.SMS,
                                           chosen=value in chosen) for value in categories())
    db.session.flush()


def set_phone(user: User, phone: str | None, actor: User) -> None:
    """Record the user's mobile number for SMS (blank: none).

    :raises FieldRefused: not a mobile number.
    """
    phone = (phone or "").strip().replace(" ", "") or None
    if phone is not None and not re.match(PHONE_PATTERN, phone):
        raise FieldRefused("phone", "请填写11位手机号码。")
    if phone != user.phone:
        record(actor, "user", user.id, "phone_changed", before={"phone": user.phone}, after={"phone": phone})
        user.phone = phone
        db.session.flush()


def robot_of(unit: Unit) -> UnitRobot | None:
    return db.session.get(UnitRobot, unit.id)


@dataclass(frozen=True)
class RobotSettings:
    """What the unit form says about the unit's group robot."""

    kind: RobotKind
    webhook_url: str
    secret: str | None
    categories: tuple[str, ...]


def set_robot(unit: Unit, robot: RobotSettings | None, actor: User) -> None:
    """Set (or with None remove) the unit's group robot; the secret is kept when left blank on a change.

    :raises FieldRefused: not an http(s) address, or a 钉钉 robot without its 加签 secret.
    """
    existing = db.session.get(UnitRobot, unit.id)
    if robot is not None:
        parts = urlsplit(robot.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FieldRefused("robot_url", "请填写机器人的完整 Webhook 地址(以 https:// 开头)。")
        kept = existing.secret if existing is not None and existing.kind is robot.kind else None
        if robot.kind is RobotKind.DINGTALK and not (robot.secret or kept):
            raise FieldRefused("robot_secret", "钉钉群机器人须填写加签密钥。")
    before = {"kind": existing.kind.value, "url": existing.webhook_url} if existing else None
    if robot is None:
        if existing is not None:
            db.session.delete(existing)
            record(actor, "unit", unit.id, "robot_removed", before=before)
        db.session.flush()
        return
    if existing is None:
        existing = UnitRobot(unit_id=unit.id)
        db.session.add(existing)
    secret = robot.secret or (existing.secret if existing.kind is robot.kind else None)
    if robot.kind is RobotKind.WECOM:
        secret = None  # 企业微信/政务微信 carry their key in the URL
    existing.kind, existing.webhook_url, existing.secret = robot.kind, robot.webhook_url, secret
    existing.categories = list(robot.categories)
    record(actor, "unit", unit.id, "robot_set", before=before,
           after={"kind": robot.kind.value, "url": robot.webhook_url, "categories": list(robot.categories)})
    db.session.flush()


def fan_out(now: datetime, checkpoint: Callable[[], None] | None = None,
            also: Callable[[Sequence[Notification], datetime], None] | None = None) -> int:
    """Queue the SMS and robot deliveries of every notice not yet passed on; returns how many notices were read.

    ``also`` sees each batch too (the webhooks' events). Notices are locked (SKIP LOCKED) while read,
    so two jobs split the work; the unique key covers a repeat anyway.
    """
    record_step = checkpoint or db.session.flush
    total = 0
    while True:
        query = (select(Notification).where(FAN_OUT_WAITING).order_by(Notification.id).limit(_FAN_OUT_BATCH)
                 .with_for_update(skip_locked=True))
        batch = list(db.session.scalars(query))
        if not batch:
            return total
        _queue([notice for notice in batch if notice.digest_day is None], now)
        if also is not None:
            also(batch, now)
        db.session.execute(update(Notification).where(Notification.id.in_([n.id for n in batch]))
                           .values(fanned_out_at=now).execution_options(synchronize_session=False))
        record_step()
        total += len(batch)


def _queue(batch: Sequence[Notification], now: datetime) -> None:
    robots = {robot.unit_id: robot for robot in db.session.scalars(select(UnitRobot))}
    sms = channels.sms_templates(current_app.config) if sms_enabled() else {}
    if not batch or not (robots or sms):
        return
    user_ids = {notice.user_id for notice in batch}
    people = {row.id: row for row in db.session.execute(
        select(User.id, User.phone, User.unit_id).where(User.id.in_(user_ids)))}
    chosen = {(row.user_id, row.category): row.chosen for row in db.session.execute(
        select(NoticeChannelChoice.user_id, NoticeChannelChoice.category, NoticeChannelChoice.chosen)
        .where(NoticeChannelChoice.user_id.in_(user_ids), NoticeChannelChoice.channel == ChannelName.SMS))}
    rows: list[dict[str, Any]] = []
    for notice in batch:
        category, person = category_of(notice), people[notice.user_id]
        base = {"notification_id": notice.id, "notice_key": notice.key, "category": category,
                "status": MailStatus.PENDING, "attempts": 0, "next_attempt_at": now}
        if (category in sms and person.phone
                and chosen.get((person.id, category), _chosen_by_default(category))):
            rows.append({**base, "channel": ChannelName.SMS, "recipient": f"user:{person.id}",
                         "address": person.phone})
        robot = robots.get(person.unit_id) if person.unit_id is not None else None
        if robot is not None and category in robot.categories:
            rows.append({**base, "channel": ChannelName.ROBOT, "recipient": f"unit:{robot.unit_id}", "address": ""})
    outbox.insert_new(ChannelDelivery, rows, ("notice_key", "channel", "recipient"))


def deliver_pending(now: datetime, checkpoint: Callable[[], None] | None = None) -> outbox.Tally:
    """Send the due SMS and robot posts (outbox.run); the SMS gateway, or each unit's robot, is one destination."""
    return outbox.run(ChannelDelivery, now, _send,
                      lambda row: row.recipient if row.channel is ChannelName.ROBOT else "sms", checkpoint)


def _send(row: ChannelDelivery) -> None:
    channel, message = _prepared(row)
    channel.send(message)


def _prepared(row: ChannelDelivery) -> tuple[channels.Channel, Message]:
    config = current_app.config
    notice = row.notification
    url = mail.absolute_url(config["PUBLIC_URL"], notice.link)
    if row.channel is ChannelName.SMS:
        if not sms_enabled():
            raise ChannelError("SMS_GATEWAY_URL is not set")
        return channels.SmsChannel(config), Message(row.address, row.category, notice.title, notice.body, url,
                                                    notice.late)
    robot = db.session.get(UnitRobot, int(row.recipient.removeprefix("unit:")))
    if robot is None:
        raise ChannelError("the unit has no robot any more")
    channel = channels.RobotChannel(robot.kind, robot.webhook_url, robot.secret, config["CHANNEL_TIMEOUT_SECONDS"])
    return channel, Message("", row.category, notice.title, notice.body, url, notice.late)


def deliver_round(now: datetime, checkpoint: Callable[[], None] | None = None) -> dict[str, int]:
    """The channel job's round: pass new notices on (SMS, robots, webhook events), collect the other events,
    then send what is due in both outboxes. ``checkpoint`` (the job's commit) runs after every bounded step."""
    record_step = checkpoint or db.session.flush
    read = fan_out(now, record_step, also=webhooks.from_notices)
    webhooks.collect(now)
    record_step()
    sent = deliver_pending(now, record_step)
    posted = webhooks.deliver_pending(now, record_step)
    return {"notices_read": read, "sent": sent.sent, "retried": sent.retried, "failed": sent.failed,
            "webhooks_sent": posted.sent, "webhooks_retried": posted.retried, "webhooks_failed": posted.failed}
