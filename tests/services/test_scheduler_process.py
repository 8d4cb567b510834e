"""The scheduler process stores its jobs in the application database and runs them in an app context."""
from __future__ import annotations

import threading

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


def test_a_stored_job_fires_inside_an_app_context(app):
    scheduler = build_scheduler(app, (JobSpec("probe", probe, "interval", {"seconds": 1}),))
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        assert RAN.wait(timeout=10), "the job did not run"
    finally:
        scheduler.shutdown(wait=False)
        thread.join(timeout=10)
    assert SEEN_APPS[0] == app.name
    with db.engine.connect() as connection:
        assert "apscheduler_job" in inspect(connection).get_table_names()
