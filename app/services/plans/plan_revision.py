"""Governed changes to a plan: a revised document is shown as a change set and applied to the plan it revises.

Tasks are matched by number. A change set never creates a second plan: added tasks join the plan, changed
tasks are edited in place (their targets keep their ids, so reports and milestones that use them stay valid),
and removed tasks are cancelled, never deleted. Every change carries a reason, its before/after goes to the
audit history, the units it concerns are notified, and running work follows: a new lead unit gets its
decomposition, a unit that no longer answers for the task has its open steps ended.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import selectinload

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import (
    Decomposition,
    NoticeKind,
    Plan,
    PlanImportDraft,
    PlanSection,
    PlanStatus,
    PlanTarget,
    PlanTask,
    TargetActual,
    TaskResponsibility,
    Unit,
    UnitGroup,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.models.base import utcnow
from app.models.lifecycle import milestone_target
from app.plan_parser.model import Task
from app.services.infrastructure import audit, notices
from app.services.lifecycle import supervision
from app.services.plans import plan_import
from app.services.plans.name_resolution import Decision, apply_decision
from app.services.timing import deadlines

#: Reasons are kept in the audit history and sent to the units; a sentence or two.
MAX_REASON = 500


class ChangeKind(enum.StrEnum):
    """What a revision does to one task."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return {"added": "新增任务", "changed": "修改任务", "removed": "取消任务"}[self.value]


@dataclass(frozen=True)
class TaskSnapshot:
    """A task as the plan holds it, or as the revision writes it: what a change compares and records."""

    number: int
    title: str
    text: str
    units: tuple[tuple[str, str], ...]  # (role label, unit or group name)
    targets: tuple[tuple[str, str, str | None], ...]  # (value, unit, comparator)
    due: date | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape kept in the audit history."""
        return {"number": self.number, "title": self.title, "text": self.text,
                "units": [f"{role}:{name}" for role, name in self.units],
                "targets": [f"{comparator or ''}{value}{unit}" for value, unit, comparator in self.targets],
                "due": self.due.isoformat() if self.due else None}


@dataclass(frozen=True)
class Change:
    """One task added, changed (with the aspects that changed) or removed."""

    kind: ChangeKind
    number: int
    before: TaskSnapshot | None
    after: TaskSnapshot | None
    aspects: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable name of the change in forms and notices."""
        return f"{self.kind.value}-{self.number}"


@dataclass
class Revision:
    """The change set of a revised document against its plan."""

    plan: Plan
    changes: list[Change] = field(default_factory=list)


def _plain(value: Decimal | float | int) -> str:
    """A number without trailing zeros or exponent: 230000.000000 → 230000."""
    return f"{Decimal(str(value)).normalize():f}"


def stored_snapshot(task: PlanTask) -> TaskSnapshot:
    """A plan task as stored."""
    return TaskSnapshot(
        task.number, task.title, task.text,
        tuple((r.role.label, r.holder_name) for r in task.responsibilities),
        tuple((_plain(t.value), t.unit, t.comparator) for t in task.targets),
        task.suggested_due,
    )


def parsed_snapshot(task: Task, resolved: Mapping[str, Unit | UnitGroup], year: int) -> TaskSnapshot:
    """A task as the revised document writes it, names as the directory calls them where it knows them."""
    return TaskSnapshot(
        task.number, task.title[:500], task.text,
        tuple((role.label, resolved[name].name if name in resolved else name)
              for name, role in plan_import.unit_roles(task).items()),
        tuple((_plain(t.value), t.unit, t.comparator) for t in task.goals),
        task.deadline.on(year) if task.deadline else None,
    )


def aspects_between(before: TaskSnapshot, after: TaskSnapshot) -> tuple[str, ...]:
    """What differs: wording (beyond the numbers of targets), units, targets, deadline."""
    aspects = []
    numbers = re.compile(r"\d+(?:\.\d+)?")
    old, new = _wording(before.text), _wording(after.text)
    if numbers.sub("#", old) != numbers.sub("#", new) or (old != new and before.targets == after.targets):
        aspects.append("文字")
    if before.units != after.units:
        aspects.append("责任单位")
    if before.targets != after.targets:
        aspects.append("量化指标")
    if before.due != after.due:
        aspects.append("完成时限")
    return tuple(aspects)


#: A responsibility annotation closing a paragraph: "（A牵头，B负责）。"; units are compared on their own.
_ANNOTATION = re.compile(r"[(（][^()（）]*[)）][。.]?$")


def _wording(text: str) -> str:
    """The task's words without whitespace and without its responsibility annotations."""
    return "".join(_ANNOTATION.sub("", re.sub(r"\s+", "", line)) for line in text.split("\n"))


def revision(draft: PlanImportDraft, preview: plan_import.ImportPreview) -> Revision:
    """The change set of the draft against the plan it revises."""
    plan = draft.revises_plan
    if plan is None:
        raise InvalidTransition("该导入不是已有计划的修订版。")
    result = Revision(plan)
    tasks = db.session.scalars(select(PlanTask).where(PlanTask.plan_id == plan.id, PlanTask.cancelled_at.is_(None))
                               .options(selectinload(PlanTask.targets), selectinload(PlanTask.responsibilities)
                                        .options(selectinload(TaskResponsibility.unit),
                                                 selectinload(TaskResponsibility.group))))
    current = {task.number: task for task in tasks}
    revised = {task.number: task for task in preview.parsed.tasks}
    for number in sorted(current.keys() | revised.keys()):
        before = stored_snapshot(current[number]) if number in current else None
        after = parsed_snapshot(revised[number], preview.resolved, plan.year) if number in revised else None
        if before is None:
            result.changes.append(Change(ChangeKind.ADDED, number, None, after))
        elif after is None:
            result.changes.append(Change(ChangeKind.REMOVED, number, before, None))
        elif aspects := aspects_between(before, after):
            result.changes.append(Change(ChangeKind.CHANGED, number, before, after, aspects))
    return result


def apply_revision(draft: PlanImportDraft, decisions: Mapping[str, Decision], reasons: Mapping[str, str],
                   actor: User) -> Revision:
    """Apply the change set to the plan it revises, each change with its reason in ``reasons`` (by change key).

    :raises InvalidTransition: the draft was confirmed already, or revises no plan, or the plan is archived.
    :raises ValidationFailed: a name is unresolved, a change has no reason, or the revision has no change.
    """
    plan = draft.revises_plan
    if plan is None or plan.status is not PlanStatus.ACTIVE:
        raise InvalidTransition("被修订的计划不存在或已归档,不能应用修订。")
    if draft.plan_id is not None:
        raise InvalidTransition("该修订已经应用过,请勿重复提交。")
    for name, decision in decisions.items():
        apply_decision(draft.organisation, name, decision, actor)
    preview = plan_import.preview(draft)
    if preview.parsed.errors:
        raise ValidationFailed("表格中还有需要修改的问题(见预览顶部),修改表格或列对应后才能应用修订。")
    if preview.unresolved:
        raise ValidationFailed("以下名称尚未确定对应的单位或单位组:" + "、".join(preview.unresolved))
    result = revision(draft, preview)
    if not result.changes:
        raise ValidationFailed("修订版与现行计划没有任何差别,无需应用。")
    missing = [change.number for change in result.changes if not (reasons.get(change.key) or "").strip()]
    if missing:
        raise ValidationFailed("请为每项修改填写原因(缺少第" + "、".join(map(str, missing)) + "项)。")
    _claim(draft, plan)
    revised = {task.number: task for task in preview.parsed.tasks}
    for change in result.changes:
        reason = reasons[change.key].strip()[:MAX_REASON]
        task = _apply(plan, change, revised.get(change.number), preview, reason, actor)
        audit.record(actor, "plan_task", task.id, f"revision_{change.kind.value}",
                     before=change.before.to_dict() if change.before else None,
                     after={**(change.after.to_dict() if change.after else {}), "reason": reason,
                            "aspects": list(change.aspects), "source": draft.source_name})
        notify_change(task, change, reason, task.plan.content_hash[:12])
    plan.content_hash = draft.content_hash
    db.session.flush()
    audit.record(actor, "plan", plan.id, "revised", after={
        "source": draft.source_name, "hash": draft.content_hash, "changes": [c.key for c in result.changes]})
    return result


def _claim(draft: PlanImportDraft, plan: Plan) -> None:
    """Mark the draft applied first, in one conditional UPDATE: a second click or tab waits for it and loses."""
    claimed = db.session.execute(update(PlanImportDraft).where(
        PlanImportDraft.id == draft.id, PlanImportDraft.plan_id.is_(None)).values(plan_id=plan.id))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition("该修订已经应用过,请勿重复提交。")
    db.session.refresh(draft)


def _apply(plan: Plan, change: Change, parsed: Task | None, preview: plan_import.ImportPreview, reason: str,
           actor: User) -> PlanTask:
    if change.kind is ChangeKind.ADDED:
        assert parsed is not None
        return add_task(plan, parsed, _section(plan, parsed.section, preview), preview.resolved)
    task = next(t for t in plan.tasks if t.number == change.number)
    if change.kind is ChangeKind.REMOVED:
        cancel_task(task, reason)
    else:
        assert parsed is not None
        change_task(task, parsed, preview.resolved, plan.year, change.aspects)
    return task


def add_task(plan: Plan, parsed: Task, section: PlanSection | None,
             resolved: Mapping[str, Unit | UnitGroup]) -> PlanTask:
    """A new task joins the plan, numbered and supervised like the others."""
    task = plan_import.task_row(parsed, section, resolved, plan.year, {})
    plan.tasks.append(task)
    db.session.flush()
    supervision.number_tasks(plan, [task])
    for unit in supervision.decomposing_units(task):
        supervision.start_decomposition(task, unit)
    deadlines.schedule_task(task)
    return task


def _section(plan: Plan, number: int | None, preview: plan_import.ImportPreview) -> PlanSection | None:
    if number is None:
        return None
    found = next((s for s in plan.sections if s.number == number), None)
    if found is None:
        title = next((s.title for s in preview.parsed.sections if s.number == number), f"第{number}部分")
        found = PlanSection(number=number, title=title)
        plan.sections.append(found)
    return found


def change_task(task: PlanTask, parsed: Task, resolved: Mapping[str, Unit | UnitGroup], year: int,
                 aspects: Sequence[str]) -> None:
    """Edit the task in place; responsibilities and running work follow when the units changed."""
    task.title, task.text = parsed.title[:500], parsed.text
    task.suggested_due = parsed.deadline.on(year) if parsed.deadline else None
    task.deadline_phrase = parsed.deadline.phrase[:60] if parsed.deadline else None
    _sync_targets(task, parsed)
    if "责任单位" not in aspects:
        return
    before = {unit.id: unit for unit in supervision.decomposing_units(task)}
    task.responsibilities = list(plan_import.responsibilities(parsed, resolved))
    db.session.flush()
    after = {unit.id: unit for unit in supervision.decomposing_units(task)}
    for unit_id, unit in after.items():
        if unit_id not in before and _decomposition(task, unit) is None:
            supervision.start_decomposition(task, unit)
    for unit_id in before.keys() - after.keys():
        end_open_work(task, unit_id)


def _sync_targets(task: PlanTask, parsed: Task) -> None:
    """Targets by position: existing rows are corrected in place (their ids stay), extra ones added or dropped."""
    for position, found in enumerate(parsed.goals):
        if position < len(task.targets):
            row = task.targets[position]
        else:
            row = PlanTarget()
            task.targets.append(row)
        row.value, row.unit, row.comparator = Decimal(str(found.value)), found.unit, found.comparator
        row.phrase, row.span_start, row.span_end = found.phrase, found.span[0], found.span[1]
    for row in list(task.targets[len(parsed.goals):]):
        if row.id is not None and _target_in_use(row):
            raise ValidationFailed(f"第{task.number}项任务的量化指标“{row.phrase}”已有节点或报送使用,"
                                   "不能随修订删除。请在修订版中保留该指标。")
        task.targets.remove(row)


def _target_in_use(target: PlanTarget) -> bool:
    used_by_milestone = exists().where(milestone_target.c.plan_target_id == target.id)
    used_by_report = exists().where(TargetActual.plan_target_id == target.id)
    return bool(db.session.scalar(select(used_by_milestone | used_by_report)))


def _decomposition(task: PlanTask, unit: Unit) -> Decomposition | None:
    return db.session.scalar(select(Decomposition).filter_by(plan_task_id=task.id, unit_id=unit.id))


def cancel_task(task: PlanTask, reason: str) -> None:
    """The task stays with its history; its open steps end."""
    task.cancelled_at, task.cancel_reason = utcnow(), reason
    end_open_work(task, None)


def end_open_work(task: PlanTask, unit_id: int | None) -> None:
    """End the open steps of the task (of one unit, or all): recorded as cancelled, never deleted."""
    query = select(WorkItem).join(WorkflowInstance, WorkItem.instance_id == WorkflowInstance.id).where(
        WorkflowInstance.plan_task_id == task.id, WorkItem.state == WorkItemState.OPEN)
    if unit_id is not None:
        query = query.where(WorkItem.unit_id == unit_id)
    now = utcnow()
    for item in db.session.scalars(query):
        item.state, item.completed_at = WorkItemState.CANCELLED, now
    instances = select(WorkflowInstance).where(WorkflowInstance.plan_task_id == task.id,
                                               WorkflowInstance.status != WorkflowStatus.COMPLETED)
    if unit_id is not None:
        decomposition = db.session.scalar(select(Decomposition).filter_by(plan_task_id=task.id, unit_id=unit_id))
        if decomposition is None:
            return
        instances = instances.where(WorkflowInstance.decomposition_id == decomposition.id)
    for instance in db.session.scalars(instances):
        instance.status = WorkflowStatus.COMPLETED


def notify_change(task: PlanTask, change: Change, reason: str, occasion: str) -> None:
    """Tell the people of every unit the change concerns, before and after; ``occasion`` (the revision, the
    edit) keeps each change's notices apart from an earlier one of the same kind."""
    names = {name for snapshot in (change.before, change.after) if snapshot for _, name in snapshot.units}
    units = {r.unit.id: r.unit for r in task.responsibilities if r.unit is not None and r.holder_name in names}
    units |= {unit.id: unit for unit in db.session.scalars(
        select(Unit).where(Unit.organisation_id == task.plan.organisation_id, Unit.name.in_(names)))}
    people = db.session.scalars(select(User).where(User.unit_id.in_(units), User.active.is_(True))).all()
    what = f"{change.kind.label}({'、'.join(change.aspects)})" if change.aspects else change.kind.label
    notices.notify_many([notices.NoticeDraft(
        user=person, kind=NoticeKind.INFO, key=f"plan-change:{task.id}:{change.key}:{occasion}",
        title=f"计划修订:{task.supervision_number or task.number} {what}",
        body=f"《{task.plan.title}》第{task.number}项任务:{what}。原因:{reason}",
        link=f"/tasks/{task.id}",
    ) for person in people])
