"""Deadlines live in the database: each open work item's due date, and the sweep that chases it.

The sweep never loads a workflow: it reads ``work_item.due_at`` (indexed), works out on
which working day each reminder, overdue notice and escalation falls, and sends the ones
whose day has come. Every notice carries a key (work item, kind, tier, due-date version)
that the database keeps unique, so a replayed tick, a second scheduler or a restart sends
nothing twice, and a notice missed while the scheduler was down goes out once, marked late.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Row, Select, String, cast, func, or_, select, tuple_, update
from sqlalchemy.orm import aliased

from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    CalendarOverride,
    DeadlinePolicy,
    DueDateChange,
    LeaderUnit,
    NoticeKind,
    Plan,
    PlanKind,
    PlanTask,
    Role,
    StepKey,
    User,
    UserRole,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models.base import id_in
from app.models.workflow import TO_CHASE
from app.services.infrastructure import notices
from app.services.timing import digests
from app.services.timing.reminder_schedule import HEAD_TIER, DueNotice, Timing, due_by, notices_for
from app.services.timing.workdays import BEIJING, WorkCalendar, end_of_day

#: Ids per IN (…) list.
_CHUNK = 5000
#: Items chased per batch (the caller's checkpoint commits after each).
BATCH = 2000
#: Which policy period sets the due date of each kind of step; a milestone report keeps its milestone's date.
_STEP_PERIOD: dict[str, str] = {
    StepKey.DECOMPOSITION: "decompose_within",
    StepKey.DECOMPOSITION_REVIEW: "review_within",
    StepKey.REPORT_REVIEW: "review_within",
    StepKey.TASK_CLOSURE: "review_within",
    StepKey.COOPERATING_CONTRIBUTION: "respond_within",
    StepKey.HEAD_SIGNOFF: "respond_within",
    # 整改: the plan and 督审处's reviews by policy; the result step keeps the rectification's deadline.
    StepKey.RECTIFICATION_PLAN: "decompose_within",
    StepKey.RECTIFICATION_PLAN_REVIEW: "review_within",
    StepKey.RECTIFICATION_VERIFY: "review_within",
}


@dataclass(frozen=True)
class SentNotice:
    """One notice the sweep sent, as `duban scheduler tick` prints it."""

    key: str
    kind: str
    tier: int
    #: None for a summary of several items.
    work_item: int | None
    recipients: list[str] = field(default_factory=list)
    late: bool = False

    def as_json(self) -> dict[str, object]:
        """The JSON line for operators and cron."""
        return {"key": self.key, "kind": self.kind, "tier": self.tier, "work_item": self.work_item,
                "recipients": self.recipients, "late": self.late}


def work_calendar() -> WorkCalendar:
    """The announced calendar with the administrator's overrides.

    The same overrides give the same calendar object, so its working-day tables are built once per
    process; a changed override gives a new key, hence fresh tables.
    """
    return _calendar_of({row.day: row.is_working_day for row in db.session.execute(
        select(CalendarOverride.day, CalendarOverride.is_working_day))})


def _calendar_of(overrides: dict[date, bool]) -> WorkCalendar:
    """The cached calendar of exactly these overrides (the key is the content, so every process agrees)."""
    key = frozenset(overrides.items())
    calendar = _calendars.get(key)
    if calendar is None:
        _calendars.clear()
        calendar = _calendars[key] = WorkCalendar(overrides)
    return calendar


#: The calendar of the overrides last read (one entry: overrides rarely change).
_calendars: dict[frozenset[tuple[date, bool]], WorkCalendar] = {}


def plan_policy(plan_id: int) -> DeadlinePolicy:
    """The plan's policy, created with the defaults the first time it is needed."""
    policy = db.session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.plan_id == plan_id))
    if policy is None:
        policy = DeadlinePolicy(plan_id=plan_id)
        db.session.add(policy)
        db.session.flush()
    return policy


def policy_for(task: PlanTask) -> DeadlinePolicy:
    """The policy of the task's plan."""
    return plan_policy(task.plan_id)


@dataclass(frozen=True)
class DueRules:
    """What dates a newly opened step: its plan's policy and the working calendar."""

    policy: DeadlinePolicy
    calendar: WorkCalendar

    def date(self, item: WorkItem) -> None:
        """Give a step that has just opened the due date the policy sets (if it sets one)."""
        due = due_by_policy(item, self.policy, self.calendar)
        if due is not None:
            item.due_at, item.chase_next_at = due, None


def with_due_rules(query: Select[Any], plan_task_id: Any) -> Select[Any]:
    """``query`` also reading the deadline rules of the plan task ``plan_task_id`` (a column or a value).

    Adds the task's ``plan_id``, its ``DeadlinePolicy`` (None before first use) and the calendar
    overrides as two lists of days, so a step gets everything that dates its next steps in the
    statement it runs anyway; ``due_rules_of`` turns the row into ``DueRules``.
    """
    def days(working: bool) -> Any:
        return (select(func.aggregate_strings(cast(CalendarOverride.day, String), ","))
                .where(CalendarOverride.is_working_day.is_(working)).scalar_subquery())

    task = aliased(PlanTask, name="rules_task")
    return (query.outerjoin(task, task.id == plan_task_id)
            .outerjoin(DeadlinePolicy, DeadlinePolicy.plan_id == task.plan_id)
            .add_columns(task.plan_id.label("rules_plan_id"), DeadlinePolicy,
                         days(True).label("rules_working_days"), days(False).label("rules_days_off")))


def due_rules_of(row: Row[Any]) -> DueRules | None:
    """The rules a ``with_due_rules`` row read (None when the instance belongs to no plan task)."""
    if row.rules_plan_id is None:
        return None
    policy = row.DeadlinePolicy or plan_policy(row.rules_plan_id)
    overrides = {**_days(row.rules_working_days, True), **_days(row.rules_days_off, False)}
    return DueRules(policy, _calendar_of(overrides))


def due_rules(plan_task_id: int) -> DueRules | None:
    """The rules of a plan task, read on their own (for steps that did not read them along)."""
    query = select(PlanTask.id).where(PlanTask.id == plan_task_id)
    return due_rules_of(db.session.execute(with_due_rules(query, PlanTask.id)).one())


def dating(plan_task_id: int | None, rules: DueRules | None = None) -> Callable[[WorkItem], None]:
    """An ``on_open`` hook: each step a completion opens gets its due date; rules read once, only if needed."""
    known = [rules]

    def date_item(item: WorkItem) -> None:
        if item.form_key not in _STEP_PERIOD or plan_task_id is None:
            return
        if known[0] is None:
            known[0] = due_rules(plan_task_id)
        if known[0] is not None:
            known[0].date(item)

    return date_item


def _days(listed: str | None, working: bool) -> dict[date, bool]:
    return {date.fromisoformat(day): working for day in listed.split(",")} if listed else {}


def schedule_task(task: PlanTask) -> None:
    """Give every open step of the task without an extension its due date by the plan's policy."""
    policy, calendar = policy_for(task), work_calendar()
    extended = select(DueDateChange.work_item_id)
    items = db.session.scalars(
        select(WorkItem).join(WorkItem.instance)
        .where(WorkflowInstance.plan_task_id == task.id, WorkItem.state == WorkItemState.OPEN,
               WorkItem.form_key.in_(_STEP_PERIOD), WorkItem.id.not_in(extended))
    )
    for item in items:
        due = due_by_policy(item, policy, calendar)
        if due != item.due_at:
            item.due_at, item.chase_next_at = due, None
    db.session.flush()


def due_by_policy(item: WorkItem, policy: DeadlinePolicy, calendar: WorkCalendar) -> datetime | None:
    """The due date the policy gives the item's step, counted from the day it opened; None if the policy sets none."""
    if item.form_key not in _STEP_PERIOD:
        return None
    opened = item.created_at.astimezone(BEIJING).date()
    return end_of_day(calendar.shift(opened, getattr(policy, _STEP_PERIOD[item.form_key])))


def sweep(now: datetime, checkpoint: Callable[[], None] | None = None) -> list[SentNotice]:
    """Send every reminder, overdue notice and escalation whose working day has come, once each.

    One indexed query finds the open items still to chase (``TO_CHASE``) due by the furthest
    reminder horizon, ``BATCH`` at a time in due-date order; versions and recipients are read
    in bulk, the notices go in with one batched ``INSERT … ON CONFLICT DO NOTHING`` (the ones
    sent before are skipped by the database), and an item whose last escalation is behind it
    is marked chased so later sweeps skip it. ``checkpoint`` (default: flush) runs after each
    batch: the scheduler commits there, and a sweep killed between batches resends nothing.
    """
    calendar, today = work_calendar(), now.astimezone(BEIJING).date()
    policies = _policies()
    horizon = _horizon(calendar, today, policies)
    people, digest_day = People.load(), digests.digest_day_for(now)
    schedules: dict[tuple[date, Timing], list[DueNotice]] = {}
    sent: list[SentNotice] = []
    after: tuple[datetime, int] | None = None
    while rows := _items_to_chase(horizon, now, after, BATCH):
        drafts: list[tuple[notices.NoticeDraft, int, DueNotice]] = []
        chased: list[int] = []
        later: dict[date, list[int]] = {}
        version_of = _versions([row.id for row in rows])
        for row in rows:
            policy = policies.get(row.plan_id, _DEFAULT)
            schedule = _schedule(schedules, row.due_at.astimezone(BEIJING).date(), policy.timing, calendar)
            for notice in due_by(schedule, today):
                draft = partial(_draft, row, notice, version_of.get(row.id, 1), notice.day < today,
                                digest_day if policy.digest else None)
                drafts += [(draft(user), row.id, notice) for user in people.for_notice(row, notice)]
            if schedule[-1].day <= today:
                chased.append(row.id)
            else:
                later.setdefault(min(n.day for n in schedule if n.day > today), []).append(row.id)
        sent += _record(drafts)
        _mark_chased(chased)
        _mark_next(later)
        (checkpoint or db.session.flush)()
        if len(rows) < BATCH:
            break
        after = (rows[-1].due_at, rows[-1].id)
    return sent


def _schedule(memo: dict[tuple[date, Timing], list[DueNotice]], due_day: date, timing: Timing,
              calendar: WorkCalendar) -> list[DueNotice]:
    """The notices of a due day; many items share one, so each is worked out once per sweep."""
    if (due_day, timing) not in memo:
        memo[(due_day, timing)] = notices_for(due_day, timing, calendar)
    return memo[(due_day, timing)]


def _draft(row: Row[Any], notice: DueNotice, version: int, late: bool, digest_day: date | None,
           user: User) -> notices.NoticeDraft:
    """One recipient's notice about one item, keyed (item, kind, tier, due-date version)."""
    key = f"work_item:{row.id}:{notice.kind.value}:{notice.tier}:v{version}"
    return notices.NoticeDraft(user, notice.kind, key, *_message(row, notice), late, digest_day)


@dataclass(frozen=True)
class _Policy:
    timing: Timing
    digest: bool


_DEFAULT = _Policy(Timing(), False)


def _policies() -> dict[int, _Policy]:
    """Each plan's chasing numbers (plans without a policy row use the defaults)."""
    return {p.plan_id: _Policy(Timing(p.remind_before, p.escalate_head_after, p.escalate_leaders_after), p.daily_digest)
            for p in db.session.scalars(select(DeadlinePolicy))}


def _horizon(calendar: WorkCalendar, today: date, policies: dict[int, _Policy]) -> datetime:
    """No item due after this can have a reminder due yet: the furthest reminder lead, in working days."""
    lead = max([p.timing.remind_before for p in policies.values()] + [_DEFAULT.timing.remind_before])
    return datetime.combine(calendar.shift(today, lead) + timedelta(days=1), time(0), tzinfo=BEIJING)


#: The item's instance is suspended by an administrator: no reminder or escalation until it is resumed.
_SUSPENDED = (select(WorkflowInstance.id).where(WorkflowInstance.id == WorkItem.instance_id,
                                                WorkflowInstance.suspended_at.is_not(None)).exists())


def _items_to_chase(horizon: datetime, now: datetime | None = None, after: tuple[datetime, int] | None = None,
                    limit: int | None = None) -> list[Row[*tuple[Any, ...]]]:
    """Open items with notices still to send, due before ``horizon`` (served by ix_work_item_to_chase),
    in (due date, id) order; with ``now``, only those whose next notice has come by then; with ``after``
    and ``limit``, the next batch after that (due date, id)."""
    query = (select(WorkItem.id, WorkItem.instance_id, WorkItem.due_at, WorkItem.unit_id, WorkItem.role,
                    WorkItem.assignee_id, WorkItem.step_name).where(TO_CHASE, WorkItem.due_at < horizon)
             .where(~_SUSPENDED))
    if now is not None:
        query = query.where(or_(WorkItem.chase_next_at.is_(None), WorkItem.chase_next_at <= now))
    if after is not None:
        query = query.where(tuple_(WorkItem.due_at, WorkItem.id) > tuple_(*after))
    due = query.order_by(WorkItem.due_at, WorkItem.id).limit(limit).subquery()
    query = (select(due, PlanTask.plan_id, PlanTask.supervision_number, Plan.kind.label("plan_kind"),
                    Plan.document_number.label("plan_document_number"))
             .join(WorkflowInstance, WorkflowInstance.id == due.c.instance_id)
             .join(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id).join(Plan, Plan.id == PlanTask.plan_id)
             .order_by(due.c.due_at, due.c.id))
    return list(db.session.execute(query).all())


def _versions(item_ids: list[int]) -> dict[int, int]:
    """The due-date version of each item: 1 plus the number of times its date moved."""
    counts: dict[int, int] = {}
    for start in range(0, len(item_ids), _CHUNK):
        query = (select(DueDateChange.work_item_id, func.count(DueDateChange.id))
                 .where(id_in(DueDateChange.work_item_id, item_ids[start:start + _CHUNK]))
                 .group_by(DueDateChange.work_item_id))
        counts.update({item_id: 1 + n for item_id, n in db.session.execute(query)})
    return counts


def _record(drafts: list[tuple[notices.NoticeDraft, int, DueNotice]]) -> list[SentNotice]:
    """Insert the notices not sent before; one SentNotice per key that reached someone now."""
    created = {(d.key, d.user.id) for d in notices.notify_many([d for d, _, _ in drafts])}
    sent: dict[str, SentNotice] = {}
    for draft, item_id, notice in drafts:
        if (draft.key, draft.user.id) in created:
            entry = sent.setdefault(draft.key, SentNotice(draft.key, notice.kind.value, notice.tier, item_id,
                                                          late=draft.late))
            entry.recipients.append(draft.user.username)
    return list(sent.values())


def _mark_chased(item_ids: list[int]) -> None:
    """Remember that every notice about the items' current due dates has gone out."""
    for start in range(0, len(item_ids), _CHUNK):
        db.session.execute(update(WorkItem).where(id_in(WorkItem.id, item_ids[start:start + _CHUNK]))
                           .values(chased_due_at=WorkItem.due_at).execution_options(synchronize_session="fetch"))


def _mark_next(by_day: dict[date, list[int]]) -> None:
    """Remember the day each item's next notice falls on, so sweeps before it skip the item."""
    for day, item_ids in by_day.items():
        marker = datetime.combine(day, time(0), tzinfo=BEIJING)
        for start in range(0, len(item_ids), _CHUNK):
            # "fetch": items loaded in this session see the marker, so a later change to None is written.
            statement = update(WorkItem).where(id_in(WorkItem.id, item_ids[start:start + _CHUNK]))
            db.session.execute(statement.values(chase_next_at=marker)
                               .execution_options(synchronize_session="fetch"))


def rechase_plan(plan_id: int) -> None:
    """Look at the plan's open items at the next sweep (its reminder or escalation days changed)."""
    instances = (select(WorkflowInstance.id).join(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id)
                 .where(PlanTask.plan_id == plan_id))
    db.session.execute(update(WorkItem).where(WorkItem.state == WorkItemState.OPEN,
                                              WorkItem.instance_id.in_(instances))
                       .values(chase_next_at=None).execution_options(synchronize_session="fetch"))


@dataclass
class People:
    """Active users by role and unit, and the units each leader is in charge of (分管), loaded once per sweep."""

    by_role: dict[Role, list[User]]
    #: unit id -> ids of the leaders in charge of it.
    leaders_of: dict[int, set[int]] = field(default_factory=dict)
    #: The same users by (role, unit), so finding a unit's people costs one look-up, not a pass over the role.
    by_unit: dict[tuple[Role, int | None], list[User]] = field(init=False, default_factory=dict)
    by_id: dict[int, User] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for role, users in self.by_role.items():
            for user in users:
                self.by_unit.setdefault((role, user.unit_id), []).append(user)
                self.by_id[user.id] = user

    @classmethod
    def load(cls) -> People:
        by_role: dict[Role, list[User]] = {}
        query = select(User, UserRole.role).join(UserRole).where(User.active.is_(True)).order_by(User.id)
        for user, role in db.session.execute(query):
            by_role.setdefault(role, []).append(user)
        leaders_of: dict[int, set[int]] = {}
        for leader_id, unit_id in db.session.execute(select(LeaderUnit.leader_id, LeaderUnit.unit_id)):
            leaders_of.setdefault(unit_id, set()).add(leader_id)
        return cls(by_role, leaders_of)

    def leaders_for(self, unit_id: int | None) -> list[User]:
        """The unit's 分管 leaders (active ones); every leader where the unit has none."""
        leaders = self.with_role(Role.LEADER)
        in_charge = [u for u in leaders if u.id in self.leaders_of.get(unit_id or 0, set())]
        return in_charge or leaders

    def with_role(self, role: Role, unit_ids: set[int | None] | None = None) -> list[User]:
        if unit_ids is None:
            return self.by_role.get(role, [])
        if len(unit_ids) == 1:
            return self.by_unit.get((role, next(iter(unit_ids))), [])
        return [u for u in self.by_role.get(role, []) if u.unit_id in unit_ids]

    def for_notice(self, row: Row[Any], notice: DueNotice) -> list[User]:
        """Who hears of it: the people who must act; then their unit head; then the bureau leaders."""
        if notice.kind is NoticeKind.ESCALATION:
            if notice.tier > HEAD_TIER:
                return self.leaders_for(row.unit_id)
            units = ({u.unit_id for u in self.with_role(Role.SUPERVISOR)} if row.role is Role.SUPERVISOR
                     else {row.unit_id})
            return self.with_role(Role.UNIT_HEAD, units)
        if row.assignee_id is not None:
            return [self.by_id[row.assignee_id]] if row.assignee_id in self.by_id else []
        if row.role is Role.SUPERVISOR:
            return self.with_role(Role.SUPERVISOR)
        return self.with_role(row.role, {row.unit_id}) if row.role else []


def _item_source(row: Row[Any]) -> str:
    """A registered item's source and 文号 in brackets (a plan's task is named by its 督办编号 alone)."""
    kind = PlanKind(row.plan_kind)
    return f"({kind.item_label(row.plan_document_number)})" if kind.is_item else ""


def _message(row: Row[Any], notice: DueNotice) -> tuple[str, str, str]:
    """Title, body and link of a notice, in Chinese."""
    due = row.due_at.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")
    subject = f"{row.supervision_number or ''}{_item_source(row)}「{row.step_name}」"
    title = f"{notice.kind.label}:{subject}"
    if notice.kind is NoticeKind.REMINDER:
        body = f"{subject}的办理期限为 {due},请抓紧办理。"
    elif notice.kind is NoticeKind.OVERDUE:
        body = f"{subject}已超过办理期限({due}),请尽快办理并报送。"
    else:
        whom = "局领导" if notice.tier > HEAD_TIER else "单位负责人"
        body = f"{subject}已逾期(期限 {due}),按规定提请{whom}督促办理。"
    return title, body, f"/work/items/{row.id}"


def extend(item: WorkItem, new_due: datetime, reason: str, actor: User | None) -> DueDateChange:
    """Move an item's due date (an extension 督审处 granted); the old date stays on record.

    Notices about the old date stop: their keys carry the due-date version.
    """
    if not reason.strip():
        raise ValidationFailed("调整办理期限必须说明理由。")
    change = DueDateChange(work_item_id=item.id, old_due_at=item.due_at, new_due_at=new_due,
                           reason=reason.strip(), changed_by_id=actor.id if actor else None)
    item.due_at, item.chased_due_at, item.chase_next_at = new_due, None, None
    db.session.add(change)
    db.session.flush()
    return change
