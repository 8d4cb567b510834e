"""Building and running the one scheduler process (web workers never start one).

APScheduler's SQLAlchemy job store pickles each job, so a job is stored as the name of
``run_job`` and the job's id; the Flask app stays in this process (``_APP``), set once
when the scheduler is built.
"""
from __future__ import annotations

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from scheduler.jobs import JOBS, JobSpec

_APP: Flask | None = None
_JOBS_BY_ID: dict[str, JobSpec] = {}


def build_scheduler(app: Flask, jobs: tuple[JobSpec, ...] = JOBS) -> BlockingScheduler:
    """A scheduler whose jobs live in the application database, each run inside an app context."""
    global _APP
    _APP = app
    _JOBS_BY_ID.update({job.id: job for job in jobs})
    store = SQLAlchemyJobStore(url=app.config["SQLALCHEMY_DATABASE_URI"], tablename="apscheduler_job")
    scheduler = BlockingScheduler(jobstores={"default": store}, timezone="Asia/Shanghai")
    for job in jobs:
        scheduler.add_job(
            "scheduler.process:run_job", job.trigger, args=[job.id], id=job.id, name=job.id,
            replace_existing=True, coalesce=True, max_instances=1, **job.trigger_args,
        )
    if any(job.id == "check_calendar" for job in jobs):
        run_job("check_calendar")  # warn of a missing holiday calendar at start too, not only at 08:00
    return scheduler


def run_job(job_id: str) -> None:
    """Run one job by id inside the process's app context."""
    if _APP is None:
        raise RuntimeError("scheduler not built: call build_scheduler(app) first")
    with _APP.app_context():
        _JOBS_BY_ID[job_id].func()
