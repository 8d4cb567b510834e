"""The search index: one row per searchable thing (task, 节点, report, review comment, rectification, comment).

Each database searches it with what it offers (SQLite FTS5, PostgreSQL pg_trgm); those indexes are created by
migration 0022 and kept out of the model comparison (``base.SEARCH_STRUCTURES``). ``grams`` holds the distinct one-
and two-character grams of the text, so 1–2-character queries (Chinese words are often two characters) are
answered from an index too.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SearchEntry(Base):
    """One searchable thing, with the task it belongs to (who may see it follows from the task)."""

    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "source_id"),
        Index("ix_search_entry_number", "task_number", "plan_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: task, milestone, report, review, rectification or comment (``app.services.infrastructure.search_index``).
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int]
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    task_number: Mapped[int]
    plan_year: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    #: Everything searchable: title, 督办编号, unit names, text.
    document: Mapped[str] = mapped_column(Text)
    #: Distinct 1- and 2-character grams of ``document``, space-separated, lower-case.
    grams: Mapped[str] = mapped_column(Text)
