"""Scheduled jobs: each is a thin call into a service in app/, committed once.

Each runs inside an app context (scheduler/process.py provides it).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.extensions import db
from app.models.base import utcnow
from app.services.infrastructure import channel_outbox, notices
from app.services.lifecycle import step_notices
from app.services.timing import calendar_overrides
from app.services.timing.workdays import BEIJING
from app.transaction import unit_of_work
from scheduler import tick

logger = logging.getLogger(__name__)


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


def deliver_channels() -> None:
    """Pass new notices to SMS, group robots and webhooks, and send what is due, committing after each."""
    with unit_of_work():
        channel_outbox.deliver_round(utcnow(), checkpoint=db.session.commit)


def sweep_deadlines() -> None:
    """Open due progress reports; send the reminders, overdue, escalation and stagnation notices, digests.

    Committed batch by batch, so a long catch-up holds no transaction open and a kill loses nothing.
    """
    with unit_of_work():
        tick.run(utcnow(), checkpoint=db.session.commit)


def fan_out_steps() -> None:
    """Tell others what the steps completed since the last run mean for them: notices, search entries."""
    with unit_of_work():
        step_notices.fan_out(checkpoint=db.session.commit)


def check_calendar() -> None:
    """Log a warning when this year or next is missing from the holiday calendar (weekdays are assumed)."""
    for warning in calendar_overrides.coverage_warnings(datetime.now(BEIJING).date()):
        logger.warning("节假日日历缺失:%s", warning)


JOBS: tuple[JobSpec, ...] = (
    JobSpec("sweep_deadlines", sweep_deadlines, "interval", {"minutes": 5}),
    JobSpec("deliver_mail", deliver_mail, "interval", {"minutes": 1}),
    JobSpec("deliver_channels", deliver_channels, "interval", {"minutes": 1}),
    JobSpec("fan_out_steps", fan_out_steps, "interval", {"seconds": 20}),
    JobSpec("check_calendar", check_calendar, "cron", {"hour": 8, "minute": 0}),
)
