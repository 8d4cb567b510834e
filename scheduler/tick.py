"""One round of the scheduler's deadline work, in the order it must happen.

The notices and search entries of the steps completed since the last round go first (``step_notices.fan_out``,
which also runs as a job of its own every 20 seconds), then periodic progress reports open (their reminder
falls on the day they open), then the deadline sweep, stagnation, and the daily digests that collect what
the others recorded. Each step touches only what its indexed markers say is due and is
idempotent on its own, so the caller may commit between bounded batches (``checkpoint``)
and a tick killed half-way loses nothing: the next one does the rest.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.extensions import db
from app.services.lifecycle import progress_reports, step_notices
from app.services.timing import deadlines, digests, stagnation


def run(now: datetime, checkpoint: Callable[[], None] | None = None) -> list[dict[str, object]]:
    """Do the round at ``now``; one JSON-ready line per item opened and notice sent.

    ``checkpoint`` runs after each bounded batch (the scheduler passes the commit); by default it flushes.
    """
    step = checkpoint or db.session.flush
    step_notices.fan_out(step)
    lines = [opened.as_json() for opened in progress_reports.open_due(now, deadlines.work_calendar(), step)]
    lines += [notice.as_json() for notice in deadlines.sweep(now, step)]
    lines += [notice.as_json() for notice in stagnation.sweep(now, step)]
    lines += [{"key": digest.key, "kind": "digest", "tier": 0, "work_item": None,
               "recipients": [digest.user.username], "late": digest.late}
              for digest in digests.send_due(now, step)]
    return lines
