"""Fixtures: a real database per run (SQLite, or a fresh PostgreSQL database), the app, users.

Set DUBAN_TEST_DATABASE_URL to a PostgreSQL server URL to run the suite there; a
database of its own is created for the run and dropped afterwards.
"""
from __future__ import annotations

import contextvars
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text

from app import create_app
from app.auth.throttle import limiter
from app.config import TestConfig
from app.demo import DEMO_PASSWORD, load_demo
from app.exports import jobs
from app.extensions import db
from tests.snapshots import Snapshots, seeded, seeded_first

PG_URL_VARIABLE = "DUBAN_TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seeded_first(items)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database nobody else uses: a fresh PostgreSQL database, or an SQLite file."""
    server = os.environ.get(PG_URL_VARIABLE)
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'duban-test.db'}"
        dispose_test_apps()
        return
    with scratch_database(server, "duban_test") as url:
        try:
            yield url
        finally:
            dispose_test_apps()  # pooled connections closed before the database is dropped


@contextmanager
def scratch_database(server: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server`` (its URL), dropped when the block ends."""
    base = make_url(server).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_app(database_url: str) -> Flask:
    """The application on a database brought to the newest migration."""
    app = make_test_app(database_url)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def snapshots(migrated_app: Flask, database_url: str) -> Iterator[Snapshots]:
    """The database states seeded fixtures build once; each test gets a fresh copy of the one it needs."""
    saved = Snapshots(database_url, _dispose_engines)
    with migrated_app.app_context():
        saved.save_empty()
    saved.watch()
    try:
        yield saved
    finally:
        saved.unwatch()


def make_test_app(database_url: str, **overrides: object) -> Flask:
    """A Duban app with the test settings on ``database_url``."""
    settings = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    settings["ATTACHMENT_DIR"] = str(_ATTACHMENTS)
    app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    app.test_client_class = IsolatedClient
    _TEST_APPS.append(app)
    return app


_TEST_APPS: list[Flask] = []
#: Attachments written by the tests go to a temporary folder, never the repository's instance/.
_ATTACHMENTS = Path(tempfile.mkdtemp(prefix="duban-attachments-"))


def dispose_test_apps() -> None:
    """Close every pooled connection of the apps the tests made."""
    _dispose_engines()
    _TEST_APPS.clear()


def _dispose_engines() -> None:
    for app in _TEST_APPS:
        with app.app_context():
            db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, g and session, as in production.

    Flask reuses an app context the test already pushed, which would share ``g`` (and
    Flask-Login's cached user) and the database session between requests.
    """

    def open(self, *args, **kwargs):  # type: ignore[override]
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(migrated_app: Flask, snapshots: Snapshots, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The application inside an app context, on a fresh copy of the database state the test needs.

    That is the migrated, empty database, or the deepest state its seeded fixtures (``demo``,
    ``plan_2023`` …) build on; the rows the test commits are dropped with the copy.
    """
    with migrated_app.app_context():
        snapshots.prepare(request)
        yield migrated_app
        for thread in jobs.running_threads():  # a document still being built holds a connection
            thread.join(timeout=120)
        db.session.remove()
        limiter.reset()  # failed sign-ins are counted outside the database
        if "database_url" in request.fixturenames:
            snapshots.dirty = True   # the URL may have gone to another process, whose writes nobody saw


def empty_all_tables() -> None:
    """Delete every row (real commits happened; nothing to roll back)."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # review_record → rectification_submission → rectification → review_record is a cycle: no
            # delete order satisfies every foreign key row by row, so they are checked at commit.
            conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@seeded
def demo(app: Flask):
    """The demo directory and demo users, committed."""
    return load_demo()


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form at ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD):
    """Sign in through the real login form (with its CSRF token when CSRF is on)."""
    data = {"username": username, "password": password}
    if client.application.config.get("WTF_CSRF_ENABLED", True):
        data["csrf_token"] = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data=data)


@pytest.fixture
def signed_in(client: FlaskClient, demo):
    """A callable that signs the test client in as a demo user and returns the client."""

    def sign_in(username: str) -> FlaskClient:
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


ROOT = Path(__file__).resolve().parents[1]


PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"


@seeded
def plan_2023(demo):
    """The real 2023 plan, imported by 督审处 through the import service (supervision started), committed."""
    from sqlalchemy import select

    from app.models import User
    from app.services.plans import plan_import

    dushen = db.session.scalar(select(User).where(User.username == "dushen"))
    draft = plan_import.start_import(demo, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
    return plan_import.confirm_import(draft, {}, dushen)


@pytest.fixture
def people(demo):
    """The demo users by username."""
    from sqlalchemy import select

    from app.models import User

    return {user.username: user for user in db.session.scalars(select(User))}


@pytest.fixture
def task7(plan_2023):
    """Task 7 of the 2023 plan: 注册处 leads, 科信处 and 信息中心 cooperate, target 25个行业以上."""
    return next(task for task in plan_2023.tasks if task.number == 7)


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements run meanwhile (tests that bound a page's or a list's statement count)."""
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def fan_out(commit: bool = False) -> int:
    """What the scheduler's tick does first: the notices and search entries of the steps completed so far
    (``commit``: batch by batch, as the scheduler does, so pages requested afterwards see them)."""
    from app.services.lifecycle import step_notices

    return step_notices.fan_out(db.session.commit if commit else db.session.flush)
