"""In-app notices and the e-mail outbox that delivers them after the commit."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.user import User


class NoticeKind(enum.StrEnum):
    """What a notice is about."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    STAGNATION = "stagnation"
    DIGEST = "digest"
    INFO = "info"

    @property
    def label(self) -> str:
        """The Chinese name shown in the list."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    NoticeKind.REMINDER: "临期提醒",
    NoticeKind.OVERDUE: "逾期",
    NoticeKind.ESCALATION: "逾期升级",
    NoticeKind.STAGNATION: "停滞",
    NoticeKind.DIGEST: "每日汇总",
    NoticeKind.INFO: "通知",
}


class MailStatus(enum.StrEnum):
    """Where an outbox mail stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


#: Notices whose e-mail waits for a digest not sent yet (repeated verbatim so the partial index applies).
DIGEST_WAITING = text("digest_day IS NOT NULL AND digested_at IS NULL")
#: Notices the channel job has not yet passed to SMS, robots and webhooks (repeated verbatim, partial index).
FAN_OUT_WAITING = text("fanned_out_at IS NULL")


class Notification(Base):
    """One in-app notice to one user; (key, user) is unique, so a notice is never sent twice."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("key", "user_id"),
        # The digest's index: notices whose e-mail still waits for a digest.
        Index("ix_notification_digest_waiting", "digest_day", sqlite_where=DIGEST_WAITING,
              postgresql_where=DIGEST_WAITING),
        Index("ix_notification_fan_out_waiting", "id", sqlite_where=FAN_OUT_WAITING,
              postgresql_where=FAN_OUT_WAITING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind))
    #: The idempotency key, e.g. "work_item:12:reminder:1:v1".
    key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: A URL path inside Duban (the work item or task).
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Sent after its intended moment (e.g. caught up after the scheduler was down).
    late: Mapped[bool] = mapped_column(default=False)
    #: Set when the e-mail waits for the user's daily digest of that (Beijing) day instead of going alone.
    digest_day: Mapped[date | None] = mapped_column(Date, index=True)
    #: When the digest carrying it went out (or it was too old to carry); None while it waits.
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The event's topic (None for deadline notices and digests), for each person's channel choices.
    topic: Mapped[str | None] = mapped_column(String(40))
    #: When the channel job passed it on (SMS, robots, webhooks); set in the job, never on the step's path.
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        """True once the user has marked it read."""
        return self.read_at is not None


class OutboxMail(Base):
    """One e-mail for one notification, sent by the scheduler after the commit."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), unique=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    #: Plain text with the absolute link.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    #: When the sweep may try (again); backs off exponentially after failures.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification] = relationship()


class NoticeTopic(enum.StrEnum):
    """The events a person is told about as they happen; each person chooses which of them also come by mail."""

    DECOMPOSITION_RETURNED = "decomposition_returned"
    DECOMPOSITION_APPROVED = "decomposition_approved"
    REPORT_RETURNED = "report_returned"
    REPORT_APPROVED = "report_approved"
    SIGNOFF_REQUESTED = "signoff_requested"
    SIGNOFF_RETURNED = "signoff_returned"
    CONTRIBUTION_REQUESTED = "contribution_requested"
    TASK_CLOSED = "task_closed"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_DECIDED = "extension_decided"
    INSTRUCTION_ISSUED = "instruction_issued"
    INSTRUCTION_ACKNOWLEDGED = "instruction_acknowledged"
    RECTIFICATION_OPENED = "rectification_opened"
    RECTIFICATION_DECIDED = "rectification_decided"
    URGED = "urged"
    APPEAL_FILED = "appeal_filed"
    APPEAL_DECIDED = "appeal_decided"
    HOLD_REQUESTED = "hold_requested"
    HOLD_DECIDED = "hold_decided"

    @property
    def label(self) -> str:
        """The Chinese name on the preferences page."""
        return _TOPIC_LABELS[self]

    @property
    def mailed_by_default(self) -> bool:
        """Events someone must act on come by mail unless turned off; those only to know about do not."""
        return self not in _KNOW_ONLY


_TOPIC_LABELS = {
    NoticeTopic.DECOMPOSITION_RETURNED: "分解方案被退回",
    NoticeTopic.DECOMPOSITION_APPROVED: "分解方案审核通过",
    NoticeTopic.REPORT_RETURNED: "进展报告被退回",
    NoticeTopic.REPORT_APPROVED: "进展报告审核通过",
    NoticeTopic.SIGNOFF_REQUESTED: "待单位负责人审签",
    NoticeTopic.SIGNOFF_RETURNED: "单位负责人审签退回",
    NoticeTopic.CONTRIBUTION_REQUESTED: "请求协办",
    NoticeTopic.TASK_CLOSED: "任务办结",
    NoticeTopic.EXTENSION_REQUESTED: "延期申请待审批",
    NoticeTopic.EXTENSION_DECIDED: "延期申请审批结果",
    NoticeTopic.INSTRUCTION_ISSUED: "领导批示待签收",
    NoticeTopic.INSTRUCTION_ACKNOWLEDGED: "领导批示已签收",
    NoticeTopic.RECTIFICATION_OPENED: "发起整改",
    NoticeTopic.RECTIFICATION_DECIDED: "整改审核结果",
    NoticeTopic.URGED: "催办",
    NoticeTopic.APPEAL_FILED: "评分申诉待处理",
    NoticeTopic.APPEAL_DECIDED: "评分申诉处理结果",
    NoticeTopic.HOLD_REQUESTED: "中止/阶段性办结申请待审批",
    NoticeTopic.HOLD_DECIDED: "中止/阶段性办结申请审批结果",
}
_KNOW_ONLY = {NoticeTopic.DECOMPOSITION_APPROVED, NoticeTopic.REPORT_APPROVED, NoticeTopic.TASK_CLOSED,
              NoticeTopic.INSTRUCTION_ACKNOWLEDGED}


class NoticeMailChoice(Base):
    """A person's choice whether notices of one topic also come by mail (no row: the topic's default)."""

    __tablename__ = "notice_mail_choice"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[NoticeTopic] = mapped_column(enum_column(NoticeTopic, length=40), primary_key=True)
    by_mail: Mapped[bool]
