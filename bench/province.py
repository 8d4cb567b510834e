"""The province benchmark: build a year of work at the real province's size, measure every page; prints JSON.

Run (PostgreSQL; the database is created when missing, and generated once per scale):

    .venv/bin/python bench/province.py --db postgresql://postgres@127.0.0.1:5432/duban_province --scale 1

prints one JSON document: the rows generated, then for each page a user can open its SQL statement count,
wall and CPU milliseconds (median of ``--runs``, in-process through the Flask test client, a page slower than
``--timeout`` seconds recorded as a timeout), then a bounded load test against gunicorn × 4 (``--users``
users with ~1 s think time, roles mixed, for ``--load-seconds``: p50/p95/p99 and errors per page); also the
statements and CPU of completing a step through its service and the deadline tick's time and peak memory
on the data (both rolled back; ``--no-tick`` skips the tick).

``--dry-run --scale 10`` counts the rows a scale would make without a database. ``--only
generate|pages|load`` runs one part. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import province_data  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, make_url, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Plan  # noqa: E402


def make_app(url: str) -> Flask:
    """The app as deployed (production defaults, no TESTING), CSRF off for the in-process client only."""
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "WTF_CSRF_ENABLED": False}
    )


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` when it does not exist."""
    target = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def generate(app: Flask, scale: int) -> dict[str, Any]:
    """Migrate, load the directory and demo accounts, and write the province once per scale."""
    from flask_migrate import upgrade

    from app.demo import load_demo
    from app.services.lifecycle import rollups

    with app.app_context():
        upgrade()
        org = load_demo()
        db.session.commit()
        existing = db.session.scalar(
            select(Plan.id).where(Plan.content_hash == province_data.PLAN_HASH.format(scale=scale))
        )
        if existing is not None:
            return {"plan_id": existing, "generated": False}
        other = db.session.scalar(
            select(Plan.content_hash).where(Plan.content_hash.like("bench-province-x%"))
        )
        if other is not None:
            sys.exit(f"this database already holds another scale ({other}); use one database per scale")
        began = time.perf_counter()
        templates = province_data.capture_templates()
        result = province_data.generate(scale, False, templates, org.id)
        # Rows went in by COPY, around the services: the dashboards' roll-ups are built as the command does
        # (commands run without the requests' statement timeout, and so does this). The year is analysed first:
        # with no statistics on the COPY'd tables the planner joins every review per milestone (minutes).
        db.session.execute(text("SET LOCAL statement_timeout = 0"))
        db.session.execute(text("ANALYZE"))
        rollups.rebuild([result["plan_id"]])
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # a year of data has been vacuumed: index-only scans work
        return {**result, "generated": True, "seconds": round(time.perf_counter() - began, 1)}


def dry_run(scale: int) -> dict[str, Any]:
    """Row counts a scale would write, without a database."""
    return province_data.generate(scale, True, province_data.dry_templates())


def main() -> None:
    parser = argparse.ArgumentParser(description="Province-scale generator, page benchmark and load test.")
    parser.add_argument("--db", help="PostgreSQL URL of the database to build and measure")
    parser.add_argument("--scale", type=int, default=1, help="1 = 18 bureaus × 39 tasks; 10 = ten times that")
    parser.add_argument("--dry-run", action="store_true", help="only count the rows the scale would make")
    parser.add_argument("--only", choices=("generate", "pages", "load"), help="run one part")
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before a page counts as a timeout"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--load-seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--page", action="append", help="measure (and in the load test open) only this page (repeatable)"
    )
    parser.add_argument("--no-tick", action="store_true", help="skip the deadline tick (rolled back)")
    options = parser.parse_args()
    if options.dry_run:
        print(
            json.dumps(
                {"scale": options.scale, "dry_run": True, **dry_run(options.scale)},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not options.db or not options.db.startswith(("postgresql://", "postgres://")):
        parser.error("--db must be a postgresql:// URL")
    ensure_database(options.db)
    app = make_app(options.db)
    result: dict[str, Any] = {"scale": options.scale, "database": make_url(options.db).database}
    if options.only in (None, "generate"):
        result["generation"] = generate(app, options.scale)
    if options.only in (None, "pages"):
        import province_pages

        result["pages"] = province_pages.measure(
            app, options.scale, options.runs, options.timeout, options.page
        )
        if not options.page:
            result["steps"] = province_pages.measure_steps(app)
        if not options.no_tick:
            result["tick"] = province_pages.measure_tick(app, options.timeout * 5)
    if options.only in (None, "load"):
        import province_load

        result["load"] = province_load.run(
            app, options.db, options.scale, options.users, options.load_seconds, options.workers, options.page
        )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
