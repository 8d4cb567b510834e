"""Notice channels beyond the web page and mail (SMS, group robots) and outbound webhooks: their settings
and their outboxes, each delivery recorded once (a unique key) and retried with backoff."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.notice import MailStatus, Notification
from app.models.org import Unit


class ChannelName(enum.StrEnum):
    """Where a notice can reach a person besides the 通知 page."""

    MAIL = "mail"
    SMS = "sms"
    ROBOT = "robot"

    @property
    def label(self) -> str:
        return {ChannelName.MAIL: "邮件", ChannelName.SMS: "短信", ChannelName.ROBOT: "群机器人"}[self]


class RobotKind(enum.StrEnum):
    """The group-robot webhook flavours: 企业微信 and 政务微信 share one protocol, 钉钉 signs its URL."""

    WECOM = "wecom"
    DINGTALK = "dingtalk"

    @property
    def label(self) -> str:
        return {RobotKind.WECOM: "企业微信/政务微信群机器人", RobotKind.DINGTALK: "钉钉群机器人"}[self]


class UnitRobot(Base):
    """A unit's group robot: where the unit's notices of the chosen kinds are posted (one per unit)."""

    __tablename__ = "unit_robot"

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[RobotKind] = mapped_column(enum_column(RobotKind, length=20))
    webhook_url: Mapped[str] = mapped_column(String(500))
    #: 钉钉's 加签 secret; 企业微信's key is part of the URL.
    secret: Mapped[str | None] = mapped_column(String(200))
    #: The notice kinds (topic or kind values) the robot posts.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)

    unit: Mapped[Unit] = relationship()


class NoticeChannelChoice(Base):
    """A person's choice whether notices of one kind also come through one channel (no row: the default)."""

    __tablename__ = "notice_channel_choice"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    #: A NoticeTopic value, or a NoticeKind value for the deadline notices that have no topic.
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[ChannelName] = mapped_column(enum_column(ChannelName, length=10), primary_key=True)
    chosen: Mapped[bool]


class ChannelDelivery(Base):
    """One notice through one channel to one recipient (a phone, a unit's robot): sent exactly once.

    ``notice_key`` is the notice's idempotency key, so a notice told to three people of one unit
    reaches the unit's robot once.
    """

    __tablename__ = "channel_delivery"
    __table_args__ = (UniqueConstraint("notice_key", "channel", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    notice_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[ChannelName] = mapped_column(enum_column(ChannelName, length=10))
    #: "user:<id>" (SMS) or "unit:<id>" (robot).
    recipient: Mapped[str] = mapped_column(String(40))
    #: The phone number (SMS) or empty (the robot's address is read when sending, so a new key applies).
    address: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str] = mapped_column(String(40))
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification] = relationship()


class WebhookEventKind(enum.StrEnum):
    """What an outbound webhook can be told of."""

    ITEM_CREATED = "item.created"
    STEP_COMPLETED = "step.completed"
    RETURNED = "step.returned"
    OVERDUE = "item.overdue"
    ESCALATED = "item.escalated"
    CLOSED = "task.closed"

    @property
    def label(self) -> str:
        return _EVENT_LABELS[self]


_EVENT_LABELS = {
    WebhookEventKind.ITEM_CREATED: "督办事项创建",
    WebhookEventKind.STEP_COMPLETED: "环节办理完成",
    WebhookEventKind.RETURNED: "退回",
    WebhookEventKind.OVERDUE: "逾期",
    WebhookEventKind.ESCALATED: "逾期升级",
    WebhookEventKind.CLOSED: "办结",
}


class WebhookSubscription(Base):
    """An address another system registered (through the administrator) for some event kinds."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookEvent(Base):
    """Something that happened, once: ``key`` is stable and is the receiver's idempotency key."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[WebhookEventKind] = mapped_column(enum_column(WebhookEventKind, length=30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class WebhookDelivery(Base):
    """One event to one subscription; retried with backoff, replayable by the administrator."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),
                      Index("ix_webhook_delivery_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    subscription: Mapped[WebhookSubscription] = relationship()
    event: Mapped[WebhookEvent] = relationship()


class ScanCursor(Base):
    """How far a job has read a table that has no marker of its own (events are derived, never on the hot path)."""

    __tablename__ = "scan_cursor"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
