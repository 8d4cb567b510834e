"""Declarative base, naming convention and column types shared by every model."""
from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, DateTime, Enum, Integer, MetaData, TypeDecorator, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

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

#: Name prefixes of the database-specific search structures migration 0022 makes beside ``search_entry``
#: (SQLite FTS5 tables, PostgreSQL trigram and gram indexes); no model declares them.
SEARCH_STRUCTURES = ("search_fts", "search_grams", "search_trgm")


def is_own_table(name: str | None, type_: str, parent_names: object = None) -> bool:
    """Alembic ``include_name`` filter: compare Duban's tables only."""
    if name and name.startswith(SEARCH_STRUCTURES):
        return False
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


class id_in(ColumnElement[bool]):
    """``column IN (ids)``; on PostgreSQL ``column = ANY(:ids)``, one array parameter however long the list,
    so thousands of ids cost neither the driver nor the server a statement thousands of parameters long."""

    type = Boolean()
    inherit_cache = False  # the ids are part of the element, not a bound parameter the cache could swap

    def __init__(self, column: ColumnElement[int] | InstrumentedAttribute[int], ids: Sequence[int]) -> None:
        self.column = column
        self.ids = list(ids)


@compiles(id_in)
def _id_in(element: id_in, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.ids), **kw))


@compiles(id_in, "postgresql")
def _id_in_postgresql(element: id_in, compiler: Any, **kw: Any) -> str:
    array = bindparam(None, element.ids, type_=postgresql.ARRAY(Integer))
    return str(compiler.process(element.column == any_(array), **kw))
