"""Starting supervision of an imported plan: a 督办编号 per task, a lifecycle per decomposing unit."""
from __future__ import annotations

from sqlalchemy import select

from app import workflow
from app.extensions import db
from app.models import Decomposition, InstanceKind, Plan, PlanTask, ResponsibilityRole, Unit, WorkflowInstance
from app.services.timing import deadlines

LIFECYCLE_PROCESS = "task_lifecycle"
MILESTONE_PROCESS = "milestone"


def supervision_number(plan: Plan, task: PlanTask) -> str:
    """督办编号 in the usual form: 督〔2023〕16号."""
    return f"督〔{plan.year}〕{task.number}号"


def decomposing_units(task: PlanTask) -> list[Unit]:
    """The units that break the task down: every lead, or with no lead every co-responsible unit."""
    leads = [r.unit for r in task.holders(ResponsibilityRole.LEAD) if r.unit is not None]
    if leads:
        return leads
    return [r.unit for r in task.holders(ResponsibilityRole.RESPONSIBLE) if r.unit is not None]


def start_supervision(plan: Plan) -> None:
    """Number every task and start one lifecycle instance per decomposing unit."""
    workflow.deploy_processes()
    for task in plan.tasks:
        task.supervision_number = supervision_number(plan, task)
        for unit in decomposing_units(task):
            start_decomposition(task, unit)
        deadlines.schedule_task(task)


def start_decomposition(task: PlanTask, unit: Unit) -> Decomposition:
    """Open the unit's decomposition of the task and the lifecycle instance that drives it."""
    decomposition = Decomposition(task=task, unit=unit)
    db.session.add(decomposition)
    db.session.flush()
    workflow.start_instance(
        LIFECYCLE_PROCESS,
        {"plan_task_id": task.id, "unit_id": unit.id, "decomposition_id": decomposition.id},
        plan_task_id=task.id,
        about=(InstanceKind.DECOMPOSITION, decomposition.id),
    )
    return decomposition


def lifecycle_instance(decomposition: Decomposition) -> WorkflowInstance:
    """The lifecycle instance that drives a decomposition."""
    return db.session.scalars(
        select(WorkflowInstance).where(WorkflowInstance.decomposition_id == decomposition.id)
    ).one()
