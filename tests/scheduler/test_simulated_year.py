"""Done when: `duban scheduler tick --now` run on every day of 2023 sends each notice on its working day, once.

The real 2023 plan is imported on 4 January; task 7 (注册处) is decomposed into milestones
due right after Labour Day, on the 调休 Saturday 7 October, on the Monday after National
Day and at the year's end; every other decomposition is left to run overdue through both
escalation tiers; the plan asks for quarterly progress reports. Then the tick runs at 09:00
Beijing time on every day of the year (the clock travelling with it), some days twice,
with the scheduler down from 28 September to 10 October. Expectations are computed here
from `chinese_calendar` directly, not from Duban's WorkCalendar.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import ReportCycle, ReviewDecision, Role, User, UserRole, WorkItem
from app.services.lifecycle import decomposition
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.plans import plan_import
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING
from scheduler.cli import scheduler_command
from tests.conftest import PLAN_2023

FIRST_TICK, LAST_TICK = date(2023, 1, 7), date(2023, 12, 31)
DOWN = (date(2023, 9, 28), date(2023, 10, 10))          # no tick on these days, both included
TWICE = {date(2023, 1, 18), date(2023, 5, 4), date(2023, 10, 11), date(2023, 12, 29)}
MILESTONE_DAYS = [date(2023, 5, 4), date(2023, 10, 7), date(2023, 10, 9), date(2023, 12, 29)]


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


def shift(day: date, working_days: int) -> date:
    """The working day ``working_days`` after (before, when negative) ``day``, by the announced calendar."""
    step = timedelta(days=1 if working_days > 0 else -1)
    remaining = abs(working_days)
    while remaining:
        day += step
        remaining -= chinese_calendar.is_workday(day)
    return day


def quarter_due(quarter: int) -> date:
    """The 25th of the quarter's last month, or the last working day before it."""
    day = date(2023, 3 * quarter, 25)
    while not chinese_calendar.is_workday(day):
        day -= timedelta(days=1)
    return day


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def year_2023(demo):
    """Import on 4 Jan; decompose task 7 on 5 Jan and confirm it on 6 Jan; quarterly reports."""
    with time_machine.travel(at(date(2023, 1, 4), 10), tick=False):
        draft = plan_import.start_import(demo, user("dushen"), None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        plan = plan_import.confirm_import(draft, {}, user("dushen"))
        deadlines.policy_for(plan.tasks[0]).report_cycle = ReportCycle.QUARTERLY
        db.session.commit()
    task7 = next(t for t in plan.tasks if t.number == 7)
    with time_machine.travel(at(date(2023, 1, 5), 10), tick=False):
        item = open_item("decomposition", task7.id)
        plans = [MilestonePlan(f"节点{n}", "阶段成果", day, user("zhuce").id)
                 for n, day in enumerate(MILESTONE_DAYS, 1)]
        decomposition.submit_decomposition(item, plans, None, user("zhuce"))
        db.session.commit()
    with time_machine.travel(at(date(2023, 1, 6), 10), tick=False):
        decomposition.review_decomposition(open_item("decomposition_review", task7.id), ReviewDecision.APPROVE, None,
                                           user("dushen"))
        db.session.commit()
    return plan


def open_item(form_key: str, task_id: int) -> WorkItem:
    items = db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key, WorkItem.state == "open"))
    return next(i for i in items if i.context["plan_task_id"] == task_id)


def tick_days() -> list[tuple[date, int]]:
    days, day = [], FIRST_TICK
    while day <= LAST_TICK:
        if not DOWN[0] <= day <= DOWN[1]:
            days.append((day, 9))
            if day in TWICE:
                days.append((day, 16))
        day += timedelta(days=1)
    return days


def run_the_year(app) -> dict[str, list[tuple[date, bool]]]:
    """Every key the ticks printed → the days (and late flags) it was printed on."""
    runner, seen = app.test_cli_runner(), defaultdict(list)
    for day, hour in tick_days():
        with time_machine.travel(at(day, hour), tick=False):
            result = runner.invoke(scheduler_command, ["tick", "--now", at(day, hour).isoformat()])
        assert result.exit_code == 0, (day, result.output)
        for line in map(json.loads, result.stdout.splitlines()):
            seen[line["key"]].append((day, line["late"]))
    return seen


def sent_on(expected_day: date) -> tuple[date, bool]:
    """When a notice due on ``expected_day`` goes out: that day, or late on the first tick after the downtime."""
    return (DOWN[1] + timedelta(days=1), True) if DOWN[0] <= expected_day <= DOWN[1] else (expected_day, False)


class People:
    """Who could receive what (so a notice nobody can receive is not expected)."""

    def __init__(self) -> None:
        rows = db.session.execute(select(UserRole.role, User.unit_id).join(User)).all()
        self.units = defaultdict(set)
        for role, unit_id in rows:
            self.units[role].add(unit_id)

    def reachable(self, item: WorkItem, kind: str, tier: int) -> bool:
        if kind == "escalation":
            return bool(self.units[Role.LEADER]) if tier == 2 else item.unit_id in self.units[Role.UNIT_HEAD]
        if kind == "stagnation" or item.role is Role.SUPERVISOR:
            return bool(self.units[Role.SUPERVISOR])
        return item.unit_id in self.units[item.role]


def expected_notices(items: list[WorkItem]) -> dict[str, date]:
    people, expected = People(), {}
    for item in items:
        created = item.created_at.astimezone(BEIJING).date()
        candidates = {f"work_item:{item.id}:stagnation:{created.isoformat()}": ("stagnation", 1, shift(created, 15))}
        if item.due_at is not None:
            due = item.due_at.astimezone(BEIJING).date()
            candidates.update({
                f"work_item:{item.id}:reminder:1:v1": ("reminder", 1, shift(due, -3)),
                f"work_item:{item.id}:overdue:1:v1": ("overdue", 1, shift(due, 1)),
                f"work_item:{item.id}:escalation:1:v1": ("escalation", 1, shift(due, 3)),
                f"work_item:{item.id}:escalation:2:v1": ("escalation", 2, shift(due, 10)),
            })
        expected.update({key: day for key, (kind, tier, day) in candidates.items()
                         if day <= LAST_TICK and people.reachable(item, kind, tier)})
    return expected


def test_a_simulated_year_sends_every_notice_on_its_working_day_once(app, year_2023):
    seen = run_the_year(app)

    assert all(len(days) == 1 for days in seen.values()), {k: v for k, v in seen.items() if len(v) > 1}
    items = list(db.session.scalars(select(WorkItem).where(WorkItem.state == "open").order_by(WorkItem.id)))
    reports = [i for i in items if i.form_key == "progress_report"]
    milestones = [i for i in items if i.form_key == "milestone_report"]

    # Milestones fall on the chosen days; quarterly reports on the 25th or the working day before.
    assert sorted(i.due_at.astimezone(BEIJING).date() for i in milestones) == MILESTONE_DAYS
    assert {i.due_at.astimezone(BEIJING).date() for i in reports} == {quarter_due(q) for q in range(1, 5)}
    opened = {k: v for k, v in seen.items() if k.startswith("progress_report:")}
    assert len(opened) == len(reports) == 4 * len({(i.context["plan_task_id"], i.unit_id) for i in reports})
    for key, [(day, late)] in opened.items():
        quarter = int(key.rsplit("-Q", 1)[1])
        assert (day, late) == sent_on(shift(quarter_due(quarter), -3)), key

    expected = expected_notices(items)
    notices = {k: v[0] for k, v in seen.items() if k.startswith("work_item:")}
    assert set(notices) == set(expected)
    wrong = {key: (notices[key], sent_on(day)) for key, day in expected.items() if notices[key] != sent_on(day)}
    assert wrong == {}

    # The cases the issue names, spelled out.
    on_saturday = next(i for i in milestones if i.due_at.astimezone(BEIJING).date() == date(2023, 10, 7))
    assert notices[f"work_item:{on_saturday.id}:reminder:1:v1"] == (date(2023, 9, 26), False)
    assert notices[f"work_item:{on_saturday.id}:overdue:1:v1"] == (date(2023, 10, 11), True)   # due Sun 8 Oct (调休)
    assert notices[f"work_item:{on_saturday.id}:escalation:1:v1"] == (date(2023, 10, 11), True)  # due 10 Oct
    assert notices[f"work_item:{on_saturday.id}:escalation:2:v1"] == (date(2023, 10, 19), False)
    leaders = [k for k in notices if k.endswith(":escalation:2:v1")]
    heads = [k for k in notices if k.endswith(":escalation:1:v1")]
    assert len(leaders) > 40 and heads
