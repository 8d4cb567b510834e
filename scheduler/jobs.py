"""Scheduled jobs: each is a thin call into a service in app/, committed once.

Each runs inside an app context (scheduler/process.py provides it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.extensions import db
from app.models.base import utcnow
from app.services import notices, tick
from app.transaction import unit_of_work


@dataclass(frozen=True)
class JobSpec:
    """One recurring job: its stable id (also the function name), function and trigger."""

    id: str
    func: Callable[[], None]
    trigger: str
    trigger_args: dict[str, Any] = field(default_factory=dict)


def deliver_mail() -> None:
    """Send the outbox's due e-mails, committing after each so none goes out twice."""
    with unit_of_work():
        notices.deliver_pending(utcnow(), checkpoint=db.session.commit)


def sweep_deadlines() -> None:
    """Open due progress reports; send the reminders, overdue, escalation and stagnation notices and digests due."""
    with unit_of_work():
        tick.run(utcnow())


JOBS: tuple[JobSpec, ...] = (
    JobSpec("sweep_deadlines", sweep_deadlines, "interval", {"minutes": 5}),
    JobSpec("deliver_mail", deliver_mail, "interval", {"minutes": 1}),
)
