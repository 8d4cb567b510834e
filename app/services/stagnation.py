"""停滞提醒: an open work item nobody has touched for ``policy.stagnation_after`` working days.

An item's last update is the latest of: the item opened (created_at), signed for
(signed_at), any handling (签收/转办 rows), a draft saved on it, and a comment on its
task by someone of the item's unit. Each part is one indexed SQL aggregate. The
unit's liaisons and 督审处 are told once per (item, day of last update): the key
carries that day, so new activity followed by new silence raises a new notice.
A 督审处 step notifies 督审处 only.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Row, func, select, text

from app.extensions import db
from app.models import (
    DeadlinePolicy, FormDraft, NoticeKind, PlanTask, Role, TaskComment, User, WorkflowInstance, WorkItem,
    WorkItemHandling,
)
from app.services import digests, notices
from app.services.deadlines import People, SentNotice, work_calendar
from app.services.workdays import BEIJING, WorkCalendar

_CHUNK = 5000
#: Verbatim the predicate of ix_work_item_open_created, so SQLite uses the partial index.
_OPEN = text("state = 'open'")
#: The model's default, for plans without a policy row yet.
_DEFAULT_AFTER = 15


def sweep(now: datetime) -> list[SentNotice]:
    """Raise every stagnation notice whose working day has come, once per (item, last update)."""
    calendar, today = work_calendar(), now.astimezone(BEIJING).date()
    policies = {p.plan_id: p for p in db.session.scalars(select(DeadlinePolicy))}
    thresholds = [p.stagnation_after for p in policies.values() if p.stagnation_after > 0] + [_DEFAULT_AFTER]
    rows = _quiet_items(_cutoff(calendar, today, min(thresholds)))
    updates = last_updates(rows)
    people, digest_day = People.load(), digests.digest_day_for(now)
    drafts: list[tuple[notices.NoticeDraft, Row[Any]]] = []
    for row in rows:
        policy = policies.get(row.plan_id)
        after = policy.stagnation_after if policy else _DEFAULT_AFTER
        quiet_since = updates[row.id].astimezone(BEIJING).date()
        day = calendar.shift(quiet_since, after)
        if after <= 0 or day > today:
            continue
        key = f"work_item:{row.id}:stagnation:{quiet_since.isoformat()}"
        title, body = _message(row, quiet_since, after)
        digest = digest_day if policy and policy.daily_digest else None
        drafts += [(notices.NoticeDraft(user, NoticeKind.STAGNATION, key, title, body, f"/work/items/{row.id}",
                                        day < today, digest), row) for user in _recipients(people, row)]
    return _sent(drafts)


def _cutoff(calendar: WorkCalendar, today: date, shortest: int) -> datetime:
    """Items opened from this instant on cannot have been quiet long enough yet (a safe superset)."""
    latest = calendar.next_working_day(calendar.shift(today, -shortest))
    return datetime.combine(latest, time(0), tzinfo=BEIJING)


def _quiet_items(cutoff: datetime) -> list[Row[Any]]:
    quiet = (select(WorkItem.id, WorkItem.instance_id, WorkItem.created_at, WorkItem.signed_at, WorkItem.unit_id,
                    WorkItem.role, WorkItem.step_name).where(_OPEN, WorkItem.created_at < cutoff).subquery())
    query = (select(quiet, WorkflowInstance.plan_task_id, PlanTask.plan_id, PlanTask.supervision_number)
             .join(WorkflowInstance, WorkflowInstance.id == quiet.c.instance_id)
             .join(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id).order_by(quiet.c.id))
    return list(db.session.execute(query).all())


def last_updates(rows: list[Row[Any]]) -> dict[int, datetime]:
    """Each item's last update: opened, signed for, handled, draft saved, or commented on by its unit."""
    latest = {row.id: max(t for t in (row.created_at, row.signed_at) if t is not None) for row in rows}
    ids = list(latest)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for model, column in ((WorkItemHandling, WorkItemHandling.at), (FormDraft, FormDraft.saved_at)):
            query = (select(model.work_item_id, func.max(column)).where(model.work_item_id.in_(chunk))
                     .group_by(model.work_item_id))
            for item_id, at in db.session.execute(query):
                latest[item_id] = max(latest[item_id], at)
    comments = _comment_times({row.plan_task_id for row in rows})
    for row in rows:
        said = comments.get((row.plan_task_id, row.unit_id))
        if said is not None:
            latest[row.id] = max(latest[row.id], said)
    return latest


def _comment_times(task_ids: set[int]) -> dict[tuple[int, int | None], datetime]:
    """The latest comment on each task by each unit."""
    if not task_ids:
        return {}
    query = (select(TaskComment.plan_task_id, User.unit_id, func.max(TaskComment.created_at))
             .join(User, User.id == TaskComment.author_id).where(TaskComment.plan_task_id.in_(task_ids))
             .group_by(TaskComment.plan_task_id, User.unit_id))
    return {(task_id, unit_id): at for task_id, unit_id, at in db.session.execute(query)}


def _recipients(people: People, row: Row[Any]) -> list[User]:
    supervisors = people.with_role(Role.SUPERVISOR)
    if row.role is Role.SUPERVISOR:
        return supervisors
    liaisons = people.with_role(Role.LIAISON, {row.unit_id})
    return liaisons + [u for u in supervisors if u not in liaisons]


def _message(row: Row[Any], quiet_since: date, after: int) -> tuple[str, str]:
    subject = f"{row.supervision_number or ''}「{row.step_name}」"
    body = (f"{subject}自 {quiet_since:%Y年%m月%d日} 以来已连续 {after} 个工作日没有任何办理动态"
            "(签收、转办、保存草稿、评论等),请及时推进。")
    return f"{NoticeKind.STAGNATION.label}提醒:{subject}", body


def _sent(drafts: list[tuple[notices.NoticeDraft, Row[Any]]]) -> list[SentNotice]:
    created = {(d.key, d.user.id) for d in notices.notify_many([d for d, _ in drafts])}
    sent: dict[str, SentNotice] = {}
    for draft, row in drafts:
        if (draft.key, draft.user.id) in created:
            sent.setdefault(draft.key, SentNotice(draft.key, "stagnation", 1, row.id, late=draft.late)
                            ).recipients.append(draft.user.username)
    return list(sent.values())
