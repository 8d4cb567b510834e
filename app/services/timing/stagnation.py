"""停滞提醒: an open work item nobody has touched for ``policy.stagnation_after`` working days.

An item's last update is the latest of: the item opened (created_at), signed for
(signed_at), any handling (签收/转办 rows), a draft saved on it, and a comment on its
task by someone of the item's unit. A tick looks only at the items whose
``stagnation_check_at`` has come (indexed; None means "look now"): updates only ever push
the stagnant day later, so the marker, set to the day the last update seen would make the
item stagnant, is a safe lower bound. A stagnant item gets one ``stagnant_item`` row per
(item, day of last update), so each silence counts once; new activity followed by new
silence counts again.

Volume is bounded by design: each unit's liaisons get one summary a day listing their
unit's stagnant items (``stagnation:unit:<unit>:<day>``), and 督审处 one summary a day across
units (``stagnation:supervision:<day>``), which alone carries 督审处's own steps. Items found
after the day's summary went out wait for the next day's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import (
    DeadlinePolicy,
    FormDraft,
    NoticeKind,
    Notification,
    PlanTask,
    Role,
    StagnantItem,
    TaskComment,
    Unit,
    User,
    WorkflowInstance,
    WorkItem,
    WorkItemHandling,
)
from app.models.base import id_in, utcnow
from app.models.deadline import SUPERVISION_PENDING, UNIT_PENDING
from app.services.infrastructure import notices
from app.services.timing import digests
from app.services.timing.deadlines import People, SentNotice, work_calendar
from app.services.timing.workdays import BEIJING, WorkCalendar

#: Items looked at per batch (the caller's checkpoint commits after each).
BATCH = 2000
#: Items listed by name in one summary; the rest are counted.
LISTED = 100
#: Verbatim the predicate of ix_work_item_stagnation_check, so SQLite uses the partial index.
_OPEN = text("state = 'open'")
#: The model's default, for plans without a policy row yet.
_DEFAULT_AFTER = 15
#: The marker of items of plans with stagnation off (a policy change looks at them again).
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class _Policy:
    after: int
    digest: bool


def sweep(now: datetime, checkpoint: Callable[[], None] | None = None) -> list[SentNotice]:
    """Find the items stagnant by ``now`` and send the day's summaries; one line per new stagnant item
    and per summary.

    Works through the due items in batches of ``BATCH``, calling ``checkpoint`` (default: flush)
    after each; every batch moves its items' markers past ``now``, so a replay finds nothing.
    """
    calendar, today = work_calendar(), now.astimezone(BEIJING).date()
    policies = {p.plan_id: _Policy(p.stagnation_after, p.daily_digest)
                for p in db.session.scalars(select(DeadlinePolicy))}
    people = People.load()
    found: list[SentNotice] = []
    while rows := _due_items(now):
        found += _look_at(rows, policies, calendar, today, people)
        (checkpoint or db.session.flush)()
    return found + send_summaries(now, people)


def _due_items(now: datetime) -> list[Row[Any]]:
    """A batch of open items whose marker has come: never looked at first, then by marker."""
    columns = (WorkItem.id, WorkItem.instance_id, WorkItem.created_at, WorkItem.signed_at, WorkItem.unit_id,
               WorkItem.role)
    fresh = select(*columns).where(_OPEN, WorkItem.stagnation_check_at.is_(None)).limit(BATCH).subquery()
    rows = _with_task(fresh)
    if len(rows) < BATCH:
        due = (select(*columns).where(_OPEN, WorkItem.stagnation_check_at <= now)
               .order_by(WorkItem.stagnation_check_at).limit(BATCH - len(rows)).subquery())
        rows += _with_task(due)
    return rows


def _with_task(items: Any) -> list[Row[Any]]:
    query = (select(items, WorkflowInstance.plan_task_id, PlanTask.plan_id)
             .join(WorkflowInstance, WorkflowInstance.id == items.c.instance_id)
             .join(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id))
    return list(db.session.execute(query).all())


def _look_at(rows: list[Row[Any]], policies: dict[int, _Policy], calendar: WorkCalendar, today: date,
             people: People) -> list[SentNotice]:
    """Record the stagnant items of one batch and move every item's marker."""
    updates = last_updates(rows)
    shift = lru_cache(maxsize=None)(calendar.shift)  # a batch shares few days
    markers: dict[int, datetime] = {}
    stagnant: list[dict[str, Any]] = []
    for row in rows:
        policy = policies.get(row.plan_id, _Policy(_DEFAULT_AFTER, False))
        if policy.after <= 0:
            markers[row.id] = NEVER
            continue
        quiet_since = updates[row.id].astimezone(BEIJING).date()
        day = shift(quiet_since, policy.after)
        if day > today:
            markers[row.id] = _start_of(day)
            continue
        # Told (now or before): look again once another full silence could have passed.
        markers[row.id] = _start_of(shift(today, policy.after))
        own = row.role is Role.SUPERVISOR
        stagnant.append({"work_item_id": row.id, "quiet_since": quiet_since, "stagnant_on": day,
                         "unit_id": None if own else row.unit_id, "digest": policy.digest,
                         "unit_told_on": today if own or row.unit_id is None else None})
    _set_markers(markers)
    by_id = {row.id: row for row in rows}
    return [_line(by_id[item_id], quiet_since, stagnant_on < today, people)
            for item_id, quiet_since, stagnant_on in _insert_new(stagnant)]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING)


def _set_markers(markers: dict[int, datetime]) -> None:
    """One UPDATE per distinct marker (a batch shares few days)."""
    by_marker: dict[datetime, list[int]] = {}
    for item_id, marker in markers.items():
        by_marker.setdefault(marker, []).append(item_id)
    for marker, ids in by_marker.items():
        db.session.execute(update(WorkItem).where(id_in(WorkItem.id, ids)).values(stagnation_check_at=marker)
                           .execution_options(synchronize_session=False))


#: PostgreSQL takes the batch as one array per column: a short statement, however many rows.
_UNNEST = text(
    "INSERT INTO stagnant_item "
    "(work_item_id, quiet_since, stagnant_on, unit_id, digest, unit_told_on, created_at) "
    "SELECT * FROM unnest(CAST(:work_item_id AS integer[]), CAST(:quiet_since AS date[]), "
    "CAST(:stagnant_on AS date[]), CAST(:unit_id AS integer[]), CAST(:digest AS boolean[]), "
    "CAST(:unit_told_on AS date[]), CAST(:created_at AS timestamptz[])) "
    "ON CONFLICT (work_item_id, quiet_since) DO NOTHING RETURNING work_item_id, quiet_since, stagnant_on"
)
_COLUMNS = ("work_item_id", "quiet_since", "stagnant_on", "unit_id", "digest", "unit_told_on", "created_at")


def _insert_new(rows: list[dict[str, Any]]) -> list[tuple[int, date, date]]:
    """INSERT … ON CONFLICT DO NOTHING; (item, quiet since, stagnant on) of the rows that were new."""
    if not rows:
        return []
    stamped = [{**row, "created_at": utcnow()} for row in rows]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        result = connection.execute(_UNNEST, {name: [row[name] for row in stamped] for name in _COLUMNS})
    else:
        statement = (sqlite_insert(StagnantItem)
                     .on_conflict_do_nothing(index_elements=["work_item_id", "quiet_since"])
                     .returning(StagnantItem.work_item_id, StagnantItem.quiet_since,
                                StagnantItem.stagnant_on))
        result = connection.execute(statement, stamped)
    return [(item_id, quiet, day) for item_id, quiet, day in result]


def _line(row: Row[Any], quiet_since: date, late: bool, people: People) -> SentNotice:
    """The tick's line for one newly stagnant item: who will read of it in the summaries."""
    key = f"work_item:{row.id}:stagnation:{quiet_since.isoformat()}"
    sent = SentNotice(key, "stagnation", 1, row.id, late=late)
    liaisons = [] if row.role is Role.SUPERVISOR else people.with_role(Role.LIAISON, {row.unit_id})
    sent.recipients.extend(u.username for u in _unique(liaisons + people.with_role(Role.SUPERVISOR)))
    return sent


def _unique(users: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.id, user)
    return list(seen.values())


def last_updates(rows: list[Row[Any]]) -> dict[int, datetime]:
    """Each item's last update: opened, signed for, handled, draft saved, or commented on by its unit."""
    latest = {row.id: max(t for t in (row.created_at, row.signed_at) if t is not None) for row in rows}
    ids = list(latest)
    for model, column in ((WorkItemHandling, WorkItemHandling.at), (FormDraft, FormDraft.saved_at)):
        query = (select(model.work_item_id, func.max(column)).where(id_in(model.work_item_id, ids))
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


def recheck_plan(plan_id: int) -> None:
    """Look at the plan's open items again at the next tick (its stagnation limit changed)."""
    tasks = select(WorkflowInstance.id).join(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id).where(
        PlanTask.plan_id == plan_id)
    db.session.execute(update(WorkItem).where(_OPEN, WorkItem.instance_id.in_(tasks))
                       .values(stagnation_check_at=None).execution_options(synchronize_session=False))


# --- the daily summaries -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One stagnant item as a summary lists it."""

    row_id: int
    unit_id: int | None
    unit_name: str
    subject: str
    work_item_id: int
    quiet_since: date
    stagnant_on: date
    digest: bool

    def line(self) -> str:
        return f"{self.subject}({self.unit_name})自 {self.quiet_since:%Y年%m月%d日} 起没有办理动态"


def send_summaries(now: datetime, people: People | None = None) -> list[SentNotice]:
    """Send today's summaries of the stagnant items not told yet: one per unit, one for 督审处."""
    today = now.astimezone(BEIJING).date()
    people = people or People.load()
    sent: list[SentNotice] = []
    pending = _pending(UNIT_PENDING)
    by_unit: dict[int, list[_Entry]] = {}
    for entry in pending:
        by_unit.setdefault(entry.unit_id or 0, []).append(entry)
    for unit_id, entries in sorted(by_unit.items()):
        key = f"stagnation:unit:{unit_id}:{today.isoformat()}"
        if _sent_before(key):
            continue  # today's summary went out: these wait for tomorrow's
        liaisons = people.with_role(Role.LIAISON, {unit_id})
        sent += _summary(key, liaisons, entries, today, now, f"{entries[0].unit_name}停滞事项", [])
        _told(StagnantItem.unit_told_on, [e.row_id for e in entries], today)
    entries = _pending(SUPERVISION_PENDING)
    key = f"stagnation:supervision:{today.isoformat()}"
    if entries and not _sent_before(key):
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry.unit_name] = counts.get(entry.unit_name, 0) + 1
        by_unit_line = "按单位:" + "、".join(f"{name} {n} 项" for name, n in counts.items()) + "。"
        sent += _summary(key, people.with_role(Role.SUPERVISOR), entries, today, now, "各单位停滞事项",
                         [by_unit_line])
        _told(StagnantItem.supervision_told_on, [e.row_id for e in entries], today)
    return sent


def _pending(predicate: Any) -> list[_Entry]:
    query = (select(StagnantItem.id, StagnantItem.unit_id, Unit.name, PlanTask.supervision_number,
                    WorkItem.step_name, StagnantItem.work_item_id, StagnantItem.quiet_since,
                    StagnantItem.stagnant_on, StagnantItem.digest)
             .join(WorkItem, WorkItem.id == StagnantItem.work_item_id)
             .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
             .join(PlanTask, PlanTask.id == WorkflowInstance.plan_task_id)
             .outerjoin(Unit, Unit.id == func.coalesce(StagnantItem.unit_id, WorkItem.unit_id))
             .where(predicate).order_by(StagnantItem.unit_id, StagnantItem.stagnant_on, StagnantItem.id))
    return [_Entry(r[0], r[1], r[2] or "督审处", f"{r[3] or ''}「{r[4]}」", *r[5:])
            for r in db.session.execute(query)]


def _sent_before(key: str) -> bool:
    return db.session.scalar(select(Notification.id).where(Notification.key == key).limit(1)) is not None


def _told(column: Any, row_ids: list[int], today: date) -> None:
    for start in range(0, len(row_ids), 5000):
        db.session.execute(update(StagnantItem).where(id_in(StagnantItem.id, row_ids[start:start + 5000]))
                           .values({column: today}).execution_options(synchronize_session=False))


def _summary(key: str, users: list[User], entries: list[_Entry], today: date, now: datetime,
             heading: str, preface: list[str]) -> list[SentNotice]:
    """One summary notice to each of ``users``; its e-mail waits for the digest when a plan asks for one."""
    title = f"{NoticeKind.STAGNATION.label}提醒:{today:%Y年%m月%d日}{heading} {len(entries)} 项"
    lines = [f"{n}. {entry.line()}" for n, entry in enumerate(entries[:LISTED], 1)]
    if len(entries) > LISTED:
        lines.append(f"……另有 {len(entries) - LISTED} 项,请在待办和看板中查看。")
    intro = "以下事项已连续多个工作日没有任何办理动态(签收、转办、保存草稿、评论等),请及时推进。"
    body = "\n".join([intro, *preface, *lines])
    link = f"/work/items/{entries[0].work_item_id}" if len(entries) == 1 else "/notifications"
    late = min(entry.stagnant_on for entry in entries) < today
    digest_day = digests.digest_day_for(now) if any(entry.digest for entry in entries) else None
    drafts = [notices.NoticeDraft(user, NoticeKind.STAGNATION, key, title, body, link, late, digest_day)
              for user in users]
    created = notices.notify_many(drafts)
    if not created:
        return []
    return [SentNotice(key, "stagnation", 0, None, [d.user.username for d in created], late)]
