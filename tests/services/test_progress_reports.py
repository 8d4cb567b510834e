"""阶段性进展报送: one item per (task, unit, period), opened by the tick on its day, reported through the step page."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    AuditEvent,
    Decomposition,
    Notification,
    PlanTask,
    ProgressReport,
    ReportCycle,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.models.base import utcnow
from app.services.lifecycle import progress_reports
from app.services.plans import plan_import
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING, WorkCalendar, end_of_day
from scheduler import tick
from scheduler.cli import scheduler_command
from tests.conftest import PLAN_2023, csrf_token, login
from tests.snapshots import seeded


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


@pytest.mark.parametrize("month, expected", [
    (3, date(2023, 3, 24)),     # the 25th is a Saturday
    (6, date(2023, 6, 25)),     # a Sunday, but a 调休 working day after the Dragon Boat Festival
    (10, date(2023, 10, 25)),   # a Wednesday
    (11, date(2023, 11, 24)),   # a Saturday
    (2, date(2023, 2, 24)),     # a Saturday
])
def test_the_report_day_moves_back_to_the_last_working_day(month, expected):
    assert progress_reports.report_day_in(2023, month, 25, WorkCalendar()) == expected


def test_a_report_day_past_the_month_end_is_the_last_working_day_of_the_month():
    assert progress_reports.report_day_in(2023, 2, 31, WorkCalendar()) == date(2023, 2, 28)
    assert progress_reports.report_day_in(2023, 9, 31, WorkCalendar()) == date(2023, 9, 28)  # 29–30 National Day


def test_quarterly_periods_fall_in_the_last_month_and_open_before():
    found = progress_reports.periods(2023, ReportCycle.QUARTERLY, 25, 3, WorkCalendar())
    assert [(p.key, p.due, p.opens) for p in found] == [
        ("2023-Q1", date(2023, 3, 24), date(2023, 3, 21)),
        ("2023-Q2", date(2023, 6, 25), date(2023, 6, 19)),   # 22–24 June Dragon Boat holiday
        ("2023-Q3", date(2023, 9, 25), date(2023, 9, 20)),
        ("2023-Q4", date(2023, 12, 25), date(2023, 12, 20)),
    ]
    assert progress_reports.periods(2023, ReportCycle.NONE, 25, 3, WorkCalendar()) == []


@seeded
def monthly_plan(demo):
    """The 2023 plan imported on 20 September 2023 at 08:00, with monthly progress reports."""
    with time_machine.travel(at(date(2023, 9, 20), 8), tick=False):
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        draft = plan_import.start_import(demo, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        plan = plan_import.confirm_import(draft, {}, dushen)
        policy = deadlines.policy_for(plan.tasks[0])
        policy.report_cycle = ReportCycle.MONTHLY
        db.session.commit()
    return plan


def report_items() -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(WorkItem.form_key == "progress_report")
                                   .order_by(WorkItem.id)))


def parts(plan) -> int:
    return db.session.scalar(select(func.count(Decomposition.id)).join(PlanTask).where(PlanTask.plan_id == plan.id))


def test_one_item_per_task_unit_and_period_opened_on_its_day_once(monthly_plan):
    assert progress_reports.open_due(at(date(2023, 9, 19)), WorkCalendar()) == []
    opened = progress_reports.open_due(at(date(2023, 9, 20), 10), WorkCalendar())
    assert len(opened) == parts(monthly_plan) > 30
    assert {o.report.period for o in opened} == {"2023-09"} and not any(o.late for o in opened)
    items = report_items()
    assert {i.due_at.astimezone(BEIJING) for i in items} == {end_of_day(date(2023, 9, 25))}
    assert {i.step_name for i in items} == {"进展报送"} and all(i.role.value == "liaison" for i in items)
    assert progress_reports.open_due(at(date(2023, 9, 20), 15), WorkCalendar()) == []
    assert progress_reports.open_due(at(date(2023, 9, 26)), WorkCalendar()) == []
    october = progress_reports.open_due(at(date(2023, 10, 20)), WorkCalendar())   # 25 Oct less 3 working days
    assert {o.report.period for o in october} == {"2023-10"} and len(october) == parts(monthly_plan)
    db.session.commit()
    assert db.session.scalar(select(func.count(ProgressReport.id))) == 2 * parts(monthly_plan)


def test_periods_missed_while_down_open_late_and_periods_before_the_import_never(monthly_plan):
    opened = progress_reports.open_due(at(date(2023, 11, 21)), WorkCalendar())   # due Fri 24 Nov
    by_period = {}
    for o in opened:
        by_period.setdefault(o.report.period, []).append(o.late)
    assert sorted(by_period) == ["2023-09", "2023-10", "2023-11"]      # nothing for January–August
    assert all(by_period["2023-09"]) and all(by_period["2023-10"]) and not any(by_period["2023-11"])


def test_a_closed_part_gets_no_more_reports(monthly_plan):
    decomposition = db.session.scalars(select(Decomposition).order_by(Decomposition.id)).first()
    lifecycle = db.session.scalar(select(WorkflowInstance).where(
        WorkflowInstance.decomposition_id == decomposition.id))
    lifecycle.status = WorkflowStatus.COMPLETED
    decomposition.closed_at = utcnow()
    db.session.flush()
    opened = progress_reports.open_due(at(date(2023, 9, 20), 10), WorkCalendar())
    assert (decomposition.plan_task_id, decomposition.unit_id) not in {(o.report.plan_task_id, o.report.unit_id)
                                                                       for o in opened}
    assert len(opened) == parts(monthly_plan) - 1


def test_the_liaison_reports_and_only_the_own_unit_may(monthly_plan):
    progress_reports.open_due(at(date(2023, 9, 20), 10), WorkCalendar())
    task7 = next(t for t in monthly_plan.tasks if t.number == 7)
    item = next(i for i in report_items() if i.context["plan_task_id"] == task7.id)
    zhuce, kexin = (db.session.scalar(select(User).where(User.username == name)) for name in ("zhuce", "kexin"))
    with pytest.raises(PermissionDenied):
        progress_reports.submit_progress_report(item, "进展", 50, {}, kexin)
    with pytest.raises(ValidationFailed, match="不属于该任务"):
        progress_reports.submit_progress_report(item, "进展", 50, {10**6: Decimal(1)}, zhuce)
    with pytest.raises(ValidationFailed, match="0 到 100"):
        progress_reports.submit_progress_report(item, "进展", 120, {}, zhuce)
    target = task7.targets[0]
    report = progress_reports.submit_progress_report(item, " 本月新增 3 个行业 ", 40, {target.id: Decimal("3")}, zhuce)
    assert (report.progress, report.percent_done, report.actuals) == ("本月新增 3 个行业", 40, {str(target.id): "3"})
    assert item.state is WorkItemState.COMPLETED and report.submitted_by_id == zhuce.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "progress_report",
                                                      AuditEvent.action == "submitted")) is not None


def test_the_tick_prints_opened_items_and_their_reminder(app, monthly_plan):
    runner = app.test_cli_runner()
    result = runner.invoke(scheduler_command, ["tick", "--now", "2023-09-20T11:00:00+08:00"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    opened = [line for line in lines if line["kind"] == "progress_report"]
    assert len(opened) == parts(monthly_plan)
    assert all(set(line) == {"key", "kind", "tier", "work_item", "recipients", "late"} for line in lines)
    reminded = {line["work_item"] for line in lines if line["kind"] == "reminder"}
    zhuce_items = {i.id for i in report_items() if i.unit_id == db.session.scalar(
        select(User.unit_id).where(User.username == "zhuce"))}
    assert zhuce_items and zhuce_items <= reminded         # the item opens on its reminder day
    assert {tuple(line["recipients"]) for line in opened if line["work_item"] in zhuce_items} == {("zhuce",)}
    again = runner.invoke(scheduler_command, ["tick", "--now", "2023-09-20T15:00:00+08:00"])
    assert again.exit_code == 0 and again.stdout == ""


def test_the_step_page_and_the_task_history(app, monthly_plan):
    progress_reports.open_due(at(date(2023, 9, 20), 10), WorkCalendar())
    db.session.commit()
    task7 = next(t for t in monthly_plan.tasks if t.number == 7)
    item = next(i for i in report_items() if i.context["plan_task_id"] == task7.id)
    client = app.test_client()
    assert login(client, "zhuce").status_code == 302
    url = f"/work/items/{item.id}"
    page = client.get(url).get_data(as_text=True)
    assert "本期工作进展" in page and "可不填" in page
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "progress": "", "percent_done": "30",
                                     "submit": "报送"}).get_data(as_text=True)
    assert "请填写本期工作进展" in refused
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "progress": "推进顺利", "percent_done": "0",
                                  "submit": "报送"})
    assert done.status_code == 302
    history = client.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert 'data-testid="progress-reports"' in history and "推进顺利" in history and "2023-09" in history
    other = app.test_client()
    assert login(other, "kexin").status_code == 302
    assert other.get(url).status_code in (302, 403)


def test_two_concurrent_ticks_never_open_a_period_twice_nor_send_a_notice_twice(app, monthly_plan, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them itself)")
    barrier, results, errors = threading.Barrier(2), [], []

    def one_tick() -> None:
        with app.app_context():
            try:
                barrier.wait()
                lines = tick.run(at(date(2023, 10, 20), 10))
                results.append(len([line for line in lines if line["kind"] == "progress_report"]))
                db.session.commit()
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    count = db.session.scalar(select(func.count(ProgressReport.id)))
    items = db.session.scalar(select(func.count(WorkItem.id)).where(WorkItem.form_key == "progress_report"))
    assert count == items == 2 * parts(monthly_plan) == sum(results)    # September (late) and October
    keys = db.session.execute(select(Notification.key, Notification.user_id)).all()
    assert len(keys) == len(set(keys)) > 0
