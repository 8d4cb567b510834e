"""Starting supervision of an imported plan: a 督办编号 per task, a lifecycle per decomposing unit."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from app import workflow
from app.extensions import db
from app.models import (
    Decomposition,
    InstanceKind,
    Organisation,
    Plan,
    PlanTask,
    ResponsibilityRole,
    SupervisionNumber,
    Unit,
    WorkflowInstance,
)
from app.services.timing import deadlines

LIFECYCLE_PROCESS = "task_lifecycle"
MILESTONE_PROCESS = "milestone"


def supervision_number(year: int, serial: int) -> str:
    """督办编号 in the usual form: 督〔2023〕16号."""
    return f"督〔{year}〕{serial}号"


def number_tasks(plan: Plan, tasks: Sequence[PlanTask] | None = None) -> None:
    """Give each task of the plan (or the given new ones) the next 督办编号 of its organisation and year, in
    task order.

    Plans and registered items share one sequence, so a number names one task in every list. The
    organisation's row is locked first: a concurrent import waits here rather than reading the same
    last number (the unique constraint on ``supervision_number`` is the backstop). FOR NO KEY UPDATE, so
    the rows both imports already inserted (their foreign keys share-lock the row) do not deadlock them.
    """
    db.session.flush()
    db.session.execute(select(Organisation.id).where(Organisation.id == plan.organisation_id)
                       .with_for_update(key_share=True))
    last = db.session.scalar(select(func.max(SupervisionNumber.serial)).where(
        SupervisionNumber.organisation_id == plan.organisation_id, SupervisionNumber.year == plan.year)) or 0
    for serial, task in enumerate(plan.tasks if tasks is None else tasks, start=last + 1):
        task.supervision_number = supervision_number(plan.year, serial)
        db.session.add(SupervisionNumber(organisation_id=plan.organisation_id, year=plan.year, serial=serial,
                                         plan_task_id=task.id))
    db.session.flush()


def decomposing_units(task: PlanTask) -> list[Unit]:
    """The units that break the task down: every lead, or with no lead every co-responsible unit."""
    leads = [r.unit for r in task.holders(ResponsibilityRole.LEAD) if r.unit is not None]
    if leads:
        return leads
    return [r.unit for r in task.holders(ResponsibilityRole.RESPONSIBLE) if r.unit is not None]


def start_supervision(plan: Plan) -> None:
    """Number every task and start one lifecycle instance per decomposing unit."""
    workflow.deploy_processes()
    number_tasks(plan)
    for task in plan.tasks:
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
