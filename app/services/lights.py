"""Traffic lights (红黄蓝绿) on tasks, milestones and work items, judged in SQL, each with its reason.

Rules, most severe first (a part gets the first that holds):

- 红 已逾期: an open work item past its ``due_at``; a milestone not yet approved past the end of the
  office day of its ``due_date``.
- 黄 进度滞后或被退回: the latest report of a milestone not yet approved (推进中 or 已报送) says less
  than the share of the milestone's period elapsed (序时进度) minus the plan's ``progress_tolerance``
  points — either its percent done or the attainment of one of its targets (reported actual ÷ target
  value; "不高于" targets are left out). The period runs from the confirmation of the decomposition
  (or 1 January of the plan year, Beijing time, when unknown) to the end of the due date. Also 黄 when
  the latest report was returned (by the unit head or 督审处) and not resubmitted, or a decomposition
  was returned and not resubmitted. A milestone with no report yet is judged by its date alone.
- 蓝 临近期限: due on or before the ``remind_before``-th working day from today (the day the reminder
  goes out, see ``reminder_schedule``); ``remind_before = 0`` means no 蓝.
- 绿 正常推进 otherwise. Finished things are 绿 too, with their own reason: a closed task "已办结",
  an approved milestone "已通过审核", a completed work item "已办结", a withdrawn one "已撤销".

A work item is judged by its own deadline; the unit's report step also carries its milestone's 黄,
the decomposition step its returned decomposition. A task's light is the most severe of its open
work items and unapproved milestones (ties: the earliest due, milestones before work items), with
that part's reason, e.g. "节点「…」已逾期 2 个工作日（应于 2023年10月9日 完成）".

Working days come from ``WorkCalendar`` in Python, once per call: they only turn "N working days
from today" into a cut-off instant per plan, and count the days in a reason. Lists cost a fixed
number of queries whatever their length.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    SQLColumnExpression,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from app.extensions import db
from app.models import (
    DeadlinePolicy,
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    Plan,
    PlanTarget,
    PlanTask,
    ReviewDecision,
    ReviewRecord,
    TargetActual,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.services.deadlines import work_calendar
from app.services.plan_scope import PlanIds, in_plans
from app.services.workdays import BEIJING, WorkCalendar, end_of_day


class Light(enum.StrEnum):
    """A traffic light; severity order red > yellow > blue > green."""

    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}[self.value]

    @property
    def meaning(self) -> str:
        return {"green": "正常推进", "blue": "临近期限", "yellow": "进度滞后或被退回", "red": "已逾期"}[self.value]

    @property
    def severity(self) -> int:
        """0 for 绿 up to 3 for 红."""
        return _SEVERITY[self]


_SEVERITY = {Light.GREEN: 0, Light.BLUE: 1, Light.YELLOW: 2, Light.RED: 3}


@dataclass(frozen=True)
class LightVerdict:
    """A light and why, in Chinese."""

    light: Light
    reason: str


#: What the SQL says about a part, and the light each finding gives.
_FINDINGS = {
    "overdue": Light.RED, "returned": Light.YELLOW, "decomposition_returned": Light.YELLOW,
    "behind": Light.YELLOW, "behind_target": Light.YELLOW, "due_soon": Light.BLUE, "on_track": Light.GREEN,
    "approved": Light.GREEN, "completed": Light.GREEN, "cancelled": Light.GREEN,
}
_YELLOW_MILESTONE = ("returned", "behind", "behind_target")
#: Days from midnight UTC to the end of the office day (18:00 Beijing is 10:00 UTC).
_END_OF_DAY_DAYS = (end_of_day(date(2000, 1, 1)) - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds() / 86400
#: Progress is compared at the precision a reason shows (0.1 point): no reason reads "30%, below 40% by more than 10".
_SHOWN_PRECISION = 0.05


class epoch_days(FunctionElement[float]):
    """Days since 1970-01-01 00:00 UTC of a timestamp or a date (its midnight), as a float."""

    type = Float()
    inherit_cache = True


@compiles(epoch_days, "sqlite")
def _epoch_days_sqlite(element: epoch_days, compiler: Any, **kw: Any) -> str:
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5)"


@compiles(epoch_days, "postgresql")
def _epoch_days_postgresql(element: epoch_days, compiler: Any, **kw: Any) -> str:
    return f"(extract(epoch from {compiler.process(element.clauses, **kw)}) / 86400.0)"


def _days(instant: datetime) -> float:
    return instant.timestamp() / 86400


def _instant(days: float) -> datetime:
    return datetime.fromtimestamp(round(days * 86400), tz=UTC)


def _default(column: str) -> int:
    """A policy number as a plan without a policy row gets it."""
    return DeadlinePolicy.__table__.c[column].default.arg


@dataclass(frozen=True)
class _Context:
    """The instant judged, the calendar, and each plan's numbers (for SQL and for the reasons)."""

    as_of: datetime
    calendar: WorkCalendar
    #: plan id → (blue cut-off, plan-year start, both in epoch days; tolerance in points)
    plans: dict[int, tuple[float, float, int]]
    #: Working-day counts already made: a long list has few distinct due dates.
    counted: dict[tuple[date, date], int] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.as_of.astimezone(BEIJING).date()

    @property
    def now(self) -> ColumnElement[float]:
        return literal(_days(self.as_of), Float)

    def per_plan(self, plan_id: SQLColumnExpression[int], slot: int, default: float) -> ColumnElement[Any]:
        """One of the plan's numbers, chosen in SQL by ``plan_id``."""
        if not self.plans:
            return literal(default, Float)
        return case({pid: literal(values[slot], Float) for pid, values in self.plans.items()},
                    value=plan_id, else_=literal(default, Float))

    def working_days(self, start: date, end: date) -> int:
        """Working days in (start, end], counted once per pair."""
        if (start, end) not in self.counted:
            self.counted[start, end] = self.calendar.working_days_between(start, end)
        return self.counted[start, end]

    def tolerance(self, plan_id: int | None) -> int:
        return self.plans[plan_id][2] if plan_id in self.plans else _default("progress_tolerance")


def _context(as_of: datetime) -> _Context:
    """One query for every plan's policy; the calendar turns ``remind_before`` into a cut-off instant."""
    calendar, today = work_calendar(), as_of.astimezone(BEIJING).date()
    rows = db.session.execute(
        select(Plan.id, Plan.year, DeadlinePolicy.remind_before, DeadlinePolicy.progress_tolerance)
        .outerjoin(DeadlinePolicy, DeadlinePolicy.plan_id == Plan.id)
    ).all()
    plans = {}
    for plan_id, year, remind_before, tolerance in rows:
        remind_before = _default("remind_before") if remind_before is None else remind_before
        cutoff = _days(end_of_day(calendar.shift(today, remind_before))) if remind_before > 0 else _days(as_of)
        year_start = _days(datetime(year, 1, 1, tzinfo=BEIJING))
        plans[plan_id] = (cutoff, year_start, _default("progress_tolerance") if tolerance is None else tolerance)
    return _Context(as_of, calendar, plans)


def _latest_reports() -> Subquery:
    """The newest report of each milestone (a plain join the planner can drive by index)."""
    newer = aliased(MilestoneReport)
    return (select(MilestoneReport.id, MilestoneReport.milestone_id, MilestoneReport.percent_done)
            .where(~exists().where(newer.milestone_id == MilestoneReport.milestone_id,
                                   newer.number > MilestoneReport.number))
            .subquery("latest_report"))


def _attainment(report_id: ColumnElement[int]) -> ColumnElement[float]:
    """The lowest attainment in percent of the report's targets ("不高于" targets left out)."""
    return cast(
        select(func.min(literal(100.0, Float) * TargetActual.actual / PlanTarget.value))
        .select_from(TargetActual).join(PlanTarget, PlanTarget.id == TargetActual.plan_target_id)
        .where(TargetActual.report_id == report_id, PlanTarget.value > 0,
               or_(PlanTarget.comparator.is_(None), PlanTarget.comparator != "<="))
        .scalar_subquery(), Float)


def _confirmed_at(decomposition_id: SQLColumnExpression[int]) -> ColumnElement[Any]:
    """When 督审处 confirmed the decomposition (the start of its milestones' periods).

    Correlated and index-driven (decomposition_round by decomposition, review_record by subject): a
    grouped subquery over every review row gets misestimated and re-aggregated per work item.
    """
    return (
        select(func.max(ReviewRecord.decided_at))
        .select_from(DecompositionRound)
        .join(ReviewRecord, and_(ReviewRecord.subject == "decomposition_round",
                                 ReviewRecord.subject_id == DecompositionRound.id))
        .where(DecompositionRound.decomposition_id == decomposition_id,
               ReviewRecord.step == "decomposition_review", ReviewRecord.decision == ReviewDecision.APPROVE)
        .scalar_subquery()
    )


def _milestone_facts(ctx: _Context, *scope: ColumnElement[bool]) -> Subquery:
    """One row per milestone (of tasks within ``scope``): due instant, finding, reported and 序时进度."""
    base = _milestone_base(ctx, *scope)
    now, due, start = ctx.now, base.c.due, base.c.start
    expected = case((now >= due, 100.0), (now <= start, 0.0),
                    else_=literal(100.0, Float) * (now - start) / (due - start))
    behind_by = expected - ctx.per_plan(base.c.plan_id, 2, _default("progress_tolerance")) - _SHOWN_PRECISION
    measured = base.c.status.in_([MilestoneStatus.IN_PROGRESS, MilestoneStatus.REPORTED])
    finding = case(
        (base.c.status == MilestoneStatus.APPROVED, "approved"),
        (due < now, "overdue"),
        (and_(measured, base.c.returned), "returned"),
        (and_(measured, base.c.percent_done < behind_by), "behind"),
        (and_(measured, base.c.attainment < behind_by), "behind_target"),
        (due <= ctx.per_plan(base.c.plan_id, 0, 0.0), "due_soon"),
        else_="on_track",
    )
    reported = case((finding == "behind_target", base.c.attainment), else_=cast(base.c.percent_done, Float))
    return (
        select(base.c.id, base.c.plan_task_id, base.c.plan_id, base.c.name, due.label("due"),
               finding.label("finding"), reported.label("reported"), expected.label("expected"))
        .offset(0)  # a fence: each reference to ``finding`` above would otherwise be expanded again
    ).subquery("milestone_facts")


def _milestone_base(ctx: _Context, *scope: ColumnElement[bool]) -> Subquery:
    """Per milestone the inputs of its finding, each correlated subquery evaluated once.

    ``OFFSET 0`` keeps PostgreSQL from pulling this up into ``_milestone_facts``: pulled up, every use of
    the start, the attainment and the return check repeated its subquery (50 subplans per milestone).
    """
    report = _latest_reports()
    due = epoch_days(Milestone.due_date) + _END_OF_DAY_DAYS
    # Only a milestone still running can be behind: approved or overdue ones skip the subqueries (their
    # 序时进度 is 100 once due, and not shown before approval anyway).
    running = and_(Milestone.status != MilestoneStatus.APPROVED, due >= ctx.now)
    start = case((running, func.coalesce(epoch_days(_confirmed_at(Milestone.decomposition_id)),
                                         ctx.per_plan(PlanTask.plan_id, 1, 0.0))), else_=null())
    returned = exists().where(ReviewRecord.subject == "milestone_report", ReviewRecord.subject_id == report.c.id,
                              ReviewRecord.decision == ReviewDecision.RETURN)
    return (
        select(Milestone.id, Milestone.plan_task_id, PlanTask.plan_id, Milestone.title.label("name"),
               Milestone.status, due.label("due"), start.label("start"), report.c.percent_done,
               case((running, _attainment(report.c.id)), else_=null()).label("attainment"),
               returned.label("returned"))
        .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
        .outerjoin(report, report.c.milestone_id == Milestone.id)
        .where(*scope)
        .offset(0)
    ).subquery("milestone_base")


def _item_facts(ctx: _Context, *scope: ColumnElement[bool], tasks: ColumnElement[bool]) -> Subquery:
    """One row per work item within ``scope``: due instant and finding (the report step carries its milestone's 黄).

    ``tasks`` bounds the milestones judged alongside to the items' tasks: unbounded, every milestone
    of every plan would be judged for a handful of items.
    """
    milestones = _milestone_facts(ctx, tasks)
    due = epoch_days(WorkItem.due_at)
    reports_on = and_(WorkItem.form_key == "milestone_report",
                      milestones.c.id == WorkItem.context["milestone_id"].as_integer())
    decomposes = and_(WorkItem.form_key == "decomposition",
                      Decomposition.id == WorkItem.context["decomposition_id"].as_integer())
    inherits = milestones.c.finding.in_(_YELLOW_MILESTONE)
    finding = case(
        (WorkItem.state == WorkItemState.COMPLETED, "completed"),
        (WorkItem.state == WorkItemState.CANCELLED, "cancelled"),
        (due < ctx.now, "overdue"),
        (Decomposition.status == DecompositionStatus.RETURNED, "decomposition_returned"),
        (inherits, milestones.c.finding),
        (due <= ctx.per_plan(PlanTask.plan_id, 0, 0.0), "due_soon"),
        else_="on_track",
    )
    return (
        select(WorkItem.id, PlanTask.id.label("plan_task_id"), PlanTask.plan_id, WorkItem.step_name.label("name"),
               due.label("due"), finding.label("finding"),
               case((inherits, milestones.c.reported), else_=null()).label("reported"),
               case((inherits, milestones.c.expected), else_=null()).label("expected"),
               WorkItem.state)
        .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
        .outerjoin(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id)
        .outerjoin(milestones, reports_on)
        .outerjoin(Decomposition, decomposes)
        .where(*scope)
    ).subquery("item_facts")


def _severity(finding: ColumnElement[str]) -> ColumnElement[int]:
    return case({code: light.severity for code, light in _FINDINGS.items()}, value=finding, else_=0)


def _task_parts(ctx: _Context, *scope: ColumnElement[bool]) -> Subquery:
    """Every unapproved milestone and open work item of the tasks within ``scope``, ranked within its task."""
    milestones, items = _milestone_facts(ctx, *scope), _item_facts(ctx, *scope, tasks=and_(true(), *scope))
    columns = ("plan_task_id", "plan_id", "name", "due", "finding", "reported", "expected")
    parts = union_all(
        select(*(milestones.c[c] for c in columns), literal("milestone").label("part"))
        .where(milestones.c.finding != "approved"),
        select(*(items.c[c] for c in columns), literal("work_item").label("part"))
        .where(items.c.state == WorkItemState.OPEN, items.c.plan_task_id.is_not(None)),
    ).subquery("parts")
    # Due instants compare to the minute: a milestone and its report step fall due together.
    due = func.round(parts.c.due * 1440)
    rank = func.row_number().over(partition_by=parts.c.plan_task_id, order_by=(
        _severity(parts.c.finding).desc(), parts.c.due.is_(None), due, parts.c.part, parts.c.name))
    return select(parts, rank.label("rank"), _severity(parts.c.finding).label("severity")).subquery("ranked")


def _closed() -> ColumnElement[bool]:
    """True when every lifecycle instance of the task has ended (as ``closure.is_closed``)."""
    lifecycle = and_(WorkflowInstance.plan_task_id == PlanTask.id, WorkflowInstance.subject.like("decomposition:%"))
    return and_(exists().where(lifecycle),
                ~exists().where(lifecycle, WorkflowInstance.status != WorkflowStatus.COMPLETED))


def task_lights(as_of: datetime, *, plan_id: PlanIds | None = None,
                task_ids: Iterable[int] | None = None) -> dict[int, LightVerdict]:
    """Each task's light at ``as_of``: of one plan (or several), of the given tasks, or of every task."""
    scope = []
    if plan_id is not None:
        scope.append(in_plans(PlanTask.plan_id, plan_id))
    if task_ids is not None:
        scope.append(PlanTask.id.in_(list(task_ids)))
    ctx = _context(as_of)
    parts = _task_parts(ctx, *scope)
    # Two plain queries, merged here: joining tasks to the ranked parts makes planners re-rank per task.
    closed = dict(db.session.execute(select(PlanTask.id, _closed()).where(*scope)).all())
    worst = {row["plan_task_id"]: row for row in db.session.execute(select(parts).where(parts.c.rank == 1)).mappings()}
    return {task_id: _task_verdict(ctx, is_closed, worst.get(task_id)) for task_id, is_closed in closed.items()}


def _task_verdict(ctx: _Context, closed: bool, worst: Any) -> LightVerdict:
    if closed:
        return LightVerdict(Light.GREEN, "已办结")
    if worst is None:
        return LightVerdict(Light.GREEN, "正常推进")
    return _verdict(ctx, worst, f"节点「{worst['name']}」" if worst["part"] == "milestone" else f"「{worst['name']}」")


def task_light_rows(as_of: datetime, plan_id: PlanIds) -> Select[Any]:
    """``(plan_task_id, light)`` for every task of the plan, to count or group in SQL (closed tasks are 绿).

    ``rows = task_light_rows(now, plan.id).subquery()``, then e.g.
    ``select(rows.c.light, func.count()).group_by(rows.c.light)``.
    """
    parts = _task_parts(_context(as_of), in_plans(PlanTask.plan_id, plan_id))
    worst = select(parts.c.plan_task_id, func.max(parts.c.severity).label("severity")) \
        .group_by(parts.c.plan_task_id).subquery("worst")
    light = case({light.severity: light.value for light in Light}, value=func.coalesce(worst.c.severity, 0),
                 else_=Light.GREEN.value)
    return (select(PlanTask.id.label("plan_task_id"), light.label("light"))
            .outerjoin(worst, worst.c.plan_task_id == PlanTask.id).where(in_plans(PlanTask.plan_id, plan_id)))


def milestone_lights(as_of: datetime, *, plan_id: PlanIds | None = None,
                     milestone_ids: Iterable[int] | None = None) -> dict[int, LightVerdict]:
    """Each milestone's light at ``as_of``: of one plan, the given milestones, or all."""
    return _milestone_lights(as_of, plan_id=plan_id, ids=None if milestone_ids is None else list(milestone_ids))


def _milestone_lights(as_of: datetime, *, plan_id: PlanIds | None = None, ids: list[int] | None = None,
                      task_id: int | None = None) -> dict[int, LightVerdict]:
    scope = [in_plans(PlanTask.plan_id, plan_id)] if plan_id is not None else []
    scope += [clause for clause, given in ((PlanTask.id == task_id, task_id), (Milestone.id.in_(ids or []), ids))
              if given is not None]
    ctx = _context(as_of)
    query = select(_milestone_facts(ctx, *scope))
    return {row["id"]: _verdict(ctx, row) for row in db.session.execute(query).mappings()}


def work_item_lights(item_ids: Iterable[int], as_of: datetime) -> dict[int, LightVerdict]:
    """Each given work item's light at ``as_of``."""
    ids = list(item_ids)
    if not ids:
        return {}
    ctx = _context(as_of)
    tasks = PlanTask.id.in_(select(WorkflowInstance.plan_task_id)
                            .join(WorkItem, WorkItem.instance_id == WorkflowInstance.id).where(WorkItem.id.in_(ids)))
    rows = db.session.execute(select(_item_facts(ctx, WorkItem.id.in_(ids), tasks=tasks))).mappings()
    return {row["id"]: _verdict(ctx, row) for row in rows}


@dataclass(frozen=True)
class TaskLights:
    """Everything the task and work item pages show: the task's light, its open items', its milestones'."""

    task: LightVerdict
    items: dict[int, LightVerdict]
    milestones: dict[int, LightVerdict]


def lights_of_task(task_id: int, item_ids: Iterable[int], as_of: datetime) -> TaskLights:
    """The lights of one task's page."""
    return TaskLights(task_lights(as_of, task_ids=[task_id])[task_id], work_item_lights(item_ids, as_of),
                      _milestone_lights(as_of, task_id=task_id))


def _verdict(ctx: _Context, row: Any, prefix: str = "") -> LightVerdict:
    """The light of a finding, with its reason in Chinese."""
    finding = row["finding"]
    return LightVerdict(_FINDINGS[finding], prefix + _reason(ctx, finding, row))


def _reason(ctx: _Context, finding: str, row: Any) -> str:
    due = _instant(row["due"]).astimezone(BEIJING).date() if row["due"] is not None else None
    when = f"（应于 {_chinese_date(due)} 完成）" if due else ""
    if finding == "overdue":
        assert due is not None  # the SQL finds it by comparing the due date
        late = ctx.working_days(due, ctx.today)
        return f"已逾期 {late} 个工作日{when}" if late > 0 else f"已逾期{when}"
    if finding == "due_soon":
        assert due is not None  # the SQL finds it by comparing the due date
        left = ctx.working_days(ctx.today, due)
        return f"今日到期{when}" if due == ctx.today else f"还有 {left} 个工作日到期{when}"
    if finding in ("behind", "behind_target"):
        measure = "报送完成进度" if finding == "behind" else "指标完成率"
        return (f"进度滞后：{measure} {_percent(row['reported'])}，低于序时进度 {_percent(row['expected'])}"
                f" 超过 {ctx.tolerance(row['plan_id'])} 个百分点")
    return {
        "returned": "报送已被退回修改，尚未重新报送",
        "decomposition_returned": "分解方案已被退回修改，尚未重新提交",
        "approved": "已通过审核",
        "completed": "已办结",
        "cancelled": "已撤销",
    }.get(finding, f"正常推进{when}")


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _percent(value: float) -> str:
    """65.0 → "65%", 66.67 → "66.7%"."""
    return f"{round(float(value), 1):g}%"
