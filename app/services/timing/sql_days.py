"""Days in SQL: the Beijing calendar day of a stored UTC instant, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class beijing_date(FunctionElement[date]):
    """The Beijing calendar day of a UTC timestamp column, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(beijing_date)
def _beijing_date_default(element: beijing_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores UTC text without an offset; Beijing has no daylight saving time.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_date, "postgresql")
def _beijing_date_pg(element: beijing_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
