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
