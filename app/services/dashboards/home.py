"""The home page: what each signed-in user must do today, counted and listed in a fixed number of queries.

A unit's staff see their open steps sorted into 已逾期 / 被退回 / 即将到期 and the 协办 asked of them; 督审处
sees the same of its reviews, the units with overdue milestones and the extension requests waiting;
an administrator sees the accounts needing attention and the latest audit events.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import CTE, ColumnElement, String, case, cast, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    AuditEvent,
    ExtensionRequest,
    ExtensionStatus,
    PlanTask,
    StepKey,
    Unit,
    User,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.services.dashboards import lists, overview
from app.services.dashboards.facts import Filters
from app.services.dashboards.lights import queries, reasons
from app.services.dashboards.lights.rules import Context, LightVerdict, context
from app.services.dashboards.lists import ListedItem
from app.services.lifecycle import step_notices, work_items
from app.services.plans.plan_scope import PlanIds

#: Rows shown under each heading; the heading's count and link cover the rest.
TOP = 5

#: Heading -> (label, the 待办 light filter that lists them all, the item findings it gathers).
BUCKETS = {
    "overdue": ("已逾期", "red", ("overdue",)),
    "returned": ("被退回待修改", "yellow", ("returned", "decomposition_returned")),
    "due_soon": ("即将到期", "blue", ("due_soon",)),
}
#: The cooperating unit's heading: 协办 requested of it, whatever their light.
CONTRIBUTION = "contribution"


@dataclass(frozen=True)
class HomeItem:
    """One open step as the home page lists it."""

    item: WorkItem
    task: PlanTask | None
    unit: Unit | None
    subject: str | None
    verdict: LightVerdict


@dataclass(frozen=True)
class Bucket:
    """A heading of the home page: how many, and the most urgent few."""

    key: str
    label: str
    count: int
    items: list[HomeItem]
    #: The 待办 filter that lists them all (query arguments).
    filter_args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MyWork:
    """The user's open steps: the total, by heading, by step, and the most urgent few of all."""

    total: int
    buckets: list[Bucket]
    contributions: Bucket
    steps: list[tuple[str, int]]
    first: list[HomeItem]


def my_work(user: User, now: datetime, by_light: bool = True) -> MyWork:
    """The user's open steps as of ``now``, in four queries (counts, top rows, their rows, their subjects).

    ``by_light`` sorts them under the headings, which judges every open step's light: a unit's few, not
    督审处's thousands at province scale (its page lists the most urgent without headings).
    """
    ctx = context(now)
    scope = (WorkItem.state == WorkItemState.OPEN, work_items.may_act_clause(user))
    if not by_light:
        return _most_urgent(scope, ctx)
    mine = _judged(scope, ctx)

    counts: dict[str, int] = {}
    steps: dict[str, int] = {}
    total = 0
    for key, is_contribution, step, count in db.session.execute(
            select(mine.c.bucket, mine.c.contribution, mine.c.step_name, func.count())
            .group_by(mine.c.bucket, mine.c.contribution, mine.c.step_name)):
        total += count
        steps[step] = steps.get(step, 0) + count
        if key:
            counts[key] = counts.get(key, 0) + count
        if is_contribution:
            counts[CONTRIBUTION] = counts.get(CONTRIBUTION, 0) + count

    # Each lane's most urgent few in one statement: every item is in lane "all", some in a heading's too.
    lanes = union_all(
        select(mine.c.id, literal("all").label("lane"), mine.c.due_at),
        select(mine.c.id, cast(mine.c.bucket, String).label("lane"), mine.c.due_at).where(mine.c.bucket.is_not(None)),
        select(mine.c.id, literal(CONTRIBUTION).label("lane"), mine.c.due_at).where(mine.c.contribution),
    ).subquery("lanes")
    rank = func.row_number().over(partition_by=lanes.c.lane,
                                  order_by=(lanes.c.due_at.is_(None), lanes.c.due_at, lanes.c.id)).label("rank")
    ranked = select(lanes.c.id, lanes.c.lane, rank).subquery("ranked")
    top: dict[str, list[int]] = {}
    for item_id, lane in db.session.execute(select(ranked.c.id, ranked.c.lane).where(ranked.c.rank <= TOP)
                                            .order_by(ranked.c.lane, ranked.c.rank)):
        top.setdefault(lane, []).append(item_id)

    shown = _items({item_id for ids in top.values() for item_id in ids}, mine, ctx)

    def listed(lane: str) -> list[HomeItem]:
        return [shown[item_id] for item_id in top.get(lane, [])]

    buckets = [Bucket(key, label, counts.get(key, 0), listed(key), {"light": light})
               for key, (label, light, _) in BUCKETS.items()]
    contributions = Bucket(CONTRIBUTION, "待提交的协办意见", counts.get(CONTRIBUTION, 0), listed(CONTRIBUTION),
                           {"step": _contribution_step(shown)})
    return MyWork(total, buckets, contributions, sorted(steps.items(), key=lambda s: (-s[1], s[0])), listed("all"))


def _judged(scope: tuple[ColumnElement[bool], ...], ctx: Context) -> CTE:
    """The open steps within ``scope`` with their light's finding, heading and due time."""
    tasks = PlanTask.id.in_(select(WorkflowInstance.plan_task_id)
                            .join(WorkItem, WorkItem.instance_id == WorkflowInstance.id).where(*scope))
    facts = queries.item_facts(ctx, *scope, milestones=queries.milestone_facts(ctx, tasks))
    bucket = case(*[(facts.c.finding.in_(findings), key) for key, (_, _, findings) in BUCKETS.items()],
                  else_=None).label("bucket")
    return (select(facts, bucket, WorkItem.step_name, (WorkItem.form_key == StepKey.COOPERATING_CONTRIBUTION)
                   .label("contribution"), WorkItem.due_at)
            .join(WorkItem, WorkItem.id == facts.c.id)).cte("mine")


def _most_urgent(scope: tuple[ColumnElement[bool], ...], ctx: Context) -> MyWork:
    """Counts by step and the most urgent few, judging the lights of those few only."""
    steps = dict(db.session.execute(select(WorkItem.step_name, func.count()).where(*scope)
                                    .group_by(WorkItem.step_name)).all())
    first = list(db.session.scalars(select(WorkItem.id).where(*scope).order_by(*work_items.URGENT_FIRST).limit(TOP)))
    shown = _items(set(first), _judged((WorkItem.id.in_(first),), ctx), ctx)
    return MyWork(sum(steps.values()), [], Bucket(CONTRIBUTION, "", 0, []),
                  sorted(steps.items(), key=lambda s: (-s[1], s[0])), [shown[item_id] for item_id in first])


def _items(ids: set[int], mine: CTE, ctx: Context) -> dict[int, HomeItem]:
    """The listed items with their tasks, subjects and lights (two or three queries whatever their number)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(WorkItem, PlanTask, Unit, mine).join(mine, mine.c.id == WorkItem.id)
        .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
        .outerjoin(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id)
        .outerjoin(Unit, Unit.id == WorkItem.unit_id)
        .options(joinedload(PlanTask.plan))
        .where(WorkItem.id.in_(ids))).all()
    subjects = step_notices.subjects_of([row[0] for row in rows])
    return {row[0].id: HomeItem(row[0], row[1], row[2], subjects.get(row[0].id),
                                reasons.verdict(ctx, row._mapping))
            for row in rows}


def _contribution_step(shown: dict[int, HomeItem]) -> str:
    """The step id 待办 filters 协办 by (the same id in every process version)."""
    return next((entry.item.step_id for entry in shown.values()
                 if entry.item.form_key == StepKey.COOPERATING_CONTRIBUTION), "")


@dataclass(frozen=True)
class UnitWatch:
    """The user's unit's milestones that need attention, whoever's step they are at: a head watches them all."""

    overdue: list[ListedItem]
    due_soon: list[ListedItem]
    returned: list[ListedItem]


def unit_watch(plan_ids: PlanIds, unit_id: int, today: date) -> UnitWatch:
    """The unit's overdue and due-soon milestones and its returned reports and decompositions (four queries;
    one unit's lists are short, the page shows the first few of each)."""
    mine = Filters(unit_id=unit_id)
    return UnitWatch(lists.overdue(plan_ids, today, mine), lists.due_soon(plan_ids, today, mine),
                     lists.returned(plan_ids, today, mine))


@dataclass(frozen=True)
class Supervision:
    """What 督审处 looks at beside its own steps: units behind, extension requests waiting."""

    late_units: list[overview.Progress]
    extensions_waiting: int
    #: The oldest requests waiting, each with its unit's name.
    extensions: list[tuple[ExtensionRequest, str]]


def supervision(plan_ids: PlanIds, today: date) -> Supervision:
    """Units with overdue milestones (most overdue first) and the oldest extension requests waiting."""
    late = [unit for unit in overview.unit_progress(plan_ids, today) if unit.overdue][:TOP * 2]
    waiting = select(ExtensionRequest).where(ExtensionRequest.status == ExtensionStatus.PENDING)
    count = db.session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    oldest = db.session.execute(
        waiting.add_columns(Unit.name).join(Unit, Unit.id == ExtensionRequest.unit_id)
        .options(joinedload(ExtensionRequest.work_item))
        .order_by(ExtensionRequest.requested_at, ExtensionRequest.id).limit(TOP)).all()
    return Supervision(late, count, [(request, name) for request, name in oldest])


@dataclass(frozen=True)
class Administration:
    """What an administrator looks after: accounts locked or disabled, and the latest audit events."""

    users: int
    disabled: int
    locked: list[User]
    units: int
    events: list[AuditEvent]


def administration(now: datetime) -> Administration:
    """Account figures, the accounts locked now, and the latest audit events (four queries)."""
    users, disabled = db.session.execute(
        select(func.count(User.id), func.coalesce(func.sum(case((User.active.is_(False), 1), else_=0)), 0))).one()
    locked = db.session.scalars(select(User).where(User.locked_until > now).order_by(User.username)
                                .limit(TOP * 2)).all()
    units = db.session.scalar(select(func.count(Unit.id))) or 0
    events = db.session.scalars(select(AuditEvent).options(joinedload(AuditEvent.actor))
                                .order_by(AuditEvent.id.desc()).limit(TOP * 2)).all()
    return Administration(users, disabled, list(locked), units, list(events))
