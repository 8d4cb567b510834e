"""Every dashboard figure of the hand-built scenario, exactly (tests/dashboard_scenario.py)."""
from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.services.dashboards import lists, overview, targets
from app.services.dashboards.facts import Filters, TaskState
from app.services.dashboards.ledger import ledger_rows
from tests.dashboard_scenario import AS_OF, build_scenario


@pytest.fixture
def scenario(demo):
    built = build_scenario(demo)
    db.session.commit()
    return built


def test_counts_by_state(scenario):
    assert overview.state_counts(scenario.plan_id, AS_OF) == {
        TaskState.NOT_STARTED: 0, TaskState.DECOMPOSING: 2, TaskState.IN_PROGRESS: 1, TaskState.CLOSED: 1}


def test_headline_totals(scenario):
    totals = overview.totals(scenario.plan_id, AS_OF)
    assert (totals.tasks, totals.closed_tasks, totals.milestones, totals.approved, totals.overdue, totals.due_soon,
            totals.due, totals.on_time) == (4, 1, 5, 2, 1, 1, 3, 1)
    assert totals.percent_done == 40.0
    assert totals.on_time_rate == 33.3


def test_the_as_of_day_decides_what_counts_as_approved(scenario):
    # By 24 October M1d (due 12-31, reported 10-20) is approved: delivered early, it counts as due and on time.
    later = overview.totals(scenario.plan_id, date(2023, 10, 24))
    assert (later.approved, later.overdue, later.due, later.on_time) == (3, 2, 5, 2)
    earlier = overview.totals(scenario.plan_id, date(2023, 7, 1))
    assert (earlier.approved, earlier.overdue, earlier.due) == (0, 1, 1)


def test_progress_by_section(scenario):
    rows = [(s.name, s.tasks, s.milestones, s.approved, s.overdue, s.percent_done)
            for s in overview.section_progress(scenario.plan_id, AS_OF)]
    assert rows == [("一、优化营商环境", 2, 5, 2, 1, 40.0), ("二、强化质量安全", 2, 0, 0, 0, None)]


def test_progress_by_unit_most_behind_first(scenario):
    rows = [(u.name, u.tasks, u.milestones, u.approved, u.overdue, u.due, u.on_time, u.on_time_rate)
            for u in overview.unit_progress(scenario.plan_id, AS_OF)]
    assert rows == [("注册处", 1, 4, 1, 1, 2, 1, 50.0), ("科信处", 1, 1, 1, 0, 1, 0, 0.0)]


def test_units_ranked_by_on_time_rate(scenario):
    assert [u.name for u in overview.units_by_on_time_rate(scenario.plan_id, AS_OF)] == ["注册处", "科信处"]


def test_overdue_due_soon_and_returned_lists(scenario):
    assert [(i.title, i.unit_name, i.due_date, i.days_late) for i in lists.overdue(scenario.plan_id, AS_OF)] == [
        ("节点M1b", "注册处", date(2023, 9, 30), 9)]
    assert [(i.title, i.days_late) for i in lists.due_soon(scenario.plan_id, AS_OF)] == [("节点M1c", -3)]
    assert [(i.task_number, i.title, i.unit_name, i.note) for i in lists.returned(scenario.plan_id, AS_OF)] == [
        (1, "节点M1b", "注册处", "材料不全"), (4, "任务分解", "科信处", None)]


def test_targets_against_reported_actuals(scenario):
    rows = [(t.phrase, int(t.value), t.reported and int(t.reported), t.percent)
            for t in targets.target_progress(scenario.plan_id, AS_OF)]
    # M1b's 150000 was returned: the actual stays M1a's approved 100000, the 150000 shows as returned.
    assert rows == [("抽检食品23万批次", 230000, 100000, 43.5), ("新增50项", 50, None, None)]
    shown = [(t.unapproved and int(t.unapproved), t.unapproved_state)
             for t in targets.target_progress(scenario.plan_id, AS_OF)]
    assert shown == [(150000, "已退回"), (None, None)]
    # M1d's 230000, approved 10-23, is the actual from that day on; the day before it was still 待审核.
    food = targets.target_progress(scenario.plan_id, date(2023, 10, 22))[0]
    assert (food.reported, food.unapproved, food.unapproved_state) == (100000, 230000, "待审核")
    assert int(targets.target_progress(scenario.plan_id, date(2023, 10, 23))[0].reported) == 230000


def test_completed_milestones_per_week(scenario):
    weeks = targets.weekly_completions(scenario.plan_id, AS_OF)
    assert weeks[0].monday == date(2023, 7, 3) and weeks[-1].monday == date(2023, 10, 9)
    assert len(weeks) == 15
    assert [(w.monday, w.approved) for w in weeks if w.approved] == [(date(2023, 7, 3), 1), (date(2023, 9, 4), 1)]
    assert weeks[-1].cumulative == 2


def test_filters_narrow_every_figure(scenario):
    by_unit = Filters(unit_id=scenario.kexin_id)
    assert overview.state_counts(scenario.plan_id, AS_OF, by_unit)[TaskState.DECOMPOSING] == 1
    assert overview.totals(scenario.plan_id, AS_OF, by_unit).tasks == 3
    assert [u.name for u in overview.unit_progress(scenario.plan_id, AS_OF, by_unit)] == ["科信处"]
    by_section = Filters(section_id=scenario.section_ids[1])
    assert overview.totals(scenario.plan_id, AS_OF, by_section).milestones == 0
    assert [s.name for s in overview.section_progress(scenario.plan_id, AS_OF, by_section)] == ["二、强化质量安全"]
    closed = Filters(state=TaskState.CLOSED)
    assert overview.totals(scenario.plan_id, AS_OF, closed).milestones == 1


def test_ledger_rows(scenario):
    rows = ledger_rows(scenario.plan_id, AS_OF)
    assert len(rows) == 4 + 5
    task1 = rows[0]
    assert (task1.supervision_number, task1.section, task1.lead, task1.cooperating, task1.due_date, task1.state) == (
        "督〔2023〕1号", "一", "注册处", "科信处", date(2023, 12, 31), "推进中")
    assert task1.latest_progress == "80%:第二批抽检过半(已退回)"   # returned: never shown as settled
    m1b = next(r for r in rows if r.milestone_title == "节点M1b")
    assert (m1b.state, m1b.cooperating, m1b.last_review) == ("已逾期", "科信处", "督审处退回:材料不全")
    m1a = next(r for r in rows if r.milestone_title == "节点M1a")
    assert (m1a.state, m1a.latest_progress, m1a.last_review) == ("已完成", "100%:完成第一批抽检", "督审处通过(优)")
    m1d = next(r for r in rows if r.milestone_title == "节点M1d")
    assert (m1d.state, m1d.latest_progress, m1d.last_review) == ("推进中", "", "")
    # Reported 10-20, approved 10-23: waiting on the 21st, settled on the 23rd.
    m1d_on = {day: next(r for r in ledger_rows(scenario.plan_id, day) if r.milestone_title == "节点M1d")
              for day in (date(2023, 10, 21), date(2023, 10, 23))}
    assert m1d_on[date(2023, 10, 21)].latest_progress == "100%:全年完成(待审核)"
    assert m1d_on[date(2023, 10, 23)].latest_progress == "100%:全年完成"


def test_lights_per_section_in_the_ledger_and_as_a_filter(scenario):
    from app.services.dashboards import lighting

    # M1b is past due (红), M1c due on the 3rd working day (蓝); task 1 takes its worst part's light.
    assert lighting.lights_by_section(scenario.plan_id, AS_OF) == {
        scenario.section_ids[0]: {"红": 1, "绿": 1}, scenario.section_ids[1]: {"绿": 2}}
    lights = [r.light for r in ledger_rows(scenario.plan_id, AS_OF)]
    assert lights == ["红", "绿", "红", "蓝", "绿", "绿", "绿", "绿", "绿"]
    assert overview.totals(scenario.plan_id, AS_OF, Filters(light="red")).tasks == 1
    assert overview.totals(scenario.plan_id, AS_OF, Filters(light="green")).tasks == 3
