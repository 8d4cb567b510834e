"""Connection settings the application sets on its database sessions."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db


def test_postgresql_sessions_run_without_jit(app):
    # JIT compilation costs ~1.5 s on the lights queries, which run in milliseconds without it.
    if db.engine.dialect.name != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_sqlite_writes_ahead_syncs_normally_and_waits_when_busy(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")

    def pragma(name: str) -> object:
        return db.session.execute(text(f"PRAGMA {name}")).scalar()

    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 1  # NORMAL
    assert pragma("busy_timeout") == 5000
    assert pragma("foreign_keys") == 1


def test_postgresql_cancels_a_request_statement_after_the_timeout_and_commands_have_none(database_url, app):
    from sqlalchemy.exc import OperationalError

    from tests.conftest import make_test_app

    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "25s"
    db.session.rollback()
    quick = make_test_app(database_url, DATABASE_STATEMENT_TIMEOUT_MS=200)
    with quick.app_context():
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(2)"))
        db.session.rollback()
    unlimited = make_test_app(database_url, DATABASE_STATEMENT_TIMEOUT_MS=0)
    with unlimited.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"
        db.session.rollback()


def test_a_request_whose_statement_outlives_the_timeout_answers_busy_in_chinese(database_url, app):
    from app.access import public
    from tests.conftest import make_test_app

    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    db.session.rollback()
    quick = make_test_app(database_url, DATABASE_STATEMENT_TIMEOUT_MS=200)

    @public
    def slow() -> str:
        db.session.execute(text("SELECT pg_sleep(2)"))
        return "done"

    quick.add_url_rule("/slow", view_func=slow)
    quick.add_url_rule("/api/slow", view_func=slow)
    page = quick.test_client().get("/slow")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "系统正忙" in page.get_data(as_text=True)
    answer = quick.test_client().get("/api/slow")
    assert answer.status_code == 503 and answer.get_json()["error_code"] == "busy"
