"""Run process instances: start one, complete a work item, deliver a signal, report where it stands.

Every change loads the instance row with ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite
serialises writers itself), runs the engine, saves the pruned state-only JSON, re-syncs
the ``work_item`` projection and flushes once. The caller commits (app/transaction.py).
The optimistic ``row_version`` catches anything the lock does not.

A step costs a fixed handful of statements: the lock reads the instance with its spec
version (the BPMN text stays deferred; parsed specs are cached by content hash) and,
through ``lock_instance_with``, whatever else the caller needs in the same statement; an
instance locked once in a transaction is not read again; the projection is re-synced from
the engine's own before/after view of its ready steps, not by reading the open rows back.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row, Select, bindparam, event, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConcurrentChange, InvalidTransition, NotFound, ValidationFailed
from app.extensions import db
from app.models.base import utcnow
from app.models.workflow import InstanceKind, WorkflowInstance, WorkflowStatus, WorkItem, WorkItemState
from app.workflow.errors import WorkflowError
from app.workflow.projection import OnOpen, parse_due, ready_human_tasks, sync_work_items
from app.workflow.specs import spec_for, version_for
from app.workflow.state import dump_state, load_state, new_workflow

#: Longest string value accepted into engine data; business text belongs in business tables (R6).
MAX_TEXT = 200
MAX_LIST = 100
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
#: ``Session.info`` key: ids of the instances locked in the current transaction.
_LOCKED = "workflow_locked_instances"


@dataclass(frozen=True)
class DiagramState:
    """What a diagram view highlights."""

    current_step_ids: list[str]
    completed_step_ids: list[str]


def start_instance(
    process_id: str, data: Mapping[str, Any] | None = None, *, plan_task_id: int | None = None,
    about: tuple[InstanceKind, int] | None = None, on_open: OnOpen | None = None,
) -> WorkflowInstance:
    """Start ``process_id`` with ``data`` (gateway variables and ids only), on the newest version or the one
    bound to the task's scope (``version_for``).

    ``about`` names the business row the instance drives (its kind and id). ``on_open`` sees each
    work item the start opens before it is written (to give it a due date).
    """
    version = version_for(process_id, plan_task_id)
    workflow = new_workflow(*spec_for(version))
    workflow.get_tasks(spec_name="Start")[0].set_data(**check_data(data or {}))
    run_engine(workflow, lambda: None)
    instance = WorkflowInstance(spec_version=version, plan_task_id=plan_task_id, state="")
    if about:
        instance.link_to(*about)
    db.session.add(instance)
    save_instance(instance, workflow, set(), on_open)
    return instance


def complete_work_item(
    work_item_id: int, user_id: int | None, form_data: Mapping[str, Any], *,
    expected_row_version: int | None = None, on_open: OnOpen | None = None,
) -> WorkItem:
    """Complete an open work item with ``form_data`` and run the engine to the next human step.

    The instance is locked unless this transaction locked it already (``lock_instance_with``).
    Under the lock the engine state is the authority: the item's task must still be READY there.
    ``on_open`` sees each work item the step opens before it is written.

    :raises InvalidTransition: the item is no longer open (stale form, double click, second browser)
        or the instance changed since ``expected_row_version``.
    """
    item = db.session.get(WorkItem, work_item_id)
    if item is None:
        raise NotFound("待办事项不存在。")
    _check_open(item)
    instance = _locked(item.instance_id) or lock_instance(item.instance_id)
    _check_version(item, instance, expected_row_version)
    check_not_suspended(instance, f"「{item.step_name}」所在流程")
    workflow = load_workflow(instance)
    task = _ready_task(workflow, item)
    fields = check_data(form_data)
    was_ready = ready_ids(workflow) - {str(task.id)}
    run_engine(workflow, lambda: _submit(task, fields), task, instance)
    item.state, item.completed_at, item.completed_by_id = WorkItemState.COMPLETED, utcnow(), user_id
    save_instance(instance, workflow, was_ready, on_open)
    return item


def send_signal(instance_id: int, signal_name: str, *, on_open: OnOpen | None = None) -> WorkflowInstance:
    """Deliver a BPMN signal the instance is waiting for (e.g. ``milestones_approved``).

    :raises InvalidTransition: when the instance is not waiting for it.
    """
    instance = _locked(instance_id) or lock_instance(instance_id)
    check_not_suspended(instance, "相关的任务流程")
    workflow = load_workflow(instance)
    if signal_name not in {event.name for event in workflow.waiting_events()}:
        raise InvalidTransition(f"该流程当前没有在等待「{signal_name}」,请刷新后查看最新状态。")
    was_ready = ready_ids(workflow)
    run_engine(workflow, lambda: workflow.send_event(BpmnEvent(SignalEventDefinition(signal_name))), None, instance)
    save_instance(instance, workflow, was_ready, on_open)
    return instance


def open_work_items(instance_id: int) -> list[WorkItem]:
    """The instance's ready human steps, from the projection."""
    query = select(WorkItem).filter_by(instance_id=instance_id, state=WorkItemState.OPEN).order_by(WorkItem.id)
    return list(db.session.scalars(query))


def diagram_state(instance: WorkflowInstance) -> DiagramState:
    """Current and completed step ids, for highlighting the diagram."""
    workflow = load_workflow(instance)
    current = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=_LIVE) if t.task_spec.bpmn_id}
    # After a return the step is current again though it was completed before: it shows as current.
    return DiagramState(sorted(current), [step for step in instance.completed_step_ids if step not in current])


def status_of(workflow: BpmnWorkflow) -> WorkflowStatus:
    """The instance status the engine state implies."""
    if workflow.completed:
        return WorkflowStatus.COMPLETED
    return WorkflowStatus.RUNNING if ready_human_tasks(workflow) else WorkflowStatus.WAITING


def lock_instance(instance_id: int) -> WorkflowInstance:
    """Load the instance row for a change, locked until the transaction ends (PostgreSQL)."""
    instance: WorkflowInstance = lock_instance_with(instance_id, _instance_only)[0]
    return instance


def _instance_only(query: Select[Any]) -> Select[Any]:
    return query


Along = Callable[[Select[Any]], Select[Any]]
#: The locking statement of each ``along``, built once (building a statement costs more than running it).
_LOCK_QUERIES: dict[Along, Select[Any]] = {}


def lock_instance_with(instance_id: int, along: Along, **params: Any) -> Row[Any]:
    """Lock the instance (read fresh, with its spec version) in one statement with what ``along`` adds.

    ``along`` may add columns and outer joins to ``select(WorkflowInstance)`` (the step's business
    row, the plan's deadline rules), so a step reads everything it needs before changing anything in a
    single round trip; its statement is built once per ``along`` (a module-level function), so values
    come as bind parameters (``params``). Returns the row, the instance first. Only the instance is locked.
    """
    query = _LOCK_QUERIES.get(along)
    if query is None:
        query = _LOCK_QUERIES[along] = (
            along(select(WorkflowInstance).where(WorkflowInstance.id == bindparam("instance_id"))
                  .options(joinedload(WorkflowInstance.spec_version, innerjoin=True)))
            .with_for_update(of=WorkflowInstance).execution_options(populate_existing=True))
    row = db.session.execute(query, {"instance_id": instance_id, **params}).unique().one_or_none()
    if row is None:
        raise NotFound("流程实例不存在。")
    db.session.info.setdefault(_LOCKED, set()).add(instance_id)
    return row


def _locked(instance_id: int) -> WorkflowInstance | None:
    """The instance, when this transaction has locked (and so freshly read) it already."""
    if instance_id not in db.session.info.get(_LOCKED, ()):
        return None
    return db.session.get(WorkflowInstance, instance_id)


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction: Any) -> None:
    """Row locks end with the transaction (or a savepoint rolled back): lock again next time.

    A flush runs in a subtransaction of its own, which ends nothing.
    """
    if transaction.parent is None or transaction.nested:
        session.info.pop(_LOCKED, None)


def load_workflow(instance: WorkflowInstance) -> BpmnWorkflow:
    """The instance's engine state on the spec version it started on."""
    return load_state(instance.state, *spec_for(instance.spec_version))


def check_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Engine data must stay small: identifiers as keys, simple values or short lists of them.

    :raises ValidationFailed: naming the offending key.
    """
    for key, value in data.items():
        if not (isinstance(key, str) and key.isidentifier() and not key.startswith("_")):
            raise ValidationFailed(f"流程数据的字段名 {key!r} 不合法。")
        if not _simple(value) and not (isinstance(value, list) and len(value) <= MAX_LIST and all(map(_simple, value))):
            raise ValidationFailed(f"流程数据 {key} 只能是简单值或简单值的列表(业务内容请保存在业务表中)。")
    if "due_at" in data and data["due_at"] is not None and _due_or_none(data["due_at"]) is None:
        raise ValidationFailed("流程数据 due_at 必须是带时区的 ISO 8601 时间,如 2025-03-01T18:00:00+08:00。")
    return dict(data)


def _simple(value: Any) -> bool:
    """A JSON scalar, with strings kept short."""
    return value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= MAX_TEXT)


def _due_or_none(value: Any) -> Any:
    """``parse_due`` that answers None for a malformed string."""
    try:
        return parse_due(value)
    except ValueError:
        return None


def _check_open(item: WorkItem) -> None:
    """Refuse a repeated submission of an item already known to be closed."""
    if item.state is not WorkItemState.OPEN:
        raise InvalidTransition(closed_message(item))


def _check_version(item: WorkItem, instance: WorkflowInstance, expected_row_version: int | None) -> None:
    """Refuse a form shown before the instance last changed."""
    if expected_row_version is not None and instance.row_version != expected_row_version:
        raise InvalidTransition(f"「{item.step_name}」所在流程已被他人更新,请刷新页面后重新提交。")


def closed_message(item: WorkItem) -> str:
    """Why a closed item cannot be worked any more (the same words before and after the row lock)."""
    done = "已办理完毕" if item.state is WorkItemState.COMPLETED else "已被撤销"
    return f"「{item.step_name}」{done},不能重复办理。"


def _ready_task(workflow: BpmnWorkflow, item: WorkItem) -> Task:
    """The engine task behind ``item``; it must be READY.

    The projection changes only with the engine state, so a task no longer READY under the lock
    means someone else closed the item meanwhile: read it again to say how.
    """
    try:
        task = workflow.get_task_from_id(UUID(item.engine_task_id))
    except TaskNotFoundException:
        task = None
    if task is None or not task.has_state(TaskState.READY):
        db.session.refresh(item)
        _check_open(item)
        raise InvalidTransition(f"「{item.step_name}」当前不可办理,请刷新待办列表。")
    return task


def ready_ids(workflow: BpmnWorkflow) -> set[str]:
    """Engine ids of the ready human steps (the open work items, which mirror them)."""
    return {str(task.id) for task in ready_human_tasks(workflow)}


def _submit(task: Task, fields: dict[str, Any]) -> None:
    """Merge the form's fields into the task and complete it."""
    task.task_spec.add_data_from_form(task, fields)
    task.run()


def check_not_suspended(instance: WorkflowInstance, subject: str) -> None:
    """Refuse to move a suspended instance on (``subject`` names it: 「报送进展」所在流程)."""
    if instance.suspended_at is not None:
        raise InvalidTransition(f"{subject}已被管理员暂停,暂不能办理;恢复后请重新提交。")


def run_engine(workflow: BpmnWorkflow, action: Callable[[], None], task: Task | None = None,
         instance: WorkflowInstance | None = None) -> None:
    """Do ``action`` and the engine steps after it.

    A step the engine left in ERROR (a script error, a missing variable) becomes the instance's
    incident, saved with the state so an administrator can retry it once the cause is fixed: what
    the user submitted stands. Any other failure (or one while starting) becomes a WorkflowError.
    """
    try:
        action()
        workflow.do_engine_steps()
    # SpiffWorkflow also raises bare Exception (e.g. "Invalid duration"); wrap every failure with its step.
    except Exception as exc:
        failed = workflow.get_tasks(state=TaskState.ERROR)
        error = WorkflowError.from_task(getattr(exc, "task", None) or (failed[0] if failed else task), exc)
        if instance is None or not failed:
            raise error from exc
        instance.incident_step = error.step_id
        instance.incident_message = error.message
        instance.incident_at = utcnow()


def save_instance(instance: WorkflowInstance, workflow: BpmnWorkflow, was_ready: set[str],
                  on_open: OnOpen | None) -> None:
    """Store the pruned state, the status and the step history; re-sync the projection; flush once."""
    done = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}
    steps = sorted(done.union(instance.completed_step_ids or []))
    if steps != instance.completed_step_ids:
        instance.completed_step_ids = steps
    instance.state = dump_state(workflow)
    instance.status = status_of(workflow)
    try:
        sync_work_items(instance, workflow, was_ready, on_open)
        db.session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange("该流程已被他人同时更新,请刷新页面后重新提交。") from exc
