"""One round of the scheduler's deadline work, in the order it must happen.

Periodic progress reports open first (their reminder falls on the day they open),
then the deadline sweep, stagnation notices, and the daily digests that collect what
the first three recorded. Each step is idempotent on its own; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from app.services import deadlines, digests, progress_reports, stagnation


def run(now: datetime) -> list[dict[str, object]]:
    """Do the round at ``now``; one JSON-ready line per item opened and notice sent."""
    lines = [opened.as_json() for opened in progress_reports.open_due(now, deadlines.work_calendar())]
    lines += [notice.as_json() for notice in deadlines.sweep(now)]
    lines += [notice.as_json() for notice in stagnation.sweep(now)]
    lines += [{"key": digest.key, "kind": "digest", "tier": 0, "work_item": None,
               "recipients": [digest.user.username], "late": digest.late} for digest in digests.send_due(now)]
    return lines
