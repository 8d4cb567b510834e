"""Plan-page task edits: 督审处 rewords a task, changes its units (and with its text, its targets) or cancels it.

Each edit is one change of the same change-set machinery a revised document uses (``plan_revision``): it
carries a reason, keeps the before/after in the audit history, tells the units concerned and adapts the
running work (a new lead unit gets its 分解任务, a unit that no longer answers has its open steps ended,
a cancelled task leaves lists and scores with its history kept). The form carries the task's version (a
digest of what it shows), so a stale page or a doubled submission is refused instead of applied twice.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, select, update

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    NoticeKind,
    Plan,
    PlanSection,
    PlanStatus,
    PlanTask,
    Role,
    TaskChangeRequest,
    Unit,
    UnitGroup,
    User,
    UserRole,
)
from app.models.base import utcnow
from app.plan_parser.model import Responsibility, Task
from app.plan_parser.targets import find_targets
from app.plan_parser.units import split_units
from app.services.infrastructure import audit, notices
from app.services.plans import directory
from app.services.plans.plan_revision import (
    MAX_REASON,
    Change,
    ChangeKind,
    add_task,
    aspects_between,
    cancel_task,
    change_task,
    notify_change,
    parsed_snapshot,
    stored_snapshot,
)

MAX_TITLE, MAX_TEXT = 500, 5000


@dataclass(frozen=True)
class TaskEdit:
    """What the edit form holds: the wording and the units, names as written (resolved like a plan's)."""

    title: str
    text: str
    lead_units: str
    cooperating_units: str = ""


def version_of(task: PlanTask) -> str:
    """A digest of what the edit form shows: it changes with every edit, so a stale form is told apart."""
    shown = {**stored_snapshot(task).to_dict(), "cancelled": task.cancelled_at is not None}
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def form_of(task: PlanTask) -> TaskEdit:
    """The task as the edit form starts."""
    names = {role: "、".join(r.holder_name for r in task.responsibilities if r.role.value in role)
             for role in (("lead", "responsible"), ("cooperating",))}
    return TaskEdit(task.title, task.text, names[("lead", "responsible")], names[("cooperating",)])


def may_edit(user: User, task: PlanTask) -> bool:
    """The plan page's predicate: 督审处, on a task of an active plan not cancelled."""
    return _refusal(user, task) is None


def _refusal(user: User, task: PlanTask) -> str | None:
    if not user.has_role(Role.SUPERVISOR):
        return "只有督审处可以修改或取消计划任务。"
    if task.plan.status is not PlanStatus.ACTIVE:
        return "该计划已归档,不能修改任务。"
    if task.cancelled_at is not None:
        return "该任务已取消,不能再修改。"
    return None


def _ensure(user: User, task: PlanTask, version: str | None, reason: str | None) -> str:
    refusal = _refusal(user, task)
    if refusal and not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied(refusal)
    if refusal:
        raise InvalidTransition(refusal)
    if version != version_of(task):
        raise InvalidTransition("该任务已被修改(他人或您在另一页面),请刷新页面后在最新内容上修改。")
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise ValidationFailed("请填写修改原因(将通知相关单位并记入历史)。")
    return reason


def edit_task(task: PlanTask, edit: TaskEdit, reason: str | None, version: str | None, actor: User,
              approved: bool = False) -> Change:
    """Apply the edit to the task in place, as a change of the plan, with its reason.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: the plan is archived, the task cancelled, or the form stale.
    :raises ValidationFailed: no reason, no text or lead unit, an unknown unit name, or nothing changed.
    """
    reason = _ensure(actor, task, version, reason)
    parsed, resolved = _parsed(task.plan, task.number, task.section, edit)
    before = stored_snapshot(task)
    after = parsed_snapshot(parsed, resolved, task.plan.year)
    after = type(after)(after.number, after.title, after.text, after.units, after.targets, task.suggested_due)
    aspects = aspects_between(before, after)
    if not aspects:
        raise ValidationFailed("内容与现在相同,没有需要保存的修改。")
    change = Change(ChangeKind.CHANGED, task.number, before, after, aspects)
    if _waits(task.plan, approved):
        _hold(task.plan, task, "edit", {"edit": asdict(edit), "version": version}, change, reason, actor)
        return change
    due, phrase = task.suggested_due, task.deadline_phrase
    change_task(task, parsed, resolved, task.plan.year, aspects)
    task.suggested_due, task.deadline_phrase = due, phrase  # the form does not edit the deadline
    db.session.flush()
    audit.record(actor, "plan_task", task.id, "edited", before=before.to_dict(),
                 after={**after.to_dict(), "reason": reason, "aspects": list(aspects)})
    notify_change(task, change, reason, f"edit-{version_of(task)}")
    return change


def cancel(task: PlanTask, reason: str | None, version: str | None, actor: User, approved: bool = False) -> Change:
    """Cancel the task: it stays on the plan page with its reason and history, and leaves lists and scores.

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: the plan is archived, the task cancelled already, or the form stale.
    :raises ValidationFailed: no reason.
    """
    reason = _ensure(actor, task, version, reason)
    before = stored_snapshot(task)
    change = Change(ChangeKind.REMOVED, task.number, before, None)
    if _waits(task.plan, approved):
        _hold(task.plan, task, "cancel", {"version": version}, change, reason, actor)
        return change
    cancel_task(task, reason)
    db.session.flush()
    audit.record(actor, "plan_task", task.id, "cancelled", before=before.to_dict(), after={"reason": reason})
    notify_change(task, change, reason, "cancel")
    return change


def plan_version(plan: Plan) -> str:
    """The plan's tasks as the add form saw them: a task added meanwhile (or this form sent twice) changes it."""
    numbers = sorted((task.number, task.cancelled_at is not None) for task in plan.tasks)
    return hashlib.sha256(json.dumps(numbers).encode()).hexdigest()[:16]


def new_task(plan: Plan, section: PlanSection | None, edit: TaskEdit, reason: str | None, version: str | None,
             actor: User, approved: bool = False) -> PlanTask | None:
    """Add a task to the plan (numbered after the last), supervised like the others: its lead units get their
    分解任务 and a 督办编号 is taken. None when the plan's changes wait for a leader (the request is stored).

    :raises PermissionDenied: the actor is not 督审处.
    :raises InvalidTransition: the plan is archived or the form stale (a task was added meanwhile).
    :raises ValidationFailed: no reason, no text or lead unit, an unknown unit name, a section of another plan.
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以新增计划任务。")
    if plan.status is not PlanStatus.ACTIVE:
        raise InvalidTransition("该计划已归档,不能新增任务。")
    if version != plan_version(plan):
        raise InvalidTransition("该计划的任务已有变化(他人新增或您已提交过),请刷新页面后再新增。")
    if section is not None and section.plan_id != plan.id:
        raise ValidationFailed("所选部分不属于该计划。")
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise ValidationFailed("请填写新增原因(将通知相关单位并记入历史)。")
    number = max((task.number for task in plan.tasks), default=0) + 1
    parsed, resolved = _parsed(plan, number, section, edit)
    if _waits(plan, approved):
        change = Change(ChangeKind.ADDED, number, None, parsed_snapshot(parsed, resolved, plan.year))
        _hold(plan, None, "add", {"edit": asdict(edit), "version": version,
                                  "section_id": section.id if section else None}, change, reason, actor)
        return None
    task = add_task(plan, parsed, section, resolved)
    after = stored_snapshot(task)
    audit.record(actor, "plan_task", task.id, "added", after={**after.to_dict(), "reason": reason})
    notify_change(task, Change(ChangeKind.ADDED, number, None, after), reason, "add")
    return task


def _parsed(plan: Plan, number: int, section: PlanSection | None,
            edit: TaskEdit) -> tuple[Task, dict[str, Unit | UnitGroup]]:
    """The edit as task ``number`` parsed (what the change-set machinery applies), names resolved to the directory."""
    title, text = edit.title.strip(), edit.text.strip()
    if not text:
        raise ValidationFailed("请填写任务内容。")
    if len(text) > MAX_TEXT or len(title) > MAX_TITLE:
        raise ValidationFailed(f"任务标题不能超过 {MAX_TITLE} 个字,内容不能超过 {MAX_TEXT} 个字。")
    lead_names, cooperating_names = split_units(edit.lead_units).order, split_units(edit.cooperating_units).order
    if not lead_names:
        raise ValidationFailed("请填写牵头单位。")
    found = {name: directory.resolve_name(plan.organisation, name) for name in [*lead_names, *cooperating_names]}
    unknown = [name for name, holder in found.items() if holder is None]
    if unknown:
        raise ValidationFailed("以下单位名称在单位目录中找不到:" + "、".join(unknown)
                               + "。请检查名称,或先在单位目录中添加该单位或别名。")
    groups = [name for name in lead_names if not isinstance(found[name], Unit)]
    if groups:
        raise ValidationFailed("牵头单位须是具体单位,不能是单位组:" + "、".join(groups) + "。")
    resolved: dict[str, Unit | UnitGroup] = {holder.name: holder for holder in found.values() if holder is not None}
    leads = list(dict.fromkeys(found[name].name for name in lead_names))  # type: ignore[union-attr]
    others = [holder for name in cooperating_names if (holder := found[name]) is not None and holder.name not in leads]
    responsibility = Responsibility(
        lead_units=leads,
        cooperating_units=list(dict.fromkeys(h.name for h in others if isinstance(h, Unit))),
        unit_groups=list(dict.fromkeys(h.name for h in others if isinstance(h, UnitGroup))))
    parsed = Task(number, section.number if section else None, title or text.split("。")[0][:MAX_TITLE],
                  text, responsibility=responsibility, targets=find_targets(text))
    return parsed, resolved


# --- 任务变更需局领导审批 ---------------------------------------------------------------------------------

def set_approval(plan: Plan, required: bool, actor: User) -> None:
    """Switch the plan's 任务变更需局领导审批 on or off (督审处).

    :raises PermissionDenied: the actor is not 督审处.
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以设置任务变更是否需要局领导审批。")
    if plan.changes_need_approval != required:
        audit.record(actor, "plan", plan.id, "approval_switch", before={"changes_need_approval": not required},
                     after={"changes_need_approval": required})
    plan.changes_need_approval = required
    db.session.flush()


def _waits(plan: Plan, approved: bool) -> bool:
    return plan.changes_need_approval and not approved


def _hold(plan: Plan, task: PlanTask | None, kind: str, payload: dict[str, Any], change: Change, reason: str,
          actor: User) -> TaskChangeRequest:
    """Store the change as 待审批 and tell the leaders; nothing of the plan changes yet."""
    waiting = select(TaskChangeRequest.id).where(TaskChangeRequest.plan_id == plan.id,
                                                 TaskChangeRequest.status == "pending")
    waiting = waiting.where(TaskChangeRequest.plan_task_id == task.id) if task is not None else \
        waiting.where(TaskChangeRequest.kind == "add", TaskChangeRequest.payload["version"].as_string()
                      == str(payload["version"]))
    if db.session.scalar(waiting) is not None:
        raise InvalidTransition("该变更已提交,正等待局领导审批,请勿重复提交。" if task is None else
                                "该任务已有待局领导审批的变更,请等待审批后再修改。")
    what = f"{change.kind.label}({'、'.join(change.aspects)})" if change.aspects else change.kind.label
    request = TaskChangeRequest(plan_id=plan.id, plan_task_id=task.id if task else None, kind=kind, payload=payload,
                                summary=f"第{change.number}项 {what}"[:300],
                                before=change.before.to_dict() if change.before else None,
                                after=change.after.to_dict() if change.after else None, reason=reason,
                                requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    audit.record(actor, "plan", plan.id, "change_requested", after={"change_request": request.id,
                                                                     "summary": request.summary, "reason": reason})
    leaders = db.session.scalars(select(User).join(UserRole).where(User.active.is_(True), UserRole.role == Role.LEADER)
                                 .order_by(User.id)).all()
    notices.notify_many([notices.NoticeDraft(
        user=leader, kind=NoticeKind.INFO, key=f"task_change_request:{request.id}:requested",
        title=f"任务变更待审批:《{plan.title}》{request.summary}"[:200],
        body=f"《{plan.title}》{request.summary}。原因:{reason}", link=f"/plans/changes/{request.id}",
    ) for leader in leaders])
    return request


def pending_changes(organisation_id: int) -> list[TaskChangeRequest]:
    """The changes to the bureau's own plans waiting for its leaders, the oldest first."""
    return list(db.session.scalars(_pending_in(select(TaskChangeRequest), organisation_id)
                                   .order_by(TaskChangeRequest.requested_at, TaskChangeRequest.id)))


def pending_change_count(organisation_id: int) -> int:
    """How many changes wait for the bureau's leaders (the navigation badge)."""
    return db.session.scalar(_pending_in(select(func.count(TaskChangeRequest.id)), organisation_id)) or 0


def _pending_in(query: Select[Any], organisation_id: int) -> Select[Any]:
    """Pending changes to the bureau's own plans (a city's are the city's leaders' to decide)."""
    return query.where(TaskChangeRequest.status == "pending",
                       TaskChangeRequest.plan_id.in_(select(Plan.id).where(Plan.organisation_id == organisation_id)))


def approve_change(request: TaskChangeRequest, note: str | None, actor: User) -> TaskChangeRequest:
    """批准: apply the change now, as 督审处 asked for it (refused when the task or plan changed meanwhile).

    :raises PermissionDenied: the actor is not a leader.
    :raises InvalidTransition: decided already, or the task or plan changed since the request.
    """
    _decide_change(request, "approved", note, actor)
    requester = request.requested_by
    payload = request.payload
    try:
        if request.kind == "add":
            section = db.session.get(PlanSection, payload["section_id"]) if payload.get("section_id") else None
            new_task(request.plan, section, TaskEdit(**cast(dict[str, str], payload["edit"])), request.reason,
                     cast(str, payload["version"]), requester, approved=True)
        else:
            assert request.task is not None
            if request.kind == "cancel":
                cancel(request.task, request.reason, cast(str, payload["version"]), requester, approved=True)
            else:
                edit_task(request.task, TaskEdit(**cast(dict[str, str], payload["edit"])), request.reason,
                          cast(str, payload["version"]), requester, approved=True)
    except InvalidTransition as stale:
        raise InvalidTransition(f"申请后任务或计划已有变化,不能按原申请执行({stale.message});"
                                "请不予批准,由督审处重新提交。") from None
    audit.record(actor, "plan", request.plan_id, "change_approved", after={"change_request": request.id,
                                                                          "note": request.decision_note})
    _tell_requester(request, "已批准并执行")
    return request


def refuse_change(request: TaskChangeRequest, note: str | None, actor: User) -> TaskChangeRequest:
    """不予批准, with a note; nothing of the plan changes.

    :raises PermissionDenied: the actor is not a leader.
    :raises InvalidTransition: decided already.
    :raises ValidationFailed: no note.
    """
    if not (note or "").strip():
        raise ValidationFailed("不予批准时请填写审批意见。")
    _decide_change(request, "refused", note, actor)
    audit.record(actor, "plan", request.plan_id, "change_refused", after={"change_request": request.id,
                                                                         "note": request.decision_note})
    _tell_requester(request, "未获批准")
    return request


def _decide_change(request: TaskChangeRequest, status: str, note: str | None, actor: User) -> None:
    """Compare-and-set the status: of two leaders (or two clicks) only the first decides."""
    if not actor.has_role(Role.LEADER):
        raise PermissionDenied("只有局领导可以审批任务变更。")
    result = cast(CursorResult[Any], db.session.execute(
        update(TaskChangeRequest).where(TaskChangeRequest.id == request.id, TaskChangeRequest.status == "pending")
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(),
                decision_note=(note or "").strip()[:MAX_REASON] or None)
        .execution_options(synchronize_session=False)))
    db.session.refresh(request)
    if result.rowcount != 1:
        raise InvalidTransition("该变更已审批,不能重复审批。")


def _tell_requester(request: TaskChangeRequest, outcome: str) -> None:
    note = f"审批意见:{request.decision_note}" if request.decision_note else ""
    notices.notify(request.requested_by, NoticeKind.INFO, f"task_change_request:{request.id}:{request.status}",
                   f"任务变更{outcome}:{request.summary}"[:200],
                   f"《{request.plan.title}》{request.summary}:{outcome}。{note}", f"/plans/{request.plan_id}")
