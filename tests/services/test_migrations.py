"""The Alembic migrations create exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from app.models import Base
from app.models.base import is_own_table


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": is_own_table})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_table_is_created_by_the_migrations(app):
    with db.engine.connect() as connection:
        existing = set(db.inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= existing
