"""阶段性进展报送: periodic progress reports each decomposing unit owes on each open task.

A plan whose policy has a report cycle asks every unit that decomposes a task (and has
not closed its part) for one report per period, due on the policy's report day — the
25th by default; when that is not a working day, the last working day before it. A
quarter's report is due on the report day of its last month. The sweep opens the work
item ``remind_before`` working days before the due date (on the due date when there is
no reminder), never for a period due before the plan was imported. The row for
(task, unit, period) is inserted before the process starts, inside a SAVEPOINT, so a
repeated or concurrent tick opens nothing twice.
"""
from __future__ import annotations

import calendar as months
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import workflow
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    DeadlinePolicy,
    Decomposition,
    InstanceKind,
    Plan,
    PlanStatus,
    PlanTarget,
    PlanTask,
    ProgressReport,
    ReportCycle,
    Role,
    StepKey,
    User,
    UserRole,
    WorkItem,
)
from app.models.base import utcnow
from app.services.infrastructure import audit, notices
from app.services.lifecycle import work_items
from app.services.lifecycle.reporting import check_actuals
from app.services.timing.workdays import BEIJING, WorkCalendar, end_of_day

PROGRESS_PROCESS = "progress_report"


@dataclass(frozen=True)
class Period:
    """One reporting period of a plan year: its key, due date and the day its item opens."""

    key: str
    due: date
    opens: date


@dataclass(frozen=True)
class OpenedReport:
    """A progress-report work item the sweep opened, as `duban scheduler tick` prints it."""

    report: ProgressReport
    work_item: WorkItem
    late: bool
    #: The unit's liaisons, who now find it in their inbox.
    liaisons: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        """The JSON line for operators and cron (the same fields as a notice's)."""
        key = f"progress_report:{self.report.plan_task_id}:{self.report.unit_id}:{self.report.period}"
        return {"key": key, "kind": "progress_report", "tier": 0, "work_item": self.work_item.id,
                "recipients": list(self.liaisons), "late": self.late}


def report_day_in(year: int, month: int, report_day: int, calendar: WorkCalendar) -> date:
    """The report day of a month, moved back to the last working day on or before it."""
    day = date(year, month, min(max(report_day, 1), months.monthrange(year, month)[1]))
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def periods(year: int, cycle: ReportCycle, report_day: int, remind_before: int, calendar: WorkCalendar) -> list[Period]:
    """Every reporting period of ``year`` under a cycle, in order (none without a cycle)."""
    if cycle is ReportCycle.MONTHLY:
        slots = [(f"{year}-{m:02d}", m) for m in range(1, 13)]
    elif cycle is ReportCycle.QUARTERLY:
        slots = [(f"{year}-Q{q}", 3 * q) for q in range(1, 5)]
    else:
        return []
    result = []
    for key, month in slots:
        due = report_day_in(year, month, report_day, calendar)
        result.append(Period(key, due, calendar.shift(due, -remind_before) if remind_before > 0 else due))
    return result


def open_due(now: datetime, calendar: WorkCalendar,
             checkpoint: Callable[[], None] | None = None) -> list[OpenedReport]:
    """Open every progress report whose opening day has come and that is not open yet.

    A plan whose periods are all open up to ``reports_opened_until`` costs one date
    comparison; otherwise its parts are opened ``BATCH`` at a time, ``checkpoint`` (default:
    flush) after each, and the marker moves only once every part has its report, so a tick
    killed half-way finishes the rest next time (the unique row skips what was opened).
    """
    today = now.astimezone(BEIJING).date()
    opened: list[OpenedReport] = []
    query = (select(Plan, DeadlinePolicy).join(DeadlinePolicy, DeadlinePolicy.plan_id == Plan.id)
             .where(Plan.status == PlanStatus.ACTIVE, DeadlinePolicy.report_cycle != ReportCycle.NONE))
    for plan, policy in db.session.execute(query).all():
        imported = plan.imported_at.astimezone(BEIJING).date()
        done = policy.reports_opened_until or date.min
        due_now = [p for p in periods(plan.year, policy.report_cycle, policy.report_day, policy.remind_before, calendar)
                   if p.opens <= today and p.due >= imported and p.due > done]
        if due_now:
            ensure_deployed()
            opened += _open_for_plan(plan, due_now, today, checkpoint or db.session.flush)
            policy.reports_opened_until = max(p.due for p in due_now)
            (checkpoint or db.session.flush)()
    return opened


#: Reports opened per batch (each starts a workflow instance).
BATCH = 200


def _open_for_plan(plan: Plan, due_now: list[Period], today: date,
                   checkpoint: Callable[[], None]) -> list[OpenedReport]:
    existing = set(db.session.execute(
        select(ProgressReport.plan_task_id, ProgressReport.unit_id, ProgressReport.period)
        .join(PlanTask, PlanTask.id == ProgressReport.plan_task_id)
        .where(PlanTask.plan_id == plan.id, ProgressReport.period.in_([p.key for p in due_now]))
    ))
    opened: list[OpenedReport] = []
    missing = [(task_id, unit_id, period) for task_id, unit_id in open_parts(plan) for period in due_now
               if (task_id, unit_id, period.key) not in existing]
    for start in range(0, len(missing), BATCH):
        for task_id, unit_id, period in missing[start:start + BATCH]:
            result = _open_one(task_id, unit_id, period, today)
            opened += [result] if result else []
        checkpoint()
    return opened


def open_parts(plan: Plan) -> list[tuple[int, int]]:
    """(task, unit) for every decomposing unit of the plan whose part is not closed yet, of tasks still supervised."""
    query = (select(Decomposition.plan_task_id, Decomposition.unit_id)
             .join(PlanTask, PlanTask.id == Decomposition.plan_task_id)
             # cancelled and held (中止) tasks open no reports
             .where(PlanTask.plan_id == plan.id, ~Decomposition.is_closed, PlanTask.cancelled_at.is_(None),
                    PlanTask.held_at.is_(None))
             .order_by(PlanTask.number, Decomposition.id))
    return [(task_id, unit_id) for task_id, unit_id in db.session.execute(query)]


def _open_one(task_id: int, unit_id: int, period: Period, today: date) -> OpenedReport | None:
    """Claim (task, unit, period) with its unique row, then start the process; None when already claimed."""
    report = ProgressReport(plan_task_id=task_id, unit_id=unit_id, period=period.key, due_date=period.due)
    notices.begin_transaction()
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:
        return None
    instance = workflow.start_instance(PROGRESS_PROCESS, {
        "plan_task_id": task_id, "unit_id": unit_id, "progress_report_id": report.id,
        "due_at": end_of_day(period.due).isoformat(),
    }, plan_task_id=task_id, about=(InstanceKind.PROGRESS_REPORT, report.id))
    report.instance_id = instance.id
    audit.record(None, "progress_report", report.id, "report_opened", after={"period": period.key})
    item = workflow.open_work_items(instance.id)[0]
    return OpenedReport(report, item, period.opens < today, _liaisons(unit_id))


def _liaisons(unit_id: int) -> tuple[str, ...]:
    query = (select(User.username).join(UserRole).where(User.unit_id == unit_id, User.active.is_(True),
                                                        UserRole.role == Role.LIAISON).order_by(User.id))
    return tuple(db.session.scalars(query))


def ensure_deployed() -> None:
    """Deploy the diagrams when the progress-report process is missing (databases older than it)."""
    try:
        workflow.latest_version(PROGRESS_PROCESS)
    except NotFound:
        workflow.deploy_processes()


def report_of(item: WorkItem) -> ProgressReport:
    """The progress report a progress-report work item asks for."""
    report = db.session.get(ProgressReport, item.context.get("progress_report_id"))
    if report is None:
        raise ValidationFailed("该待办没有对应的阶段性进展报送。")
    return report


def targets_of(item: WorkItem) -> list[PlanTarget]:
    """The targets of the task a progress-report item is about (their actuals are optional)."""
    return list(db.session.get_one(PlanTask, report_of(item).plan_task_id).targets)


def submit_progress_report(
    item: WorkItem, progress: str, percent_done: int, actuals: Mapping[int, Decimal], actor: User,
) -> ProgressReport:
    """Report the period's progress; the work item closes.

    :raises ValidationFailed: empty progress, a percentage outside 0–100, an actual for another task's target.
    """
    begun = work_items.begin_step(item, actor, StepKey.PROGRESS_REPORT)
    report = report_of(item)
    task = db.session.get_one(PlanTask, report.plan_task_id)
    if not (progress or "").strip():
        raise ValidationFailed("请填写本期工作进展。")
    if not 0 <= percent_done <= 100:
        raise ValidationFailed("完成进度应在 0 到 100 之间。")
    check_actuals(actuals, task.targets, "报送了不属于该任务的指标实际值。")
    report.progress, report.percent_done = progress.strip(), percent_done
    report.actuals = {str(tid): str(value) for tid, value in actuals.items()}
    report.submitted_by_id, report.submitted_at = actor.id, utcnow()
    work_items.finish_step(item, actor, {}, begun)
    audit.record(actor, "progress_report", report.id, "submitted",
                 after={"period": report.period, "percent": percent_done})
    return report


def reports_of_task(task: PlanTask) -> list[ProgressReport]:
    """The task's progress reports, by period and unit (open ones included)."""
    query = (select(ProgressReport).where(ProgressReport.plan_task_id == task.id)
             .order_by(ProgressReport.period, ProgressReport.unit_id))
    return list(db.session.scalars(query))
