"""A large plan's documents, prepared in a thread of the web process while the page shows the progress.

A province's 台账 is ~26,000 lines at 1× and ~260,000 at 10×: writing the sheet alone costs minutes of CPU
at 10×, beyond any worker's request timeout, and no query can make it cheaper. So a plan with more than
``DIRECT_TASKS`` tasks gets its documents built after the request: the job row records the progress, the
page polls it and offers the file when it is ready. A job silent for ``SILENT_LIMIT`` died with its worker
(a restart, ``max_requests``) and is shown as failed; asking again starts a new one.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, select, update

from app.errors import NotFound, PermissionDenied
from app.exports import KINDS, build_document
from app.extensions import db
from app.models import ExportJob, ExportStatus, Plan, PlanTask, User
from app.models.base import utcnow
from app.services.scoring import assessment

log = logging.getLogger(__name__)

#: Plans up to this many tasks get their documents in the request (the real plan has 39 tasks).
DIRECT_TASKS = 100
SILENT_LIMIT = timedelta(minutes=10)
#: How long the thread waits for the request that made the job to commit it.
COMMIT_WAIT_SECONDS = 10.0


#: Not a download: every unit's annual score (``assessment.unit_scores``) for the assessment page, as JSON.
SCORES = "scores"


def is_large(plan: Plan) -> bool:
    """True when the plan's documents are prepared in the background."""
    tasks = db.session.scalar(select(func.count(PlanTask.id)).where(PlanTask.plan_id == plan.id))
    return (tasks or 0) > DIRECT_TASKS


def request_document(kind: str, plan: Plan, as_of: date, user: User) -> ExportJob:
    """A new job for ``user`` (the thread is started with ``start`` once the request is answered).

    :raises NotFound: an unknown kind.
    """
    if kind not in KINDS and kind != SCORES:
        raise NotFound("没有这种导出文件。")
    # One kept per user, kind and plan: the new one replaces the files asked for before.
    db.session.execute(delete(ExportJob).where(ExportJob.requested_by_id == user.id, ExportJob.kind == kind,
                                               ExportJob.plan_id == plan.id))
    job = ExportJob(kind=kind, plan_id=plan.id, as_of=as_of, requested_by_id=user.id)
    db.session.add(job)
    db.session.flush()
    return job


#: The name every export thread's name starts with (tests wait for them before the database goes).
THREAD_PREFIX = "export-"


def start(app: Flask, job_id: int) -> None:
    """Build the job's document in a daemon thread of this process."""
    threading.Thread(target=_run, args=(app, job_id), name=f"{THREAD_PREFIX}{job_id}", daemon=True).start()


def running_threads() -> list[threading.Thread]:
    """The export threads still at work in this process."""
    return [thread for thread in threading.enumerate() if thread.name.startswith(THREAD_PREFIX)]


def job_of(job_id: int, user: User) -> ExportJob:
    """The job, to the user who asked for it only.

    :raises NotFound: no such job.
    :raises PermissionDenied: another user's.
    """
    job = db.session.get(ExportJob, job_id)
    if job is None:
        raise NotFound("找不到该导出任务。")
    if job.requested_by_id != user.id:
        raise PermissionDenied("只能查看自己生成的文件。")
    return job


def latest_scores(plan: Plan, as_of: date, user: User) -> ExportJob | None:
    """The user's newest unit scores of the plan as of the day, ready or on their way (as of today: computed today;
    a past day's scores no longer change, see ``assessment.unit_scores``)."""
    return db.session.scalar(select(ExportJob).where(
        ExportJob.kind == SCORES, ExportJob.plan_id == plan.id, ExportJob.requested_by_id == user.id,
        ExportJob.as_of == as_of, ExportJob.status != ExportStatus.FAILED).order_by(ExportJob.id.desc()))


def scores_of(job: ExportJob) -> list[assessment.UnitScore]:
    """The unit scores a ready scores job computed."""
    return [assessment.UnitScore(row["unit_id"], row["unit_name"], _decimal(row["score"]), row["lead"],
                                 row["cooperating"], row["final"], row["rank"], row["overdue_open"])
            for row in json.loads(job.data or b"[]")]


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def is_stalled(job: ExportJob) -> bool:
    """True for a queued or running job not heard from within ``SILENT_LIMIT``."""
    return job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) and job.updated_at < utcnow() - SILENT_LIMIT


def _run(app: Flask, job_id: int) -> None:
    with app.app_context():
        job = _committed(job_id)
        if job is None:
            return  # the request that made it was rolled back
        plan, kind, as_of = db.session.get(Plan, job.plan_id), job.kind, job.as_of
        try:
            if plan is None:
                raise NotFound("工作计划已不存在。")
            _record(job_id, status=ExportStatus.RUNNING, progress=1)
            if kind == SCORES:
                _record(job_id, status=ExportStatus.READY, progress=100, mimetype="application/json",
                        data=_scores_json(plan, as_of))
                db.session.rollback()
                return
            document = build_document(kind, plan, as_of, progress=_reporter(job_id))
        except Exception as error:  # any failure is shown on the job's page, not lost in a thread
            log.exception("export job %s failed", job_id)
            db.session.rollback()
            _record(job_id, status=ExportStatus.FAILED, error=getattr(error, "message", None) or "生成文件时出错。")
            return
        db.session.rollback()  # the build only read
        _record(job_id, status=ExportStatus.READY, progress=100, filename=document.filename,
                mimetype=document.mimetype, data=document.data)


def _scores_json(plan: Plan, as_of: date) -> bytes:
    return json.dumps([{"unit_id": s.unit_id, "unit_name": s.unit_name,
                        "score": None if s.score is None else str(s.score), "lead": s.lead_task_count,
                        "cooperating": s.cooperating_task_count, "final": s.final, "rank": s.rank,
                        "overdue_open": s.overdue_open}
                       for s in assessment.unit_scores(plan.id, as_of)], ensure_ascii=False).encode()


def _committed(job_id: int) -> ExportJob | None:
    """The job once the request that made it has committed it."""
    waited = 0.0
    while waited < COMMIT_WAIT_SECONDS:
        job = db.session.get(ExportJob, job_id)
        if job is not None:
            return job
        db.session.rollback()
        time.sleep(0.1)
        waited += 0.1
    return None


def _reporter(job_id: int) -> Callable[[int], None]:
    def report(percent: int) -> None:
        _record(job_id, progress=max(1, min(99, percent)))
    return report


def _record(job_id: int, **values: Any) -> None:
    """Written in a transaction of its own, beside the build's reads."""
    with db.engine.begin() as connection:
        connection.execute(update(ExportJob).where(ExportJob.id == job_id).values(updated_at=utcnow(), **values))
