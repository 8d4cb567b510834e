"""Alembic environment: runs inside a Duban app context (via Flask-Migrate)."""
import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from flask import current_app

from app.models.base import UTCDateTime, is_own_table

config = context.config
if config.config_file_name is not None:
    # Keep the application's and the test runner's loggers alive.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our UTC timestamp type as the plain column type it stores, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_revision(context_: Any, revision: Any, directives: list[Any]) -> None:
    """`duban db migrate` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args() -> dict[str, Any]:
    """Options shared by online migrations and the model/migration agreement test."""
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", skip_empty_revision)
    args.setdefault("render_item", render_item)
    args.setdefault("compare_type", True)
    args.setdefault("include_name", is_own_table)
    return args


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the application's database."""
    with migrate_ext.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copy, drop and rename; with foreign keys enforced, dropping a
            # table that rows of another table point at fails. SQLite ignores this pragma inside a
            # transaction, so it is set before the migration's transaction, and the keys checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **configure_args())
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.commit()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _check_foreign_keys(connection: Any) -> None:
    """Fail the migration (rolling it back) if it left a row pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
