"""The Alembic migrations create exactly the schema the models declare, and go down and up again."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, make_url, select, text

from app.extensions import db
from app.models import (
    Attachment,
    Base,
    CooperatingContribution,
    Decomposition,
    MilestoneReport,
    PlanTask,
    RectificationSubmission,
    ReviewRecord,
    Unit,
    WorkflowInstance,
)
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
        assert units == 52 + 17 * 7 and tasks > 0 and instances > 0  # the province's and its 17 cities' 7 each
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


def test_0019_keeps_existing_numbers_and_renumbers_the_ones_a_later_plan_repeated(scratch_url):
    """Before 0019 every plan numbered from 1: the first holder keeps its number, the repeats continue the year."""
    app = make_test_app(scratch_url)
    with app.app_context():
        upgrade(revision="0017")
        rows = [
            "INSERT INTO organisation (id, name, short_name, code, created_at) "
            "VALUES (1, '湖北省市场监督管理局', '省局', 'HB', CURRENT_TIMESTAMP)",
            *[f"INSERT INTO plan (id, organisation_id, title, year, content_hash, source_name, status, imported_at) "
              f"VALUES ({p}, 1, '计划{p}', 2023, 'h{p}', 'x.txt', 'active', CURRENT_TIMESTAMP)" for p in (1, 2)],
            *[f"INSERT INTO plan_task (id, plan_id, number, title, text, supervision_number, priority) "
              f"VALUES ({10 * p + n}, {p}, {n}, '任务', '任务', '督〔2023〕{n}号', 'normal')"
              for p in (1, 2) for n in (1, 2)],
        ]
        with db.engine.begin() as connection:
            for row in rows:
                connection.execute(text(row))
        upgrade()
        numbers = dict(db.session.execute(select(PlanTask.id, PlanTask.supervision_number)).all())
        assert numbers == {11: "督〔2023〕1号", 12: "督〔2023〕2号", 21: "督〔2023〕3号", 22: "督〔2023〕4号"}
        taken = db.session.execute(text("SELECT plan_task_id, year, serial FROM supervision_number "
                                        "ORDER BY plan_task_id")).all()
        assert [tuple(row) for row in taken] == [(11, 2023, 1), (12, 2023, 2), (21, 2023, 3), (22, 2023, 4)]
        db.session.remove()
        downgrade(revision="0017")
        assert "supervision_number" not in table_names()


def test_0018_turns_subject_strings_into_foreign_keys_and_back(scratch_url):
    """The demo's links survive 0018 down (as "kind:id" strings) and up again (as foreign keys)."""
    app = make_test_app(scratch_url)
    with app.app_context():
        upgrade()
        loaded = app.test_cli_runner().invoke(args=["demo"])
        assert loaded.exit_code == 0, loaded.output
        attach_a_file_to_each_kind_of_submission()
        links = foreign_key_links()
        assert {kind for kind, _ in links["instances"].values()} >= {"decomposition", "milestone", "rectification"}
        assert links["closed"] and links["reviews"] and links["attachments"]
        db.session.remove()

        downgrade(revision="0017")
        assert rows("SELECT id, subject FROM workflow_instance") == {
            id_: f"{kind}:{row_id}" for id_, (kind, row_id) in links["instances"].items()}
        for table, key in (("review_record", "reviews"), ("attachment", "attachments")):
            assert rows(f"SELECT id, subject, subject_id FROM {table}") == links[key]

        upgrade()
        assert foreign_key_links() == links
        db.session.remove()


def attach_a_file_to_each_kind_of_submission() -> None:
    """The demo uploads nothing; one row per kind of owner (no file needed) gives the migration something to convert."""
    owners = (MilestoneReport, CooperatingContribution, RectificationSubmission)
    for n, owner in enumerate(db.session.scalars(select(model).limit(1)).one() for model in owners):
        task_id = owner.rectification.plan_task_id if isinstance(owner, RectificationSubmission) else (
            (owner.report if isinstance(owner, CooperatingContribution) else owner).milestone.plan_task_id)
        db.session.add(Attachment(plan_task_id=task_id, **{f"{owner.__tablename__}_id": owner.id},
                                  original_name="说明.pdf", stored_name=f"{n}.pdf", content_type="application/pdf",
                                  size=1, sha256="0" * 64, uploaded_by_id=owner.submitted_by_id))
    db.session.commit()


def foreign_key_links() -> dict[str, Any]:
    """What each instance drives, what each review judges and each file belongs to, and which parts are closed."""
    return {
        "instances": {i.id: (i.kind.value, i.linked_id) for i in db.session.scalars(select(WorkflowInstance))},
        "reviews": {r.id: r.reviewed for r in db.session.scalars(select(ReviewRecord))},
        "attachments": {a.id: a.owner for a in db.session.scalars(select(Attachment))},
        # Backfilled from the completed instance, so only whether it is set is the same.
        "closed": set(db.session.scalars(select(Decomposition.id).where(Decomposition.is_closed))),
    }


def rows(query: str) -> dict[int, Any]:
    """id → the other column(s), read without the models (which describe the head schema)."""
    with db.engine.connect() as connection:
        return {row[0]: row[1] if len(row) == 2 else tuple(row[1:]) for row in connection.execute(text(query))}


def test_0036_gives_existing_api_tokens_read_and_act(scratch_url):
    """Tokens issued before scopes existed keep what they could do: read and act, never admin."""
    app = make_test_app(scratch_url)
    with app.app_context():
        upgrade(revision="0027")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO user_account (id, username, display_name, password_hash, active, must_change_password, "
                "failed_logins, created_at) VALUES (1, 'zhuce', '注册处', 'x', true, false, 0, CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO api_token (id, user_id, name, token_sha256, created_at) "
                "VALUES (1, 1, '对接', 'ab', CURRENT_TIMESTAMP)"))
        upgrade()
        assert db.session.scalar(text("SELECT scopes FROM api_token WHERE id = 1")) == "read act"
        db.session.remove()
        downgrade(revision="0027")
        assert "scopes" not in {c["name"] for c in inspect(db.engine).get_columns("api_token")}
