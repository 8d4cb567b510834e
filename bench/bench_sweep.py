"""The deadline tick over 100,000 and 1,000,000 open work items, 1% of them due for a notice.

Run: ``.venv/bin/python bench/bench_sweep.py --db sqlite`` or ``--db postgresql://postgres@127.0.0.1:5432/postgres``
(a scratch database is created there and dropped afterwards). ``--items`` picks the sizes.

Fixtures are bulk-inserted with one SQL statement per size: 1% of the items are due for a
notice (half in their reminder window, half just overdue), 49.5% are due months ahead and
49.5% are long overdue with every notice already sent (``chased_due_at`` set), all opened
recently (so none is stagnant). For each size it prints one JSON line: the first tick
(sends everything due; timed without tracing, then rolled back), the same tick under
tracemalloc (peak Python memory; committed), and a replayed tick (must send nothing).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Plan, PlanTask, User, WorkflowInstance  # noqa: E402
from app.services import demo, tick  # noqa: E402
from app.workflow import deploy_processes, latest_version  # noqa: E402

#: The bench's "now": Monday 16 October 2023, 09:00 Beijing time.
NOW = datetime(2023, 10, 16, 1, 0, tzinfo=timezone.utc)
COLUMNS = ("instance_id, engine_task_id, step_id, step_name, form_key, lane, role, unit_id, context, state, "
           "due_at, created_at, chased_due_at")


def make_app(url: str):  # type: ignore[no-untyped-def]
    settings = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app({**settings, "SQLALCHEMY_DATABASE_URI": url})


def seed_owner() -> tuple[int, int]:
    """A plan, a task and one instance for the items to hang on; the liaison's unit."""
    org = demo.load_demo()
    deploy_processes()
    plan = Plan(organisation_id=org.id, title="基准计划", year=2023, content_hash=uuid.uuid4().hex, source_name="bench")
    task = PlanTask(plan=plan, number=1, title="基准任务", text="基准任务", supervision_number="督〔2023〕1号")
    instance = WorkflowInstance(spec_version=latest_version("milestone"), state="{}")
    db.session.add_all([plan, task])
    db.session.flush()
    instance.plan_task_id = task.id
    db.session.add(instance)
    db.session.commit()
    unit_id = db.session.scalar(select(User.unit_id).where(User.username == "zhuce"))
    return instance.id, unit_id


def insert_items(count: int, instance_id: int, unit_id: int) -> None:
    """``count`` open items in one INSERT … SELECT (generate_series on PostgreSQL, a recursive CTE on SQLite)."""
    dialect = db.session.connection().dialect.name
    if dialect == "postgresql":
        stamp = "(CAST(:now AS timestamptz) + ({}) * interval '1 hour')"
        source = "generate_series(1, :count) AS seq(n)"
        prefix = ""
    else:
        stamp = "strftime('%Y-%m-%d %H:%M:%S.000000', :now, ({}) || ' hours')"
        source = "seq"
        prefix = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count) "
    # n % 200 == 0: reminder window (due in 1 day); == 100: overdue by 2 days; even: months ahead; odd: long chased.
    hours = ("CASE WHEN n % 200 = 0 THEN 33 WHEN n % 200 = 100 THEN -39 "
             "WHEN n % 2 = 0 THEN 24 * (60 + n % 240) ELSE -24 * (30 + n % 170) END")
    due = stamp.format(hours)
    chased = f"CASE WHEN n % 2 = 1 AND n % 200 <> 100 THEN {due} ELSE NULL END"
    sql = (f"{prefix}INSERT INTO work_item ({COLUMNS}) SELECT :instance, 'bench-' || n, 'report', '报送进展', "
           f"'milestone_report', '牵头单位', 'liaison', :unit, '{{}}', 'open', {due}, {stamp.format('-24')}, {chased} "
           f"FROM {source}")
    db.session.execute(text(sql), {"now": NOW.strftime("%Y-%m-%d %H:%M:%S") if dialect == "sqlite" else NOW,
                                   "count": count, "instance": instance_id, "unit": unit_id})
    db.session.commit()
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def measure(count: int) -> dict[str, object]:
    began = time.perf_counter()
    lines = tick.run(NOW)
    first = time.perf_counter() - began
    db.session.rollback()
    tracemalloc.start()
    traced = tick.run(NOW)
    db.session.commit()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    began = time.perf_counter()
    replay = tick.run(NOW)
    db.session.commit()
    again = time.perf_counter() - began
    return {"items": count, "due_items": count // 100, "lines_sent": len(lines), "first_tick_s": round(first, 3),
            "first_tick_peak_mb": round(peak / 2**20, 1), "traced_lines": len(traced),
            "replay_tick_s": round(again, 3), "replay_lines": len(replay),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def scratch_url(db_option: str) -> tuple[str, object]:
    """A fresh database URL and a callable that drops it."""
    if db_option == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="bench-sweep-")) / "bench.db"
        return f"sqlite:///{path}", path.unlink
    base = make_url(db_option).set(drivername="postgresql+psycopg")
    name = f"bench_sweep_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def run(db_option: str, count: int) -> dict[str, object]:
    url, drop = scratch_url(db_option)
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            instance_id, unit_id = seed_owner()
            began = time.perf_counter()
            insert_items(count, instance_id, unit_id)
            result = {"db": db.engine.dialect.name, "insert_s": round(time.perf_counter() - began, 1), **measure(count)}
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()  # type: ignore[operator]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the deadline tick.")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    parser.add_argument("--items", type=int, nargs="+", default=[100_000, 1_000_000])
    options = parser.parse_args()
    for count in options.items:
        print(json.dumps(run(options.db, count), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
