"""流程管理: the administrator's view of the deployed diagrams, and uploading a new version.

An uploaded diagram is checked completely (app/workflow/upload.py) before anything is stored;
a refused one leaves the database as it was. The newest version of a process is its current one:
new instances start on it, running ones stay on the version they started on.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    BindingScope,
    NoticeKind,
    Plan,
    PlanKind,
    PlanTask,
    Priority,
    ProcessBinding,
    ProcessSpecVersion,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.services.infrastructure import audit, notices
from app.services.lifecycle import step_notices
from app.services.timing import deadlines
from app.services.timing.stagnation import NEVER
from app.workflow import admin, migration, open_work_items
from app.workflow.diff import SpecChanges
from app.workflow.specs import check_upload, diff_with_current, process_name, store_diagram, version_for
from app.workflow.upload import DiagramCheck

__all__ = [
    "DiagramCheck",
    "ProcessSummary",
    "SpecChanges",
    "UploadReview",
    "VersionSummary",
    "bind",
    "bindings",
    "check_upload",
    "deploy_upload",
    "dry_run",
    "earlier_steps",
    "end",
    "incidents",
    "instance_of",
    "migrate_one",
    "migrate_safe",
    "move_back",
    "parse_from",
    "parse_scope",
    "process_overview",
    "resume",
    "retry",
    "review_upload",
    "scope_choices",
    "scope_label",
    "suspend",
    "suspended",
    "unbind",
    "version_of",
    "work_items_of",
]

#: Longest reason accepted for ending an instance or moving it back.
MAX_REASON = 500


@dataclass(frozen=True)
class VersionSummary:
    """One stored version with the number of its unfinished instances."""

    row: ProcessSpecVersion
    live: int
    current: bool


@dataclass(frozen=True)
class ProcessSummary:
    """One process with its versions, newest first; the current one is the default binding's, else the newest."""

    process_id: str
    name: str
    versions: list[VersionSummary]

    @property
    def current(self) -> VersionSummary:
        return next(v for v in self.versions if v.current)


def process_overview() -> list[ProcessSummary]:
    """Every deployed process, its versions and how many instances still run on each."""
    live = dict(db.session.execute(
        select(WorkflowInstance.spec_version_id, func.count())
        .where(WorkflowInstance.status != WorkflowStatus.COMPLETED)
        .group_by(WorkflowInstance.spec_version_id)).all())
    rows = db.session.scalars(
        select(ProcessSpecVersion).order_by(ProcessSpecVersion.process_id, ProcessSpecVersion.version.desc()))
    grouped: dict[str, list[ProcessSpecVersion]] = {}
    for row in rows:
        grouped.setdefault(row.process_id, []).append(row)
    current = {pid: version_for(pid).id for pid in grouped}
    return [
        ProcessSummary(pid, process_name(versions[0]),
                       [VersionSummary(row, live.get(row.id, 0), row.id == current[pid]) for row in versions])
        for pid, versions in grouped.items()
    ]


@dataclass(frozen=True)
class UploadReview:
    """An uploaded diagram's check and, when the engine could parse it, what it changes."""

    check: DiagramCheck
    diffs: list[tuple[ProcessSpecVersion, SpecChanges]]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.check.ok, "passed": self.check.passed, "problems": self.check.problems,
                "diffs": [{"from_version": row.version, **changes.to_dict()} for row, changes in self.diffs]}


def review_upload(data: bytes, source: str) -> UploadReview:
    """Check an uploaded diagram and compare it with the current version of each of its processes."""
    check = check_upload(data, source)
    return UploadReview(check, diff_with_current(check.parsed) if check.parsed is not None else [])


def version_of(process_id: str, version: int) -> ProcessSpecVersion:
    """One stored version.

    :raises NotFound: when there is no such version.
    """
    row = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id=process_id, version=version))
    if row is None:
        raise NotFound(f"流程 {process_id} 没有第 {version} 版。")
    return row


def deploy_upload(data: bytes, source: str, actor: User | None,
                  make_current: bool = True) -> list[tuple[ProcessSpecVersion, bool]]:
    """Check and store an uploaded diagram; each stored version with whether it is new (audited).

    ``make_current`` False keeps the current version current (pinned by a default binding), so the new
    one runs only where it is bound (特急 items …).

    :raises ValidationFailed: listing every problem found; nothing is stored then.
    """
    parsed = check_upload(data, source).raise_if_refused()
    previous = {pid: version_for(pid) for pid in parsed.process_ids}
    stored = store_diagram(parsed, data, source)
    for row, _ in stored:
        if make_current:
            _set_default(row, actor)
        elif not _default_of(row.process_id):
            _set_default(previous[row.process_id], actor)
    for row, new in stored:
        if new:
            audit.record(actor, "process_spec_version", row.id, "deploy", None,
                         {"process_id": row.process_id, "version": row.version, "sha256": row.sha256,
                          "source_name": row.source_name})
    return stored


# --- instance administration ---------------------------------------------------------------------


def instance_of(instance_id: int) -> WorkflowInstance:
    """One instance.

    :raises NotFound: when there is none.
    """
    instance = db.session.get(WorkflowInstance, instance_id)
    if instance is None:
        raise NotFound("流程实例不存在。")
    return instance


def incidents() -> list[WorkflowInstance]:
    """异常: unfinished instances whose engine step failed, oldest first."""
    return list(db.session.scalars(select(WorkflowInstance).where(WorkflowInstance.incident_at.is_not(None))
                                   .order_by(WorkflowInstance.incident_at)))


def suspended() -> list[WorkflowInstance]:
    """Instances an administrator holds, longest held first."""
    return list(db.session.scalars(select(WorkflowInstance).where(WorkflowInstance.suspended_at.is_not(None))
                                   .order_by(WorkflowInstance.suspended_at)))


def _snapshot(instance: WorkflowInstance) -> dict[str, Any]:
    """What an administrator's action may change, for the audit row's before and after."""
    return {"status": instance.status.value, "suspended": instance.suspended_at is not None,
            "incident_step": instance.incident_step, "incident_message": instance.incident_message,
            "ended_reason": instance.ended_reason, "spec_version_id": instance.spec_version_id}


def _audited(instance_id: int, action: str, actor: User | None,
             change: Callable[[], WorkflowInstance]) -> WorkflowInstance:
    before = _snapshot(instance_of(instance_id))
    instance = change()
    audit.record(actor, "workflow_instance", instance.id, action, before, _snapshot(instance))
    return instance


def _stagnation_markers(instance_id: int, marker: Any) -> None:
    """Hold (NEVER) or release (None: look again now) the stagnation check of the instance's open items."""
    db.session.execute(update(WorkItem).where(WorkItem.instance_id == instance_id, WorkItem.state == WorkItemState.OPEN)
                       .values(stagnation_check_at=marker).execution_options(synchronize_session="fetch"))


def suspend(instance_id: int, actor: User | None) -> WorkflowInstance:
    """暂停: the instance takes no completion and its items get no reminder, escalation or stagnation notice."""
    instance = _audited(instance_id, "suspend", actor, lambda: admin.suspend_instance(instance_id))
    _stagnation_markers(instance_id, NEVER)
    return instance


def resume(instance_id: int, actor: User | None) -> WorkflowInstance:
    """恢复: the instance goes on; reminders due meanwhile are sent by the next sweep."""
    instance = _audited(instance_id, "resume", actor, lambda: admin.resume_instance(instance_id))
    _stagnation_markers(instance_id, None)
    return instance


def end(instance_id: int, reason: str, actor: User | None) -> WorkflowInstance:
    """终止: end the instance with a reason; its open work items are withdrawn."""
    reason = _reason(reason, "终止")
    return _audited(instance_id, "end", actor, lambda: admin.end_instance(instance_id, reason))


def retry(instance_id: int, data_text: str, actor: User | None) -> WorkflowInstance:
    """重试: run the failed step again, after adding the data given as ``名称 = 值`` lines (values in JSON or text)."""
    data = parse_data(data_text)
    return _audited(instance_id, "retry", actor, lambda: admin.retry_instance(instance_id, data))


def earlier_steps(instance: WorkflowInstance) -> list[tuple[str, str]]:
    """The earlier user steps (id, name) an administrator may move the instance back to."""
    return admin.earlier_steps(instance)


def move_back(instance_id: int, step_id: str, reason: str, actor: User | None) -> WorkflowInstance:
    """退回到之前的步骤: reopen an earlier step the instance completed, with a reason (audited, unit told).

    Open work items of the steps it stood on are withdrawn (kept as 已撤销); the reopened step gets a new
    open item, dated by the plan's rules, and the people who act on it are notified.

    :raises ValidationFailed: without a reason; InvalidTransition when it cannot be done safely.
    """
    reason = _reason(reason, "退回")
    instance = instance_of(instance_id)
    before = {**_snapshot(instance), "current_steps": _open_steps(instance_id)}
    opened: list[WorkItem] = []
    date_item = deadlines.dating(instance.plan_task_id)

    def on_open(item: WorkItem) -> None:
        date_item(item)
        opened.append(item)

    admin.move_back(instance_id, step_id, on_open)
    db.session.flush()
    audit.record(actor, "workflow_instance", instance_id, "move_back", before,
                 {**_snapshot(instance), "current_steps": _open_steps(instance_id), "step_id": step_id,
                  "reason": reason})
    for item in opened:
        _tell_reopened(instance, item, reason)
    return instance


def _open_steps(instance_id: int) -> list[str]:
    return sorted(item.step_id for item in open_work_items(instance_id))


def _tell_reopened(instance: WorkflowInstance, item: WorkItem, reason: str) -> None:
    """Those who act on the reopened step learn why it came back to them."""
    task = db.session.get(PlanTask, instance.plan_task_id) if instance.plan_task_id else None
    what = step_notices.headline(task, item) if task else f"「{item.step_name}」"
    for user in step_notices.acting(item):
        notices.notify(user, NoticeKind.INFO, f"move_back:{item.id}", f"流程已退回:{what}"[:200],
                       f"{what}:管理员已将流程退回到本步骤,请重新办理。原因:{reason}", f"/work/items/{item.id}")


def _reason(text: str, action: str) -> str:
    """The reason given for an administrator's action, on one line.

    :raises ValidationFailed: when it is missing or too long.
    """
    reason = " ".join((text or "").split())
    if not reason:
        raise ValidationFailed(f"{action}流程必须填写原因。")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"{action}原因不能超过 {MAX_REASON} 个字。")
    return reason


def parse_data(text: str) -> dict[str, Any]:
    """``名称 = 值`` lines: a JSON value (true, 3, "x", [1, 2]) or else the text itself.

    :raises ValidationFailed: for a line without ``=``.
    """
    data: dict[str, Any] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, equals, raw = line.partition("=")
        if not equals or not name.strip():
            raise ValidationFailed(f"补充数据第 {number} 行应写成“名称 = 值”。")
        try:
            data[name.strip()] = json.loads(raw.strip())
        except ValueError:
            data[name.strip()] = raw.strip()
    return data


def work_items_of(instance: WorkflowInstance) -> list[WorkItem]:
    """The instance's work items, newest first."""
    return list(db.session.scalars(select(WorkItem).where(WorkItem.instance_id == instance.id)
                                   .order_by(WorkItem.id.desc())))


# --- bindings -------------------------------------------------------------------------------------


def scope_choices() -> dict[BindingScope, list[tuple[str, str]]]:
    """For each scope kind, the values an administrator may bind (value, Chinese label)."""
    plans = db.session.execute(select(Plan.id, Plan.title).where(Plan.kind == PlanKind.PLAN).order_by(Plan.id))
    return {
        BindingScope.DEFAULT: [("", "其他所有流程(当前版本)")],
        BindingScope.PLAN: [(str(plan_id), title) for plan_id, title in plans],
        BindingScope.SOURCE: [(kind.value, kind.label) for kind in PlanKind.item_sources()],
        BindingScope.PRIORITY: [(priority.value, priority.label) for priority in Priority],
    }


def scope_label(binding: ProcessBinding) -> str:
    """``紧急程度:特急``."""
    labels = dict(scope_choices()[binding.scope_kind])
    return f"{binding.scope_kind.label}:{labels.get(binding.scope_value, binding.scope_value)}"


def bindings() -> list[ProcessBinding]:
    """Every binding, by process and scope."""
    return list(db.session.scalars(select(ProcessBinding).order_by(ProcessBinding.process_id, ProcessBinding.scope_kind,
                                                                   ProcessBinding.scope_value)))


def bind(process_id: str, version: int, scope_kind: str, scope_value: str, actor: User | None) -> ProcessBinding:
    """New instances of the process in the scope start on ``version`` (replacing the scope's binding, audited).

    :raises ValidationFailed: for an unknown scope; NotFound for an unknown version.
    """
    row = version_of(process_id, version)
    if scope_kind not in set(BindingScope) or scope_value not in dict(scope_choices()[BindingScope(scope_kind)]):
        raise ValidationFailed("请选择要绑定的范围。")
    binding = db.session.scalar(select(ProcessBinding).filter_by(process_id=process_id, scope_kind=scope_kind,
                                                                 scope_value=scope_value))
    before = {"version": binding.spec_version.version} if binding else None
    if binding is None:
        binding = ProcessBinding(process_id=process_id, scope_kind=BindingScope(scope_kind), scope_value=scope_value)
        db.session.add(binding)
    binding.spec_version = row
    db.session.flush()
    audit.record(actor, "process_binding", binding.id, "bind", before,
                 {"process_id": process_id, "scope_kind": scope_kind, "scope_value": scope_value, "version": version})
    return binding


def unbind(binding_id: int, actor: User | None) -> None:
    """Remove a binding: the scope's new instances start on the newest version again (audited)."""
    binding = db.session.get(ProcessBinding, binding_id)
    if binding is None:
        raise NotFound("该绑定不存在或已被删除。")
    audit.record(actor, "process_binding", binding.id, "unbind",
                 {"process_id": binding.process_id, "scope_kind": binding.scope_kind.value,
                  "scope_value": binding.scope_value, "version": binding.spec_version.version}, None)
    db.session.delete(binding)
    db.session.flush()


def _default_of(process_id: str) -> ProcessBinding | None:
    return db.session.scalar(select(ProcessBinding).filter_by(process_id=process_id, scope_kind=BindingScope.DEFAULT))


def _set_default(row: ProcessSpecVersion, actor: User | None) -> None:
    """Make ``row`` its process's current version (no binding needed when it is the newest)."""
    pinned = _default_of(row.process_id)
    if pinned is not None and pinned.spec_version_id != row.id:
        unbind(pinned.id, actor)
    if version_for(row.process_id).id != row.id:
        bind(row.process_id, row.version, BindingScope.DEFAULT.value, "", actor)


# --- migration ------------------------------------------------------------------------------------


def parse_from(text: str) -> ProcessSpecVersion:
    """``PROCESS:V`` → that version.

    :raises ValidationFailed: when it is not written so; NotFound when there is no such version.
    """
    process_id, colon, number = (text or "").partition(":")
    if not colon or not number.strip().isdigit():
        raise ValidationFailed("源版本应写成“流程:版本号”,如 milestone:1。")
    return version_of(process_id.strip(), int(number))


def parse_scope(text: str | None) -> tuple[str, str] | None:
    """``priority:critical`` → (kind, value); empty → None (every instance).

    :raises ValidationFailed: for an unknown scope.
    """
    if not text:
        return None
    kind, _, value = text.partition(":")
    if kind not in set(BindingScope) or kind == BindingScope.DEFAULT or value not in dict(
            scope_choices()[BindingScope(kind)]):
        raise ValidationFailed(f"无法识别的范围“{text}”,"
                               "应写成 priority:critical、source:leader_instruction 或 plan:编号。")
    return kind, value


def dry_run(source: ProcessSpecVersion, target_version: int,
            scope: tuple[str, str] | None = None) -> tuple[ProcessSpecVersion, list[migration.Verdict]]:
    """Each running instance of ``source`` (in ``scope``) judged for a move to ``target_version`` of its process."""
    target = version_of(source.process_id, target_version)
    if target.id == source.id:
        raise ValidationFailed("源版本与目标版本相同。")
    return target, [migration.judge(instance, target) for instance in migration.running_instances(source, scope)]


def migrate_one(instance_id: int, target: ProcessSpecVersion, actor: User | None) -> migration.Verdict:
    """Move one instance (judged again under its lock), audited with the versions before and after.

    :raises InvalidTransition: when it is not migratable, with the reason.
    """
    before = instance_of(instance_id).spec_version
    verdict = migration.migrate(instance_id, target)
    audit.record(actor, "workflow_instance", instance_id, "migrate",
                 {"process_id": before.process_id, "version": before.version},
                 {"process_id": target.process_id, "version": target.version, "current_steps": verdict.current_steps})
    return verdict


def migrate_safe(source: ProcessSpecVersion, target: ProcessSpecVersion, actor: User | None,
                 scope: tuple[str, str] | None = None) -> list[tuple[int, bool, str]]:
    """Move every migratable running instance of ``source``, each in a savepoint of its own.

    An instance that turns out unsafe under its lock stays where it is. Returns (instance id, moved, reason).
    """
    results = []
    for instance in migration.running_instances(source, scope):
        try:
            with db.session.begin_nested():
                migrate_one(instance.id, target, actor)
            results.append((instance.id, True, "已迁移"))
        except InvalidTransition as refused:
            results.append((instance.id, False, refused.message))
    return results
