"""Database states built once per test session and restored, whole, for each test that needs them.

Tests commit for real and the app opens its own connections, so a test gets a real copy of the
database rather than a transaction to roll back: on SQLite the seeded file is copied back with
SQLite's backup API; on PostgreSQL every table's rows and every sequence's position are put back,
in one transaction, from a schema the state was saved in (a template database would be cleaner,
but DROP DATABASE waits for a checkpoint: 0.5–7 s here, against 0.1–0.2 s for the rows). The copy
keeps ids, sequences and every row exactly as a fresh build would leave them.

A ``@seeded`` fixture's builder runs once per session, on the state its own fixtures left
(``demo`` builds on the empty database, the 2023 plan on ``demo``); later tests restore the copy.
Seeded fixtures are set up before a test's other fixtures.
Restoring would silently wipe rows a test or an earlier fixture wrote, so that is refused: any
statement that writes marks the database dirty, and a seeded fixture set up on a dirty database
that does not already hold its state fails the test.
"""
from __future__ import annotations

import inspect as pyinspect
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from app.extensions import db

EMPTY = "empty"
_READ_ONLY = ("select", "pragma", "show", "set ", "savepoint", "release", "rollback", "begin", "commit")


@dataclass
class Seed:
    """A seeded fixture: its key (file and name), its pytest name and file, and where its copy is kept."""

    key: str
    name: str
    path: Path
    parent: str | None = None
    copy: str | None = None
    identity: tuple[type, Any] | None = None


SEEDS: dict[str, Seed] = {}


@dataclass
class Snapshots:
    """The saved states of one test database, and which of them it holds now."""

    url: str
    dispose: Callable[[], None]
    seeds: dict[str, Seed] = field(default_factory=dict)
    current: str | None = None
    dirty: bool = True
    _count: int = 0
    _pg_tables: list[str] | None = None

    # -- tracking writes ------------------------------------------------------------------------
    def watch(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._seen)

    def unwatch(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().lower()
        if not head.startswith(_READ_ONLY) or "nextval(" in head or "setval(" in head:
            self.dirty = True

    # -- states ---------------------------------------------------------------------------------
    def save_empty(self) -> None:
        """Keep the freshly migrated database as the root state."""
        self.seeds[EMPTY] = Seed(EMPTY, EMPTY, Path())
        self._save(self.seeds[EMPTY])

    def holds(self, key: str) -> bool:
        """Whether the database holds ``key``'s state (or one built on it) and nothing else."""
        seen = self.current
        while seen is not None:
            if seen == key:
                return True
            seen = self.seeds[seen].parent
        return False

    def reset(self, key: str = EMPTY) -> None:
        """Bring the database back to a saved state, whatever it holds now."""
        db.session.rollback()
        self.dispose()
        self._restore(self.seeds[key])

    def prepare(self, request: pytest.FixtureRequest) -> None:
        """Before a test: the deepest saved state its seeded fixtures build on (else the empty one)."""
        wanted = [seed for seed in _seeds_of(request) if seed.key in self.seeds]
        target = self.seeds[EMPTY]
        for seed in wanted:
            if _depth(self.seeds, seed.key) > _depth(self.seeds, target.key):
                target = seed
        if self.current == target.key and not self.dirty:
            return
        self.reset(target.key)

    def ensure(self, seed: Seed, build: Callable[[], Any]) -> Any:
        """The seeded fixture's value: restored, already there, or built now and saved."""
        if not self.holds(seed.key):
            if self.dirty:
                raise RuntimeError(
                    f"{seed.name}: the database was written to before this seeded fixture was set up; "
                    "ask for it before fixtures that write"
                )
            known = self.seeds.get(seed.key)
            if known is not None:
                if not self.holds(known.parent or EMPTY):
                    raise RuntimeError(f"{seed.name} does not build on {self.current}: use one seeded state")
                self.reset(seed.key)
            else:
                value = build()
                db.session.commit()
                seed.identity = (type(value), inspect(value).identity)
                seed.parent = self.current
                self.seeds[seed.key] = seed
                self._save(seed)
        cls, identity = self.seeds[seed.key].identity  # type: ignore[misc]
        return db.session.get(cls, identity)

    # -- copies ---------------------------------------------------------------------------------
    def _save(self, seed: Seed) -> None:
        self.dispose()
        self._count += 1
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            seed.copy = f"{url.database}.{self._count}.snapshot"
            _sqlite_copy(url.database, seed.copy)
        else:
            seed.copy = f"snapshot_{self._count}"
            self._on_database(_pg_save_sql(self._tables(), seed.copy))
        self.current, self.dirty = seed.key, False

    def _restore(self, seed: Seed) -> None:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(seed.copy, url.database)
        else:
            self._on_database(_pg_restore_sql(self._tables(), str(seed.copy)))
        self.current, self.dirty = seed.key, False

    def _tables(self) -> list[str]:
        """The application's tables (PostgreSQL): every table of the public schema."""
        if self._pg_tables is None:
            engine = create_engine(make_url(self.url), poolclass=NullPool)
            with engine.connect() as conn:
                query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
                self._pg_tables = list(conn.scalars(text(query)))
            engine.dispose()
        return self._pg_tables

    def _on_database(self, script: str) -> None:
        """Run a script of statements in one transaction on the test database."""
        engine = create_engine(make_url(self.url), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(script)
        finally:
            engine.dispose()

def _pg_save_sql(tables: list[str], schema: str) -> str:
    """Copy every table's rows, and every sequence's position, into a schema of their own."""
    copies = [f'CREATE TABLE "{schema}"."{t}" AS TABLE public."{t}";' for t in tables]
    return "\n".join([
        f'CREATE SCHEMA "{schema}";', *copies,
        f'CREATE TABLE "{schema}"."_sequences" AS SELECT sequencename AS name, last_value FROM pg_sequences'
        " WHERE schemaname = 'public';",
    ])


def _pg_restore_sql(tables: list[str], schema: str) -> str:
    """Put back exactly the saved rows and sequence positions (consistent when saved: no key checks)."""
    return "\n".join([
        "SET LOCAL lock_timeout = '20s';",
        "SET LOCAL session_replication_role = replica;",
        *(f'DELETE FROM public."{t}";' for t in tables),
        *(f'INSERT INTO public."{t}" OVERRIDING SYSTEM VALUE TABLE "{schema}"."{t}";' for t in tables),
        "SELECT setval(('public.' || quote_ident(name))::regclass, coalesce(last_value, 1),"
        " last_value IS NOT NULL)"
        f' FROM "{schema}"."_sequences";',
    ])


def _sqlite_copy(source: str | None, target: str | None) -> None:
    src, dst = sqlite3.connect(str(source)), sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _depth(seeds: dict[str, Seed], key: str) -> int:
    depth, seen = 0, seeds[key].parent
    while seen is not None:
        depth, seen = depth + 1, seeds[seen].parent
    return depth


def _seeds_of(request: pytest.FixtureRequest) -> Iterator[Seed]:
    """The seeded fixtures the test asks for (directly or not)."""
    test_file = Path(request.path).resolve()
    for name in request.fixturenames:
        seed = _seed_for(name, test_file)
        if seed is not None:
            yield seed


def _seed_for(name: str, test_file: Path) -> Seed | None:
    """The seeded fixture ``name`` as pytest finds it for the file: its own, else the nearest conftest's."""
    own = [s for s in SEEDS.values() if s.name == name and s.path == test_file]
    shared = sorted((s for s in SEEDS.values() if s.name == name and s.path.name == "conftest.py"
                     and s.path.parent in test_file.parents), key=lambda s: len(s.path.parts))
    return (own or shared or [None])[-1]


def seeded_first(items: list[pytest.Item]) -> None:
    """Set up each test's seeded fixtures before its others, so no other fixture writes before them."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if not names:
            continue
        test_file = Path(item.path).resolve()
        first = [name for name in names if _seed_for(name, test_file) is not None]
        names[:] = first + [name for name in names if name not in first]


def seeded(build: Callable[..., Any]) -> Any:
    """A function-scoped fixture whose rows are built once per session; ``build`` returns one ORM row."""
    path = Path(build.__code__.co_filename).resolve()
    # A conftest imported twice (by pytest, and by a test's `from tests.conftest import`) registers once.
    key = f"{path}::{build.__qualname__}"
    seed = SEEDS.setdefault(key, Seed(key, build.__name__, path))
    signature = pyinspect.signature(build)
    snapshots = pyinspect.Parameter("snapshots", pyinspect.Parameter.POSITIONAL_OR_KEYWORD)

    def fixture(snapshots: Snapshots, **kwargs: Any) -> Any:
        return snapshots.ensure(seed, lambda: build(**kwargs))

    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(fixture, attribute, getattr(build, attribute))
    fixture.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[snapshots, *signature.parameters.values()])
    return pytest.fixture(fixture)
