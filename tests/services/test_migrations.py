"""The Alembic migrations create exactly the schema the models declare, and go down and up again."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, make_url, select

from app.extensions import db
from app.models import Base, PlanTask, Unit, WorkflowInstance
from app.models.base import is_own_table
from tests.conftest import make_test_app, scratch_database


def test_models_and_migrations_agree(app):
    assert schema_differences() == []


def test_every_table_is_created_by_the_migrations(app):
    with db.engine.connect() as connection:
        existing = set(db.inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= existing


def schema_differences() -> list:
    with db.engine.connect() as connection:
        options = {"compare_type": True, "include_name": is_own_table}
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, Base.metadata)


@pytest.fixture
def scratch_url(database_url: str, tmp_path) -> Iterator[str]:
    """A database of its own: the round trip drops every table, which the other tests' database must keep."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'round-trip.db'}"
        return
    with scratch_database(database_url, "duban_round_trip") as scratch:
        yield scratch


def test_head_with_the_demo_data_goes_down_to_base_and_up_again(scratch_url):
    app = make_test_app(scratch_url)
    with app.app_context():
        upgrade()
        loaded = app.test_cli_runner().invoke(args=["demo"])
        assert loaded.exit_code == 0, loaded.output
        units, tasks, instances = counts()
        assert units == 52 and tasks > 0 and instances > 0
        db.session.remove()

        downgrade(revision="base")
        assert table_names() <= {"alembic_version"}   # nothing left behind, no _alembic_tmp_ table

        upgrade()
        assert schema_differences() == []
        assert counts() == (0, 0, 0)
        again = app.test_cli_runner().invoke(args=["demo"])
        assert again.exit_code == 0, again.output
        db.session.remove()


def counts() -> tuple[int, int, int]:
    """Units, plan tasks and workflow instances in the database."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]
                 for model in (Unit, PlanTask, WorkflowInstance))


def table_names() -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())
