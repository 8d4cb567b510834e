"""When each notice about a deadline falls due, in working days (pure: no database).

For a due date D and a policy: a reminder N working days before D, an overdue notice on
the first working day after D, an escalation to the unit head X working days after D
and to the bureau leaders Y working days after D.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.models.notice import NoticeKind
from app.services.timing.workdays import WorkCalendar

#: Escalation tiers: 1 goes to the unit head, 2 to the bureau leaders.
HEAD_TIER = 1
LEADER_TIER = 2


@dataclass(frozen=True)
class Timing:
    """A policy's numbers, in working days."""

    remind_before: int = 3
    escalate_head_after: int = 3
    escalate_leaders_after: int = 10


@dataclass(frozen=True)
class DueNotice:
    """One notice and the working day it belongs to."""

    kind: NoticeKind
    tier: int
    day: date


def notices_for(due: date, timing: Timing, calendar: WorkCalendar) -> list[DueNotice]:
    """Every notice about a deadline on ``due``, in the order they fall due."""
    notices = [
        DueNotice(NoticeKind.OVERDUE, 1, calendar.next_working_day(due)),
        DueNotice(NoticeKind.ESCALATION, HEAD_TIER, calendar.shift(due, timing.escalate_head_after)),
        DueNotice(NoticeKind.ESCALATION, LEADER_TIER, calendar.shift(due, timing.escalate_leaders_after)),
    ]
    if timing.remind_before > 0:
        notices.insert(0, DueNotice(NoticeKind.REMINDER, 1, calendar.shift(due, -timing.remind_before)))
    return notices


def due_by(notices: list[DueNotice], today: date) -> list[DueNotice]:
    """The notices whose day has come (each is sent once; the ones before today are late)."""
    return [notice for notice in notices if notice.day <= today]
