"""Notices of a task's events (退回, 通过, 请求审签/协办, 办结, 延期, 批示, 整改) and the names they carry.

Every notice names the task (督办编号 and title), what the step is for (the milestone, rectification or
report period: ``subject_of``) and the step. Keys are built from the row the event happened to (the
completed item, the request, the instruction), so a double submission or a replay records nothing new:
(key, user) is unique. The e-mail follows each person's choice of topics and the plan's daily digest.

A step does not write them itself: ``defer`` leaves what it means in the completed item's ``fan_out`` (its
own UPDATE carries it) and the scheduler's tick writes the notices and re-indexes the task (``fan_out``),
committed batch by batch with the markers cleared in the same transaction, so a kill loses nothing and a
rerun doubles nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    Decomposition,
    Milestone,
    NoticeKind,
    NoticeTopic,
    PlanTask,
    ProgressReport,
    Rectification,
    ReviewDecision,
    Role,
    StepKey,
    User,
    UserRole,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models.base import utcnow
from app.models.workflow import FAN_OUT_PENDING
from app.services.infrastructure import notices, search_index, visibility
from app.services.timing import deadlines, digests

#: A returned submission reopens its step: (the verdict's step, the reopened step) → what the unit is told.
_RETURNED = {
    (StepKey.DECOMPOSITION_REVIEW, StepKey.DECOMPOSITION): NoticeTopic.DECOMPOSITION_RETURNED,
    (StepKey.REPORT_REVIEW, StepKey.MILESTONE_REPORT): NoticeTopic.REPORT_RETURNED,
    (StepKey.HEAD_SIGNOFF, StepKey.MILESTONE_REPORT): NoticeTopic.SIGNOFF_RETURNED,
}
#: Steps that, once opened, ask a unit for something.
_REQUESTED = {
    StepKey.HEAD_SIGNOFF: NoticeTopic.SIGNOFF_REQUESTED,
    StepKey.COOPERATING_CONTRIBUTION: NoticeTopic.CONTRIBUTION_REQUESTED,
}
#: 督审处's approvals the submitting unit should know of.
_APPROVED = {
    StepKey.DECOMPOSITION_REVIEW: NoticeTopic.DECOMPOSITION_APPROVED,
    StepKey.REPORT_REVIEW: NoticeTopic.REPORT_APPROVED,
}


def subject_of(item: WorkItem) -> str:
    """What the item is for, in words: 节点「…」, 整改「…」, 2026年3月进展, or "" for the task as a whole."""
    return subjects_of([item]).get(item.id, "")


def subjects_of(items: Sequence[WorkItem]) -> dict[int, str]:
    """``subject_of`` for many items, in at most three queries (for lists)."""
    wanted: dict[str, dict[int, list[int]]] = {"milestone_id": {}, "rectification_id": {}, "progress_report_id": {}}
    for item in items:
        for name, by_id in wanted.items():
            if isinstance(row_id := (item.context or {}).get(name), int):
                by_id.setdefault(row_id, []).append(item.id)
    names: dict[int, str] = {}
    if ids := wanted["milestone_id"]:
        for milestone in db.session.scalars(select(Milestone).where(Milestone.id.in_(ids))):
            names.update(dict.fromkeys(ids[milestone.id], f"节点{milestone.position}「{milestone.title}」"))
    if ids := wanted["rectification_id"]:
        for rectification in db.session.scalars(select(Rectification).where(Rectification.id.in_(ids))):
            names.update(dict.fromkeys(ids[rectification.id], f"整改「{rectification.requirement[:20]}」"))
    if ids := wanted["progress_report_id"]:
        for report in db.session.scalars(select(ProgressReport).where(ProgressReport.id.in_(ids))):
            names.update(dict.fromkeys(ids[report.id], f"{report.period}进展"))
    return names


def instance_names(instances: Sequence[WorkflowInstance]) -> dict[int, str]:
    """What each process instance runs for, in words (the diagram summaries): 节点1「…」流程, 整改「…」流程 …"""
    names = {}
    for instance in instances:
        if instance.milestone_id is not None:
            milestone = db.session.get_one(Milestone, instance.milestone_id)
            names[instance.id] = f"节点{milestone.position}「{milestone.title}」({milestone.unit.name})"
        elif instance.rectification_id is not None:
            rectification = db.session.get_one(Rectification, instance.rectification_id)
            names[instance.id] = f"整改「{rectification.requirement[:20]}」({rectification.unit.name})"
        elif instance.progress_report_id is not None:
            report = db.session.get_one(ProgressReport, instance.progress_report_id)
            names[instance.id] = f"{report.period}进展报告"
        elif instance.decomposition_id is not None:
            # A task several units answer for runs one lifecycle per unit: the unit tells them apart.
            decomposition = db.session.get_one(Decomposition, instance.decomposition_id)
            names[instance.id] = f"任务分解与办结({decomposition.unit.name})"
        else:
            names[instance.id] = "任务分解与办结"
    return names


def task_name(task: PlanTask) -> str:
    """督办编号 and title, as notices and mails name a task."""
    return f"{task.supervision_number or ''} {task.title[:30]}".strip()


def headline(task: PlanTask, item: WorkItem | None) -> str:
    """Task · what for · step: the line a notice opens with."""
    parts = [task_name(task)]
    if item is not None:
        parts += [subject_of(item), f"「{item.step_name}」"]
    return " · ".join(part for part in parts if part)


#: Completed items whose fan-out one batch writes (one transaction each).
FAN_OUT_BATCH = 200


def defer(item: WorkItem, plan_task_id: int, decision: str | None, note: str | None) -> None:
    """Leave ``item``'s completion for ``fan_out``: the verdict and its comments (``defer_opened`` adds the steps
    it opens). Set before the step's flush, which writes it with the item's completion; the task's search entries
    wait for the fan-out too."""
    item.fan_out = {"task": plan_task_id, "decision": decision, "note": note, "opened": []}
    search_index.defer_task(db.session(), plan_task_id)


def defer_opened(item: WorkItem, new: WorkItem) -> None:
    """``item``'s completion opened ``new`` (named by its engine task id: its row id comes with the flush)."""
    pending = dict(item.fan_out or {})
    item.fan_out = {**pending, "opened": [*pending.get("opened", []), new.engine_task_id]}


def fan_out(checkpoint: Callable[[], None], batch: int = FAN_OUT_BATCH) -> int:
    """Write the notices and search entries of completed steps, oldest first, ``batch`` items per
    ``checkpoint`` (the caller's commit); returns how many steps were told.

    Each batch clears its items' markers in its own transaction: a kill loses the batch's work and its
    clearing alike, and the rerun's notices have the same keys, so nothing is sent twice.
    """
    told = 0
    while True:
        items = list(db.session.scalars(
            select(WorkItem).where(FAN_OUT_PENDING).order_by(WorkItem.id).limit(batch)
            .with_for_update(skip_locked=True)))
        if not items:
            return told
        wanted = [engine_id for item in items for engine_id in (item.fan_out or {}).get("opened", [])]
        opened = {new.engine_task_id: new for new in db.session.scalars(
            select(WorkItem).where(WorkItem.engine_task_id.in_(wanted)))} if wanted else {}
        tasks: set[int] = set()
        for item in items:
            pending = item.fan_out or {}
            if item.state is not WorkItemState.COMPLETED:  # a refused step's marker, flushed by a caller going on
                continue
            tasks.add(pending["task"])
            after_step(item, pending["task"], pending.get("decision"), pending.get("note"),
                       [opened[engine_id] for engine_id in pending.get("opened", []) if engine_id in opened])
            if item.form_key == StepKey.TASK_CLOSURE.value:
                decomposition = db.session.get(Decomposition, (item.context or {}).get("decomposition_id"))
                if decomposition is not None:
                    task_closed(item, decomposition.task, decomposition.unit_id)
        search_index.refresh_tasks(db.session.connection(), tasks)
        db.session.execute(update(WorkItem).where(WorkItem.id.in_([item.id for item in items]))
                           .values(fan_out=None).execution_options(synchronize_session=False))
        for item in items:
            db.session.expire(item, ["fan_out"])
        checkpoint()
        told += len(items)


def after_step(item: WorkItem, plan_task_id: int, decision: str | None, note: str | None,
               opened: Iterable[WorkItem]) -> None:
    """Tell the units what ``item``'s completion means for them: a verdict, a reopened step or a new request."""
    task = db.session.get_one(PlanTask, plan_task_id)
    step = _step_key(item)
    comments = f"意见:{note}" if note else ""
    for new in opened:
        new_step = _step_key(new)
        if new.unit_id is None or new_step is None:
            continue
        topic = _RETURNED.get((step, new_step)) if step else None
        topic = topic or _REQUESTED.get(new_step)
        if topic is not None:
            body = f"{headline(task, new)}:{topic.label},请及时办理。{comments}"
            tell(acting(new), task, topic, f"step:{item.id}:{topic.value}:{new.id}",
                 f"{topic.label}:{headline(task, new)}", body, f"/work/items/{new.id}")
    if step is not None and step in _APPROVED and decision == ReviewDecision.APPROVE.value:
        topic = _APPROVED[step]
        unit_id = _submitting_unit(item)
        if unit_id is not None:
            tell(unit_people(unit_id, Role.LIAISON), task, topic, f"step:{item.id}:{topic.value}",
                 f"{topic.label}:{headline(task, item)}", f"{headline(task, item)}:{topic.label}。{comments}",
                 f"/tasks/{task.id}")


def _step_key(item: WorkItem) -> StepKey | None:
    return StepKey(item.form_key) if item.form_key in set(StepKey) else None


def task_closed(item: WorkItem, task: PlanTask, unit_id: int) -> None:
    """The unit's part of the task was closed (办结)."""
    topic = NoticeTopic.TASK_CLOSED
    tell(unit_people(unit_id, Role.LIAISON, Role.UNIT_HEAD), task, topic, f"step:{item.id}:{topic.value}",
         f"{topic.label}:{task_name(task)}", f"{task_name(task)}:督审处已办结本单位承担的部分。", f"/tasks/{task.id}")


def tell(people: Iterable[User], task: PlanTask, topic: NoticeTopic, key: str, title: str, body: str,
         link: str) -> None:
    """One notice of ``topic`` to each person; mail by their choice, held for the plan's digest if it has one
    (the digest that has not gone yet: the day it is recorded, by the fan-out after the step)."""
    digest_day = digests.digest_day_for(utcnow()) if deadlines.policy_for(task).daily_digest else None
    for user in people:
        notices.notify(user, NoticeKind.INFO, key, title[:200], body, link, digest_day=digest_day, topic=topic)


def unit_people(unit_id: int, *roles: Role) -> list[User]:
    """The unit's active users holding any of ``roles``."""
    query = (select(User).join(UserRole).where(User.unit_id == unit_id, User.active.is_(True),
                                                UserRole.role.in_(roles)).distinct().order_by(User.id))
    return list(db.session.scalars(query))


def supervisors(organisation_id: int | None = None) -> list[User]:
    """督审处's active reviewers (of one bureau, when given: a city's requests are its own 督查 staff's)."""
    query = select(User).join(UserRole).where(User.active.is_(True), UserRole.role == Role.SUPERVISOR)
    users = list(db.session.scalars(query.order_by(User.id)))
    if organisation_id is None:
        return users
    return [user for user in users if visibility.organisation_id_of(user) == organisation_id]


def acting(item: WorkItem) -> list[User]:
    """Who may act on a unit's item: the colleague it was handed to, else the holders of its role."""
    if item.assignee_id is not None:
        return [db.session.get_one(User, item.assignee_id)]
    return unit_people(item.unit_id, item.role) if item.unit_id and item.role else []


def _submitting_unit(review: WorkItem) -> int | None:
    """The unit whose submission a verdict judges: the milestone's or the decomposition's."""
    context = review.context or {}
    if isinstance(milestone_id := context.get("milestone_id"), int):
        return db.session.scalar(select(Milestone.unit_id).where(Milestone.id == milestone_id))
    if isinstance(decomposition_id := context.get("decomposition_id"), int):
        return db.session.scalar(select(Decomposition.unit_id).where(Decomposition.id == decomposition_id))
    return None
