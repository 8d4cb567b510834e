"""A task's comment thread, leaders' instructions (领导批示) and their acknowledgement, its priority."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    InstructionAcknowledgement,
    LeaderInstruction,
    NoticeTopic,
    PlanTask,
    Priority,
    Role,
    TaskComment,
    TaskResponsibility,
    User,
)
from app.services.infrastructure import audit, visibility
from app.services.lifecycle import step_notices

MAX_TEXT = 4000


def _text(body: str | None, what: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(f"{what}内容不能为空。")
    if len(body) > MAX_TEXT:
        raise ValidationFailed(f"{what}内容不能超过 {MAX_TEXT} 字。")
    return body


def add_comment(task: PlanTask, body: str | None, actor: User) -> TaskComment:
    """Post to the task's thread; anyone who may see the task may.

    :raises PermissionDenied: the task does not involve the user's unit.
    :raises ValidationFailed: an empty or overlong message.
    """
    visibility.ensure_can_view_task(actor, task)
    comment = TaskComment(plan_task_id=task.id, author=actor, body=_text(body, "留言"))
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "task_comment", comment.id, "created", after={"task": task.id})
    return comment


def add_instruction(task: PlanTask, body: str | None, actor: User) -> LeaderInstruction:
    """领导批示 on a task.

    :raises PermissionDenied: the user is not a bureau leader.
    """
    if not actor.has_role(Role.LEADER):
        raise PermissionDenied("只有局领导可以作出批示。")
    visibility.ensure_can_view_task(actor, task)
    instruction = LeaderInstruction(plan_task_id=task.id, author=actor, body=_text(body, "批示"))
    db.session.add(instruction)
    db.session.flush()
    audit.record(actor, "leader_instruction", instruction.id, "created", after={"task": task.id})
    topic = NoticeTopic.INSTRUCTION_ISSUED
    people = [user for unit_id in sorted(responsible_unit_ids(task))
              for user in step_notices.unit_people(unit_id, Role.LIAISON, Role.UNIT_HEAD)]
    step_notices.tell(people, task, topic, f"instruction:{instruction.id}:issued",
                      f"{topic.label}:{step_notices.task_name(task)}",
                      f"{actor.display_name}批示:{instruction.body}\n请阅处并确认收悉。", f"/tasks/{task.id}")
    return instruction


def responsible_unit_ids(task: PlanTask) -> set[int]:
    """Units named on the task (lead, responsible or cooperating)."""
    return set(db.session.scalars(select(TaskResponsibility.unit_id).where(
        TaskResponsibility.task_id == task.id, TaskResponsibility.unit_id.is_not(None))))


def answers_for(task: PlanTask, user: User) -> bool:
    """True when ``user`` confirms the task's instructions for their unit: a liaison or head of a unit named on it."""
    return user.has_role(Role.LIAISON, Role.UNIT_HEAD) and user.unit_id in responsible_unit_ids(task)


def to_acknowledge(task: PlanTask, instructions: Iterable[LeaderInstruction], user: User) -> set[int]:
    """Ids of the task's instructions the user's unit may still confirm (each shows 确认收悉)."""
    if not answers_for(task, user):
        return set()
    return {ins.id for ins in instructions if all(ack.unit_id != user.unit_id for ack in ins.acknowledgements)}


def acknowledge(instruction: LeaderInstruction, actor: User) -> InstructionAcknowledgement:
    """The user's unit confirms it has taken the instruction on; a second confirmation changes nothing.

    :raises PermissionDenied: the user is not a liaison or head of a unit named on the task.
    """
    task = db.session.get_one(PlanTask, instruction.plan_task_id)
    if not answers_for(task, actor):
        raise PermissionDenied("只有任务责任单位的联络员或负责人可以确认批示。")
    existing = next((a for a in instruction.acknowledgements if a.unit_id == actor.unit_id), None)
    if existing is not None:
        return existing
    ack = InstructionAcknowledgement(instruction=instruction, unit_id=actor.unit_id, acknowledged_by=actor)
    db.session.add(ack)
    db.session.flush()
    audit.record(actor, "leader_instruction", instruction.id, "acknowledged", after={"unit": actor.unit_id})
    topic = NoticeTopic.INSTRUCTION_ACKNOWLEDGED
    unit = actor.unit.name if actor.unit else ""
    step_notices.tell([instruction.author], task, topic, f"instruction:{instruction.id}:acknowledged:{actor.unit_id}",
                      f"{topic.label}:{step_notices.task_name(task)}",
                      f"{unit}已确认收悉您的批示:{instruction.body[:100]}", f"/tasks/{task.id}")
    return ack


def pending_instructions(user: User) -> list[LeaderInstruction]:
    """Instructions on the user's unit's tasks that the unit has not acknowledged yet."""
    if user.unit_id is None or not user.has_role(Role.LIAISON, Role.UNIT_HEAD):
        return []
    acknowledged = select(InstructionAcknowledgement.instruction_id).where(
        InstructionAcknowledgement.unit_id == user.unit_id)
    own_tasks = select(TaskResponsibility.task_id).where(TaskResponsibility.unit_id == user.unit_id)
    query = select(LeaderInstruction).where(
        LeaderInstruction.plan_task_id.in_(own_tasks), LeaderInstruction.id.not_in(acknowledged),
    ).order_by(LeaderInstruction.id)
    return list(db.session.scalars(query))


def set_priority(task: PlanTask, priority: Priority, actor: User) -> PlanTask:
    """督审处 marks a task 一般, 急办 or 特急.

    :raises PermissionDenied: the user is not 督审处.
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有督审处可以调整督办等级。")
    visibility.ensure_own_organisation(actor, task.plan.organisation_id)
    before = task.priority
    task.priority = priority
    db.session.flush()
    audit.record(actor, "plan_task", task.id, "priority_changed", before={"priority": before.value},
                 after={"priority": priority.value})
    return task


def thread(task: PlanTask) -> tuple[list[TaskComment], list[LeaderInstruction]]:
    """The task's comments and instructions, oldest first."""
    comments = db.session.scalars(select(TaskComment).where(TaskComment.plan_task_id == task.id)
                                  .order_by(TaskComment.id)).all()
    instructions = db.session.scalars(select(LeaderInstruction).where(LeaderInstruction.plan_task_id == task.id)
                                      .order_by(LeaderInstruction.id)).all()
    return list(comments), list(instructions)


def issued_by(leader: User) -> list[LeaderInstruction]:
    """The instructions ``leader`` issued, newest first, with their tasks and acknowledgements loaded."""
    query = (select(LeaderInstruction).where(LeaderInstruction.author_id == leader.id)
             .options(selectinload(LeaderInstruction.task),
                      selectinload(LeaderInstruction.acknowledgements).selectinload(InstructionAcknowledgement.unit))
             .order_by(LeaderInstruction.id.desc()))
    return list(db.session.scalars(query))
