"""Building and running the one scheduler process (web workers never start one)."""
from __future__ import annotations

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from scheduler.jobs import JOBS, JobSpec


def build_scheduler(app: Flask, jobs: tuple[JobSpec, ...] = JOBS) -> BlockingScheduler:
    """A scheduler whose jobs live in the application database, each run inside an app context."""
    store = SQLAlchemyJobStore(url=app.config["SQLALCHEMY_DATABASE_URI"], tablename="apscheduler_job")
    scheduler = BlockingScheduler(jobstores={"default": store}, timezone="Asia/Shanghai")
    for job in jobs:
        scheduler.add_job(
            _in_app_context, job.trigger, args=[app, job.func], id=job.id, name=job.id,
            replace_existing=True, coalesce=True, max_instances=1, **job.trigger_args,
        )
    return scheduler


def _in_app_context(app: Flask, func) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        func()
