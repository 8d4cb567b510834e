"""Deadlines live in the database: each open work item's due date, and the sweep that chases it.

The sweep never loads a workflow: it reads ``work_item.due_at`` (indexed), works out on
which working day each reminder, overdue notice and escalation falls, and sends the ones
whose day has come. Every notice carries a key (work item, kind, tier, due-date version)
that the database keeps unique, so a replayed tick, a second scheduler or a restart sends
nothing twice, and a notice missed while the scheduler was down goes out once, marked late.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    CalendarOverride, DeadlinePolicy, DueDateChange, PlanTask, Role, User, UserRole, WorkflowInstance, WorkItem,
    WorkItemState,
)
from app.services import notices
from app.services.reminder_schedule import HEAD_TIER, DueNotice, NoticeKind, Timing, due_by, notices_for
from app.services.workdays import BEIJING, WorkCalendar, end_of_day
#: Items due further ahead than this cannot have a notice due yet (reminders are a few working days early).
_LOOKAHEAD = timedelta(days=45)
#: Which policy period sets the due date of each kind of step; a milestone report keeps its milestone's date.
_STEP_PERIOD = {
    "decomposition": "decompose_within",
    "decomposition_review": "review_within",
    "report_review": "review_within",
    "task_closure": "review_within",
    "cooperating_contribution": "respond_within",
    "head_signoff": "respond_within",
    # 整改: the plan and 督审处's reviews by policy; the result step keeps the rectification's deadline.
    "rectification_plan": "decompose_within",
    "rectification_plan_review": "review_within",
    "rectification_verify": "review_within",
}


@dataclass(frozen=True)
class SentNotice:
    """One notice the sweep sent, as `duban scheduler tick` prints it."""

    key: str
    kind: str
    tier: int
    work_item: int
    recipients: list[str] = field(default_factory=list)
    late: bool = False

    def as_json(self) -> dict[str, object]:
        """The JSON line for operators and cron."""
        return {"key": self.key, "kind": self.kind, "tier": self.tier, "work_item": self.work_item,
                "recipients": self.recipients, "late": self.late}


def work_calendar() -> WorkCalendar:
    """The announced calendar with the administrator's overrides."""
    overrides = {row.day: row.is_working_day for row in db.session.scalars(select(CalendarOverride))}
    return WorkCalendar(overrides)


def policy_for(task: PlanTask) -> DeadlinePolicy:
    """The task's plan's policy, created with the defaults the first time it is needed."""
    policy = db.session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.plan_id == task.plan_id))
    if policy is None:
        policy = DeadlinePolicy(plan_id=task.plan_id)
        db.session.add(policy)
        db.session.flush()
    return policy


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
        opened = item.created_at.astimezone(BEIJING).date()
        item.due_at = end_of_day(calendar.shift(opened, getattr(policy, _STEP_PERIOD[item.form_key])))
    db.session.flush()


def sweep(now: datetime) -> list[SentNotice]:
    """Send every reminder, overdue notice and escalation whose working day has come, once each."""
    calendar, today = work_calendar(), now.astimezone(BEIJING).date()
    query = (select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.due_at.is_not(None),
                                    WorkItem.due_at <= now + _LOOKAHEAD).order_by(WorkItem.due_at, WorkItem.id))
    sent = []
    for item in db.session.scalars(query).all():
        sent += _chase(item, calendar, today)
    return sent


def _chase(item: WorkItem, calendar: WorkCalendar, today: date) -> list[SentNotice]:
    task = db.session.get(PlanTask, item.instance.plan_task_id)
    policy = policy_for(task)
    timing = Timing(policy.remind_before, policy.escalate_head_after, policy.escalate_leaders_after)
    due_day = item.due_at.astimezone(BEIJING).date()
    version = 1 + (db.session.scalar(select(func.count(DueDateChange.id)).where(DueDateChange.work_item_id == item.id)) or 0)
    sent = []
    for notice in due_by(notices_for(due_day, timing, calendar), today):
        key = f"work_item:{item.id}:{notice.kind.value}:{notice.tier}:v{version}"
        late = notice.day < today
        delivered = [user.username for user in recipients(item, notice)
                     if notices.notify(user, notice.kind.value, key, *_message(item, task, notice), late=late)]
        if delivered:
            sent.append(SentNotice(key, notice.kind.value, notice.tier, item.id, delivered, late))
    return sent


def recipients(item: WorkItem, notice: DueNotice) -> list[User]:
    """Who hears of it: the people who must act; then their unit head; then the bureau leaders."""
    if notice.kind is NoticeKind.ESCALATION:
        return _leaders() if notice.tier > HEAD_TIER else _heads_over(item)
    if item.assignee_id is not None:
        return [db.session.get(User, item.assignee_id)]
    if item.role is Role.SUPERVISOR:
        return _with_role(Role.SUPERVISOR)
    return [user for user in _with_role(item.role) if user.unit_id == item.unit_id] if item.role else []


def _with_role(role: Role) -> list[User]:
    query = select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True)).order_by(User.id)
    return list(db.session.scalars(query))


def _heads_over(item: WorkItem) -> list[User]:
    """The unit head of the acting unit (for 督审处's own steps, 督审处's head)."""
    units = {item.unit_id}
    if item.role is Role.SUPERVISOR:
        units = {user.unit_id for user in _with_role(Role.SUPERVISOR)}
    return [user for user in _with_role(Role.UNIT_HEAD) if user.unit_id in units]


def _leaders() -> list[User]:
    return _with_role(Role.LEADER)


def _message(item: WorkItem, task: PlanTask, notice: DueNotice) -> tuple[str, str, str]:
    """Title, body and link of a notice, in Chinese."""
    due = item.due_at.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")
    subject = f"{task.supervision_number or ''}「{item.step_name}」"
    title = f"{notice.kind.label}:{subject}"
    if notice.kind is NoticeKind.REMINDER:
        body = f"{subject}的办理期限为 {due},请抓紧办理。"
    elif notice.kind is NoticeKind.OVERDUE:
        body = f"{subject}已超过办理期限({due}),请尽快办理并报送。"
    else:
        body = f"{subject}已逾期(期限 {due}),按规定提请{'局领导' if notice.tier > HEAD_TIER else '单位负责人'}督促办理。"
    return title, body, f"/work/items/{item.id}"


def extend(item: WorkItem, new_due: datetime, reason: str, actor: User | None) -> DueDateChange:
    """Move an item's due date (an extension 督审处 granted); the old date stays on record.

    Notices about the old date stop: their keys carry the due-date version.
    """
    if not reason.strip():
        raise ValidationFailed("调整办理期限必须说明理由。")
    change = DueDateChange(work_item_id=item.id, old_due_at=item.due_at, new_due_at=new_due,
                           reason=reason.strip(), changed_by_id=actor.id if actor else None)
    item.due_at = new_due
    db.session.add(change)
    db.session.flush()
    return change
