"""Building and running the one scheduler process (web workers never start one).

The jobs are static (scheduler/jobs.py), so they live in APScheduler's memory job store: a
restarted scheduler simply schedules them again. What is due lives in the database, which
every job reads, so nothing is lost while the process is down.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from scheduler.jobs import JOBS, JobSpec


def build_scheduler(app: Flask, jobs: tuple[JobSpec, ...] = JOBS) -> BlockingScheduler:
    """A scheduler running ``jobs``, each inside an app context of ``app``."""
    scheduler = BlockingScheduler(jobstores={"default": MemoryJobStore()}, timezone="Asia/Shanghai")
    for job in jobs:
        scheduler.add_job(partial(run_in_context, app, job.func), job.trigger, id=job.id, name=job.id,
                          coalesce=True, max_instances=1, **job.trigger_args)
    check = next((job for job in jobs if job.id == "check_calendar"), None)
    if check is not None:
        run_in_context(app, check.func)  # warn of a missing holiday calendar at start too, not only at 08:00
    return scheduler


def run_in_context(app: Flask, func: Callable[[], None]) -> None:
    """Run one job inside the app's context."""
    with app.app_context():
        func()
