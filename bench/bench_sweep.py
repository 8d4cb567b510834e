"""The deadline tick over 100,000 and 1,000,000 open work items: notices due, stagnating items, digests.

Run: ``.venv/bin/python bench/bench_sweep.py --db sqlite`` or ``--db postgresql://postgres@127.0.0.1:5432/postgres``
(a scratch database is created there and dropped afterwards). ``--items`` picks the sizes.

Fixtures are bulk-inserted with one SQL statement per size, spread over 20 units of a plan
whose policy asks for a daily digest, with mail configured (every demo user has an address):
1% of the items are due for a notice (half in their reminder window, half just overdue),
49.5% are due months ahead and 49.5% are long overdue with every notice already sent
(``chased_due_at`` set). A quarter of the items have been quiet for 60 days: 0.5% of all
items were never looked at for stagnation (they become stagnant now, and go into the units'
and 督审处's summaries), the rest were told before and are due for another look within
three weeks; the others were opened yesterday. 2,000 notices per demo user wait for
yesterday's digest. For each size it prints one JSON line: the first tick (committed batch
by batch as the scheduler does; wall time, the process's peak memory, what it recorded),
and a replayed tick (must send nothing).

The same file runs against an older checkout (the schema without the tick's markers) to
give the figures before: ``cp bench/bench_sweep.py OLD/bench/ && python OLD/bench/bench_sweep.py``.
"""
from __future__ import annotations

import argparse
import inspect
import json
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy import inspect as schema

from app import create_app, demo
from app.config import TestConfig
from app.extensions import db
from app.models import (
    DeadlinePolicy,
    Notification,
    OutboxMail,
    Plan,
    PlanTask,
    Unit,
    User,
    WorkflowInstance,
)
from app.workflow import deploy_processes, latest_version
from scheduler import tick

#: The bench's "now": Monday 16 October 2023, 09:00 Beijing time.
NOW = datetime(2023, 10, 16, 1, 0, tzinfo=UTC)
COLUMNS = ("instance_id, engine_task_id, step_id, step_name, form_key, lane, role, context, state, "
           "due_at, created_at, chased_due_at")


UNITS = 20
WAITING_PER_USER = 2000


def make_app(url: str):  # type: ignore[no-untyped-def]
    settings = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    # Mail is queued (not sent: nothing listens); the bench's long statements have no request timeout.
    return create_app({**settings, "SQLALCHEMY_DATABASE_URI": url, "SMTP_HOST": "127.0.0.1",
                       "DATABASE_STATEMENT_TIMEOUT_MS": 0})


def seed_owner() -> tuple[int, list[int]]:
    """A plan (daily digest on), a task and one instance for the items to hang on; the units they go to."""
    org = demo.load_demo()
    deploy_processes()
    plan = Plan(organisation_id=org.id, title="基准计划", year=2023, content_hash=uuid.uuid4().hex, source_name="bench")
    task = PlanTask(plan=plan, number=1, title="基准任务", text="基准任务", supervision_number="督〔2023〕1号")
    instance = WorkflowInstance(spec_version=latest_version("milestone"), state="{}")
    db.session.add_all([plan, task])
    db.session.flush()
    db.session.add(DeadlinePolicy(plan_id=plan.id, daily_digest=True))
    instance.plan_task_id = task.id
    db.session.add(instance)
    for user in db.session.scalars(select(User)):
        user.email = f"{user.username}@example.gov.cn"
    db.session.commit()
    zhuce = db.session.scalar(select(User.unit_id).where(User.username == "zhuce"))
    others = db.session.scalars(select(Unit.id).where(Unit.id != zhuce).order_by(Unit.id).limit(UNITS - 1))
    return instance.id, [zhuce, *others]


def has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in schema(db.session.connection()).get_columns(table)}


def insert_items(count: int, instance_id: int, unit_ids: list[int]) -> None:
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
    # n % 4 == 1: quiet for 60 days; of those n % 200 == 1 never looked at, the rest told and due
    # for another look within 3 weeks.
    created = stamp.format("CASE WHEN n % 4 = 1 THEN -24 * 60 ELSE -24 END")
    cases = " ".join(f"WHEN {i} THEN {u}" for i, u in enumerate(unit_ids))
    unit = f"CASE (n / 4) % {len(unit_ids)} {cases} END"
    columns, values = COLUMNS + ", unit_id", f"{due}, {created}, {chased}, {unit}"
    if has_column("work_item", "stagnation_check_at"):
        check = stamp.format("CASE WHEN n % 4 = 1 THEN 24 * (1 + n % 21) ELSE 24 * 14 END")
        columns += ", stagnation_check_at"
        values += f", CASE WHEN n % 200 = 1 THEN NULL ELSE {check} END"
    sql = (f"{prefix}INSERT INTO work_item ({columns}) SELECT :instance, 'bench-' || n, 'report', '报送进展', "
           f"'milestone_report', '牵头单位', 'liaison', '{{}}', 'open', {values} FROM {source}")
    db.session.execute(text(sql), {"now": NOW.strftime("%Y-%m-%d %H:%M:%S") if dialect == "sqlite" else NOW,
                                   "count": count, "instance": instance_id})
    db.session.commit()
    insert_waiting_notices()
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def insert_waiting_notices() -> None:
    """``WAITING_PER_USER`` notices per user whose e-mail waits for yesterday's digest."""
    yesterday = (NOW - timedelta(days=1)).date()
    rows = [{"user_id": user_id, "kind": "reminder", "key": f"bench:{user_id}:{n}", "title": f"临期提醒:基准{n}",
             "body": "基准任务的办理期限将至,请抓紧办理。", "link": "/work/items/1", "late": False,
             "digest_day": yesterday, "created_at": NOW - timedelta(days=1)}
            for user_id in db.session.scalars(select(User.id)) for n in range(WAITING_PER_USER)]
    db.session.execute(Notification.__table__.insert(), rows)
    db.session.commit()


def run_tick() -> list[dict[str, object]]:
    """One tick as the scheduler runs it: committed batch by batch where the tick supports it."""
    if "checkpoint" in inspect.signature(tick.run).parameters:
        lines = tick.run(NOW, checkpoint=db.session.commit)  # type: ignore[call-arg]
    else:
        lines = tick.run(NOW)
    db.session.commit()
    return lines


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def measure(items: int) -> dict[str, object]:
    notices_before = count(Notification)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    lines = run_tick()
    first = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kinds: dict[str, int] = {}
    for line in lines:
        summary = line["kind"] == "stagnation" and line["work_item"] is None
        kind = f"{line['kind']}{'_summary' if summary else ''}"
        kinds[kind] = kinds.get(kind, 0) + 1
    stagnation_notices = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.kind == "stagnation"))
    began = time.perf_counter()
    replay = run_tick()
    again = time.perf_counter() - began
    return {"items": items, "due_items": items // 100, "stagnating_items": items // 200,
            "digest_waiting_notices": notices_before, "lines": len(lines), "lines_by_kind": kinds,
            "notices_created": count(Notification) - notices_before, "stagnation_notices": stagnation_notices,
            "mails_queued": count(OutboxMail), "first_tick_s": round(first, 3),
            "max_rss_mb": round(peak, 1), "rss_before_tick_mb": round(rss_before, 1),
            "replay_tick_s": round(again, 3), "replay_lines": len(replay)}


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


def run(db_option: str, items: int) -> dict[str, object]:
    url, drop = scratch_url(db_option)
    app = make_app(url)
    try:
        with app.app_context():
            upgrade()
            instance_id, unit_ids = seed_owner()
            began = time.perf_counter()
            insert_items(items, instance_id, unit_ids)
            inserted = round(time.perf_counter() - began, 1)
            result = {"db": db.engine.dialect.name, "insert_s": inserted, **measure(items)}
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
    for items in options.items:
        print(json.dumps(run(options.db, items), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
