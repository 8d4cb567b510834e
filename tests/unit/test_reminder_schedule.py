"""Which notice falls due on which working day, around real holidays."""
from datetime import date

import pytest

from app.services.timing.reminder_schedule import DueNotice, NoticeKind, Timing, due_by, notices_for
from app.services.timing.workdays import WorkCalendar

CALENDAR = WorkCalendar()
REMIND, OVERDUE, ESCALATE = NoticeKind.REMINDER, NoticeKind.OVERDUE, NoticeKind.ESCALATION


def test_a_deadline_right_after_national_day_2023():
    # Due Monday 9 Oct 2023: 29 Sep–6 Oct holiday, 7 and 8 Oct are 调休 working days.
    notices = notices_for(date(2023, 10, 9), Timing(remind_before=3, escalate_head_after=3,
                                                    escalate_leaders_after=10), CALENDAR)
    assert notices == [
        DueNotice(REMIND, 1, date(2023, 9, 28)),      # 8 Oct, 7 Oct, then back over the holiday to 28 Sep
        DueNotice(OVERDUE, 1, date(2023, 10, 10)),
        DueNotice(ESCALATE, 1, date(2023, 10, 12)),
        DueNotice(ESCALATE, 2, date(2023, 10, 23)),
    ]


def test_a_deadline_on_a_make_up_saturday():
    # Saturday 7 Oct 2023 is a working day; the holiday before it holds no working day.
    notices = notices_for(date(2023, 10, 7), Timing(remind_before=1, escalate_head_after=1), CALENDAR)
    assert [n.day for n in notices[:3]] == [date(2023, 9, 28), date(2023, 10, 8), date(2023, 10, 8)]


@pytest.mark.parametrize("today, expected", [
    (date(2023, 9, 27), []),
    (date(2023, 9, 28), [REMIND]),
    (date(2023, 10, 12), [REMIND, OVERDUE, ESCALATE]),
])
def test_due_by_gives_every_notice_whose_day_has_come(today, expected):
    notices = notices_for(date(2023, 10, 9), Timing(), CALENDAR)
    assert [n.kind for n in due_by(notices, today)] == expected


def test_no_reminder_when_the_policy_says_zero_days():
    kinds = [n.kind for n in notices_for(date(2023, 6, 30), Timing(remind_before=0), CALENDAR)]
    assert REMIND not in kinds
