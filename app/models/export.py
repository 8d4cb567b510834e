"""Documents prepared in the background: a large plan's 台账, 通报 or assessment sheet, built after the request."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class ExportStatus(enum.StrEnum):
    """Where a prepared document stands."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "排队中", "running": "生成中", "ready": "已生成", "failed": "生成失败"}[self.value]


class ExportJob(Base):
    """One document asked for by one user; its bytes are kept until it is downloaded again or cleared."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExportStatus] = mapped_column(enum_column(ExportStatus), default=ExportStatus.QUEUED)
    #: 0–100, written by the builder as it goes.
    progress: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str | None] = mapped_column(String(200))
    mimetype: Mapped[str | None] = mapped_column(String(120))
    #: The document; loaded only for the download.
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last sign of life (each progress step): a job silent for long died with its worker.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
