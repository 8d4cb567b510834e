"""The lights' SQL: per milestone, work item and task, the finding (see ``rules``) and the figures its reason cites.

Working days come from ``WorkCalendar`` in Python, once per call: they only turn "N working days from
today" into a cut-off instant per plan (``rules.context``). Lists cost a fixed number of queries whatever
their length.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    SQLColumnExpression,
    String,
    Subquery,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from app.models import (
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    HoldKind,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    PlanTarget,
    PlanTask,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models.lifecycle import task_is_closed
from app.models.plan import held_by
from app.services.dashboards.lights.rules import (
    END_OF_DAY_DAYS,
    FINDINGS,
    SHOWN_PRECISION,
    TARGET_FINDINGS,
    YELLOW_MILESTONE,
    Context,
    epoch_days_of,
    policy_default,
)


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


def now(ctx: Context) -> ColumnElement[float]:
    """The instant judged, in epoch days."""
    return literal(epoch_days_of(ctx.as_of), Float)


def per_plan(ctx: Context, plan_id: SQLColumnExpression[int], number: str, default: float) -> ColumnElement[Any]:
    """One of the plan's numbers (``cutoff``, ``year_start``, ``tolerance``), chosen in SQL by ``plan_id``."""
    if not ctx.plans:
        return literal(default, Float)
    return case({pid: literal(getattr(values, number), Float) for pid, values in ctx.plans.items()},
                value=plan_id, else_=literal(default, Float))


def _latest_report_id(milestone_id: SQLColumnExpression[int]) -> ColumnElement[Any]:
    """The newest report of the milestone, looked up by the (milestone, number) index: per milestone judged,
    not an anti-join over every report in the database."""
    return (select(MilestoneReport.id).where(MilestoneReport.milestone_id == milestone_id)
            .order_by(MilestoneReport.number.desc()).limit(1).scalar_subquery())


def _attainment(ctx: Context, report_id: SQLColumnExpression[int]) -> ColumnElement[float]:
    """The lowest attainment in percent of the targets the report gives actuals for, each judged on the latest
    actual 督审处 had approved by the instant judged ("不高于" targets, and targets without an approved actual,
    left out): a report waiting for review or returned is not a figure anyone signed off."""
    return cast(
        select(func.min(literal(100.0, Float) * _approved_actual(ctx) / PlanTarget.value))
        .select_from(TargetActual).join(PlanTarget, PlanTarget.id == TargetActual.plan_target_id)
        .where(TargetActual.report_id == report_id, PlanTarget.value > 0,
               or_(PlanTarget.comparator.is_(None), PlanTarget.comparator != "<="))
        .scalar_subquery(), Float)


def _approved_actual(ctx: Context) -> ColumnElement[Any]:
    """The target's (``PlanTarget``, correlated) actual in the latest report approved by ``ctx.as_of``."""
    given = aliased(TargetActual)
    approved = exists().where(ReviewRecord.milestone_report_id == MilestoneReport.id,
                              ReviewRecord.step == StepKey.REPORT_REVIEW,
                              ReviewRecord.decision == ReviewDecision.APPROVE, ReviewRecord.decided_at <= ctx.as_of)
    return (select(given.actual).join(MilestoneReport, MilestoneReport.id == given.report_id)
            .where(given.plan_target_id == PlanTarget.id, approved)
            .order_by(MilestoneReport.submitted_at.desc(), MilestoneReport.id.desc()).limit(1)
            .correlate(PlanTarget).scalar_subquery())


def _confirmed_at(decomposition_id: SQLColumnExpression[int]) -> ColumnElement[Any]:
    """When 督审处 confirmed the decomposition (the start of its milestones' periods).

    Correlated and index-driven (decomposition_round by decomposition, review_record by round): a
    grouped subquery over every review row gets misestimated and re-aggregated per work item.
    """
    return (
        select(func.max(ReviewRecord.decided_at))
        .select_from(DecompositionRound)
        .join(ReviewRecord, ReviewRecord.decomposition_round_id == DecompositionRound.id)
        .where(DecompositionRound.decomposition_id == decomposition_id,
               ReviewRecord.step == StepKey.DECOMPOSITION_REVIEW, ReviewRecord.decision == ReviewDecision.APPROVE)
        .scalar_subquery()
    )


def milestone_facts(ctx: Context, *scope: ColumnElement[bool]) -> Subquery:
    """One row per milestone (of tasks within ``scope``): due instant, finding, reported and 序时进度."""
    base = _milestone_base(ctx, *scope)
    at, due, start = now(ctx), base.c.due, base.c.start
    expected = case((at >= due, 100.0), (at <= start, 0.0),
                    else_=literal(100.0, Float) * (at - start) / (due - start))
    tolerance = per_plan(ctx, base.c.plan_id, "tolerance", policy_default("progress_tolerance"))
    behind_by = expected - tolerance - SHOWN_PRECISION
    measured = base.c.status.in_([MilestoneStatus.IN_PROGRESS, MilestoneStatus.REPORTED])
    finding = case(
        (base.c.status == MilestoneStatus.APPROVED, "approved"),
        (base.c.suspended, "suspended"),
        (due < at, "overdue"),
        (and_(measured, base.c.returned), "returned"),
        (and_(measured, base.c.percent_done < behind_by), "behind"),
        # Judged on approved actuals; a report still waiting for review is said to be (待审核).
        (and_(measured, base.c.attainment < behind_by, base.c.status == MilestoneStatus.REPORTED),
         "behind_target_pending"),
        (and_(measured, base.c.attainment < behind_by), "behind_target"),
        (due <= per_plan(ctx, base.c.plan_id, "cutoff", 0.0), "due_soon"),
        else_="on_track",
    )
    reported = case((finding.in_(TARGET_FINDINGS), base.c.attainment), else_=cast(base.c.percent_done, Float))
    return (
        select(base.c.id, base.c.plan_task_id, base.c.plan_id, base.c.name, due.label("due"),
               finding.label("finding"), reported.label("reported"), expected.label("expected"))
        .offset(0)  # a fence: each reference to ``finding`` above would otherwise be expanded again
    ).subquery("milestone_facts")


def _milestone_base(ctx: Context, *scope: ColumnElement[bool]) -> Subquery:
    """Per milestone the inputs of its finding, each correlated subquery evaluated once.

    ``OFFSET 0`` keeps PostgreSQL from pulling this up into ``_milestone_facts``: pulled up, every use of
    the start, the attainment and the return check repeated its subquery (50 subplans per milestone).
    """
    scoped = (select(Milestone.id, Milestone.plan_task_id, PlanTask.plan_id, Milestone.title, Milestone.status,
                     Milestone.due_date, Milestone.decomposition_id,
                     _latest_report_id(Milestone.id).label("report_id"),
                     held_by(ctx.as_of, HoldKind.SUSPEND).label("suspended"))
              .join(PlanTask, PlanTask.id == Milestone.plan_task_id).where(*scope).offset(0).subquery("scoped"))
    # The latest report's percent by primary key: joined, the planner hashed every report of the database.
    percent_done = (select(MilestoneReport.percent_done).where(MilestoneReport.id == scoped.c.report_id)
                    .scalar_subquery())
    due = epoch_days(scoped.c.due_date) + END_OF_DAY_DAYS
    # Only a milestone still running can be behind: approved or overdue ones skip the subqueries (their
    # 序时进度 is 100 once due, and not shown before approval anyway).
    running = and_(scoped.c.status != MilestoneStatus.APPROVED, due >= now(ctx))
    start = case((running, func.coalesce(epoch_days(_confirmed_at(scoped.c.decomposition_id)),
                                         per_plan(ctx, scoped.c.plan_id, "year_start", 0.0))), else_=null())
    returned = exists().where(ReviewRecord.milestone_report_id == scoped.c.report_id,
                              ReviewRecord.decision == ReviewDecision.RETURN)
    return (
        select(scoped.c.id, scoped.c.plan_task_id, scoped.c.plan_id, scoped.c.title.label("name"),
               scoped.c.status, due.label("due"), start.label("start"), percent_done.label("percent_done"),
               case((running, _attainment(ctx, scoped.c.report_id)), else_=null()).label("attainment"),
               returned.label("returned"), scoped.c.suspended)
        .offset(0)
    ).subquery("milestone_base")


def item_facts(ctx: Context, *scope: ColumnElement[bool], milestones: FromClause | None) -> Subquery:
    """One row per work item within ``scope``: due instant and finding (the report step carries its milestone's 黄).

    ``milestones`` (``milestone_facts`` of the items' tasks) are the milestones judged alongside: unbounded,
    every milestone of every plan would be judged for a handful of items. None leaves the milestone's 黄 out,
    for a task's severity only: the milestone itself is among the task's parts with that same 黄.
    """
    if milestones is None:
        milestones = select(cast(null(), Integer).label("id"), cast(null(), String).label("finding"),
                            cast(null(), Float).label("reported"), cast(null(), Float).label("expected")) \
            .where(false()).subquery("no_milestones")
    due = epoch_days(WorkItem.due_at)
    reports_on = and_(WorkItem.form_key == StepKey.MILESTONE_REPORT,
                      milestones.c.id == WorkItem.context["milestone_id"].as_integer())
    decomposes = and_(WorkItem.form_key == StepKey.DECOMPOSITION,
                      Decomposition.id == WorkItem.context["decomposition_id"].as_integer())
    inherits = milestones.c.finding.in_(YELLOW_MILESTONE)
    finding = case(
        (WorkItem.state == WorkItemState.COMPLETED, "completed"),
        (WorkItem.state == WorkItemState.CANCELLED, "cancelled"),
        (due < now(ctx), "overdue"),
        (Decomposition.status == DecompositionStatus.RETURNED, "decomposition_returned"),
        (inherits, milestones.c.finding),
        (due <= per_plan(ctx, PlanTask.plan_id, "cutoff", 0.0), "due_soon"),
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


def task_severities(ctx: Context, *scope: ColumnElement[bool]) -> Subquery:
    """``(plan_task_id, severity)`` of the worst part of each task within ``scope`` that has an open part."""
    milestones = milestone_facts(ctx, Milestone.status != MilestoneStatus.APPROVED, *scope)
    items = item_facts(ctx, WorkItem.state == WorkItemState.OPEN, *scope, milestones=None)
    parts = union_all(
        select(milestones.c.plan_task_id, _severity(milestones.c.finding).label("severity")),
        select(items.c.plan_task_id, _severity(items.c.finding).label("severity"))
        .where(items.c.plan_task_id.is_not(None)),
    ).subquery("parts")
    return (select(parts.c.plan_task_id, func.max(parts.c.severity).label("severity"))
            .group_by(parts.c.plan_task_id).subquery("worst"))


def _severity(finding: ColumnElement[str]) -> ColumnElement[int]:
    return case({code: light.severity for code, light in FINDINGS.items()}, value=finding, else_=0)


def task_parts(ctx: Context, *scope: ColumnElement[bool]) -> Subquery:
    """Every unapproved milestone and open work item of the tasks within ``scope``, ranked within its task."""
    # Approved milestones and closed items never make a task's light: left out before they are judged.
    # Judged once for both: PostgreSQL materialises a CTE that is referenced twice.
    milestones = milestone_facts(ctx, Milestone.status != MilestoneStatus.APPROVED, *scope).element \
        .cte("unapproved_milestones")
    items = item_facts(ctx, WorkItem.state == WorkItemState.OPEN, *scope, milestones=milestones)
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


def closed() -> ColumnElement[bool]:
    """True when every unit's part of the task is closed (as ``closure.is_closed``)."""
    return task_is_closed(PlanTask.id)
