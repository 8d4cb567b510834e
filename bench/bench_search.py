"""Search at province scale: one results page (count + page + names) per query, on PostgreSQL and SQLite.

    .venv/bin/python bench/province.py --db postgresql://postgres@127.0.0.1:5432/duban_search_x1 --scale 1 \
        --only generate
    .venv/bin/python bench/bench_search.py --db postgresql://postgres@127.0.0.1:5432/duban_search_x1

The province generator writes its rows by COPY, past the index's flush hook, so this script first rebuilds the
index (the time `duban search rebuild` takes at 1×). Then it measures each query as 督审处 (the whole bureau) and
as a liaison (visibility applied), median of ``--runs``. Then it multiplies the searched table to ``--times`` (10)
its size with SQL (copies of every entry under new source ids, same texts and tasks: a 10× index over the 1×
tasks) and measures again; and it copies that 10× table into a SQLite file (FTS5) and measures there as 督审处.
Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select, text

from app import create_app
from app.extensions import db
from app.models import Plan, PlanTask, Role, SearchEntry, User, UserRole
from app.services.infrastructure import search, search_index

QUERIES = ["抽检", "18", "督〔2023〕18号", "食品安全", "营商环境", "监管", "注册处", "抽检 食品", "不存在的词语"]
#: Source ids of the copies start here (the generated ids stay far below).
COPY_OFFSET = 100_000_000


def make_app(url: str) -> Any:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})


def supervisor() -> User:
    """A transient 督审处 user (never added to the session)."""
    return User(username="bench_search", display_name="检索", password_hash="-",
                role_rows=[UserRole(role=Role.SUPERVISOR)])


def timed(user: User, query: str, runs: int) -> dict[str, Any]:
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    walls = []
    for _ in range(runs):
        statements.clear()
        began = time.perf_counter()
        results = search.search(user, query)
        walls.append((time.perf_counter() - began) * 1000)
        db.session.rollback()
    event.remove(db.engine, "before_cursor_execute", note)
    return {"ms": round(statistics.median(walls), 1), "max_ms": round(max(walls), 1), "total": results.total,
            "statements": len(statements)}


def measure(users: dict[str, User], runs: int) -> dict[str, Any]:
    return {name: {query: timed(user, query, runs) for query in QUERIES} for name, user in users.items()}


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchEntry)) or 0


def multiply(times: int) -> float:
    """Copies of every generated entry under new source ids until the table is ``times`` its size."""
    began = time.perf_counter()
    columns = "kind, plan_task_id, task_number, plan_year, title, document, grams"
    for copy in range(1, times):
        db.session.execute(text(
            f"INSERT INTO search_entry (source_id, {columns}) SELECT source_id + :offset, {columns} "
            "FROM search_entry WHERE source_id < :first"), {"offset": COPY_OFFSET * copy, "first": COPY_OFFSET})
    db.session.commit()
    return round(time.perf_counter() - began, 1)


def to_sqlite(path: Path) -> dict[str, Any]:
    """The plans, tasks and index entries copied into a migrated SQLite file (foreign keys not enforced)."""
    from flask_migrate import upgrade

    url = f"sqlite:///{path}"
    with make_app(url).app_context():
        upgrade()
    target = create_engine(url)
    began = time.perf_counter()
    with target.begin() as conn:
        for model in (Plan, PlanTask, SearchEntry):
            table = model.__table__
            rows = [dict(row._mapping) for row in db.session.execute(select(table))]
            for start in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[start:start + 5000])
    target.dispose()
    return {"copy_seconds": round(time.perf_counter() - began, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="PostgreSQL URL of a database bench/province.py generated")
    parser.add_argument("--times", type=int, default=10, help="multiply the index to this many times its size")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure the index as it is (after a full run: at the multiplied size), PostgreSQL only")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    app = make_app(args.db)
    with app.app_context():
        liaison = db.session.scalar(select(User).where(User.username.like("bench_%"), User.unit_id.is_not(None))
                                    .order_by(User.id))
        if liaison is None:
            sys.exit("no province here: run bench/province.py --only generate on this database first")
        users = {"督审处": supervisor(), "联络员": liaison}
        year = db.session.scalar(select(func.max(Plan.year)))
        QUERIES[QUERIES.index("督〔2023〕18号")] = f"督〔{year}〕18号"
        if args.measure_only:
            report["entries_now"] = entry_count()
            report["postgresql_now"] = measure(users, args.runs)
            print(json.dumps(report, ensure_ascii=False, indent=1))
            return
        began = time.perf_counter()
        report["entries_1x"] = search_index.rebuild(db.session.connection())
        db.session.commit()
        report["rebuild_seconds_1x"] = round(time.perf_counter() - began, 1)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE search_entry")
        report["postgresql_1x"] = measure(users, args.runs)

        report[f"multiply_seconds_{args.times}x"] = multiply(args.times)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE search_entry")
        report[f"entries_{args.times}x"] = entry_count()
        report[f"postgresql_{args.times}x"] = measure(users, args.runs)

        if not args.no_sqlite:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "search.db"
                report["sqlite"] = to_sqlite(path)
                with make_app(f"sqlite:///{path}").app_context():
                    report[f"sqlite_{args.times}x"] = measure({"督审处": supervisor()}, args.runs)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
