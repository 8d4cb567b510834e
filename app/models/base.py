"""Declarative base, naming convention and column types shared by every model."""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

#: Stable constraint names, so Alembic produces the same migration on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Tables other libraries keep in our database (APScheduler's job store); migrations leave them alone.
FOREIGN_TABLES = frozenset({"apscheduler_job"})


def is_own_table(name: str | None, type_: str, parent_names: object = None) -> bool:
    """Alembic ``include_name`` filter: compare Duban's tables only."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


class Base(DeclarativeBase):
    """Base class of every Duban model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    tagged as UTC on the way out; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def enum_column(enum_class: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column: stores member values as VARCHAR with a CHECK constraint."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=length,
        name=enum_class.__name__.lower(),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def exactly_one_set(*columns: str) -> str:
    """SQL that is true when exactly one of ``columns`` is not NULL: a CHECK for one-of-several foreign keys."""
    return " + ".join(f"CASE WHEN {column} IS NULL THEN 0 ELSE 1 END" for column in columns) + " = 1"


def as_dict(obj: Any, *fields: str) -> dict[str, Any]:
    """A JSON-ready snapshot of selected attributes, for audit before/after records."""
    result = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = value.isoformat()
        result[name] = value
    return result
