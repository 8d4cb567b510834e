"""The scheduler process keeps its static jobs in memory and runs them in an app context."""
from __future__ import annotations

import threading

from apscheduler.jobstores.memory import MemoryJobStore
from flask import current_app
from sqlalchemy import inspect

from app.extensions import db
from scheduler.jobs import JobSpec
from scheduler.process import build_scheduler

RAN = threading.Event()
SEEN_APPS: list[str] = []


def probe() -> None:
    """A job that notes the app it ran under."""
    SEEN_APPS.append(current_app.name)
    RAN.set()


def test_a_job_fires_inside_an_app_context_from_the_memory_job_store(app):
    scheduler = build_scheduler(app, (JobSpec("probe", probe, "interval", {"seconds": 1}),))
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        assert RAN.wait(timeout=10), "the job did not run"
    finally:
        scheduler.shutdown(wait=False)
        thread.join(timeout=10)
    assert SEEN_APPS[0] == app.name
    assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
    # Issue 12: nothing pickled into the application database any more.
    with db.engine.connect() as connection:
        assert "apscheduler_job" not in inspect(connection).get_table_names()
