"""A unit's page: the tasks it leads and those it cooperates on, its milestones and figures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.errors import PermissionDenied
from app.extensions import db
from app.models import PlanTask, ResponsibilityRole, TaskResponsibility, Unit, User
from app.services.dashboards import lighting
from app.services.dashboards.facts import (
    OWNING_ROLES,
    Filters,
    TaskState,
    milestone_facts,
    state_label,
    task_facts,
)
from app.services.dashboards.ledger import milestone_state
from app.services.dashboards.overview import Progress, unit_progress
from app.services.infrastructure import visibility
from app.services.plans.plan_scope import PlanIds
from app.services.scoring import assessment
from app.services.scoring.assessment import UnitScore


@dataclass(frozen=True)
class UnitTask:
    """A task as the unit sees it."""

    task_id: int
    number: int
    title: str
    state: TaskState
    light: str
    plan_id: int | None = None
    supervision_number: str | None = None
    hold_kind: str | None = None

    @property
    def state_label(self) -> str:
        """已中止, 阶段性办结, or the state's label."""
        return state_label(self.state.value, self.hold_kind)


@dataclass(frozen=True)
class UnitMilestone:
    """One of the unit's milestones, as of the day."""

    milestone_id: int
    task_id: int
    task_number: int
    title: str
    due_date: date
    state: str
    light: str
    supervision_number: str | None = None


@dataclass(frozen=True)
class UnitOverview:
    """Everything the unit page shows."""

    unit: Unit
    lead_tasks: list[UnitTask]
    cooperating_tasks: list[UnitTask]
    milestones: list[UnitMilestone]
    progress: Progress | None


def ensure_may_view(user: User, unit: Unit) -> None:
    """督审处, leaders and administrators see every unit; unit staff only their own.

    :raises PermissionDenied: a unit's staff asking for another unit.
    """
    if user.unit_id == unit.id or (visibility.sees_whole_bureau(user)
                                   and visibility.may_view_organisation(user, unit.organisation_id)):
        return
    raise PermissionDenied("只能查看本单位的看板。")


def unit_overview(plan_ids: PlanIds, unit: Unit, as_of: date) -> UnitOverview:
    """The unit's tasks by role, its milestones and its progress figures."""
    tasks = task_facts(plan_ids, as_of,
                       within=select(TaskResponsibility.task_id).where(TaskResponsibility.unit_id == unit.id))
    rows = db.session.execute(
        select(tasks.c.task_id, tasks.c.number, tasks.c.title, tasks.c.state, TaskResponsibility.role,
               tasks.c.plan_id, tasks.c.supervision_number, tasks.c.hold_kind)
        .join(TaskResponsibility, TaskResponsibility.task_id == tasks.c.task_id)
        .where(TaskResponsibility.unit_id == unit.id).order_by(tasks.c.number)).all()
    # Lights of the unit's own tasks and milestones only: a province plan has thousands of others.
    task_lights = lighting.task_light_labels(plan_ids, as_of, task_ids=[r[0] for r in rows])
    listed = [(UnitTask(r[0], r[1], r[2], TaskState(r[3]), task_lights.get(r[0], ""), r[5], r[6], r[7]), r[4])
              for r in rows]
    lead = [task for task, role in listed if role in OWNING_ROLES]
    cooperating = [task for task, role in listed if role is ResponsibilityRole.COOPERATING]
    facts = milestone_facts(plan_ids, as_of)
    milestone_rows = db.session.execute(
        select(facts, PlanTask.number, PlanTask.supervision_number).join(PlanTask, PlanTask.id == facts.c.task_id)
        .where(facts.c.unit_id == unit.id).order_by(facts.c.due_date, facts.c.milestone_id)).mappings().all()
    milestone_lights = lighting.milestone_light_labels(plan_ids, as_of, [m["milestone_id"] for m in milestone_rows])
    milestones = [UnitMilestone(m["milestone_id"], m["task_id"], m["number"], m["title"], m["due_date"],
                                milestone_state(m), milestone_lights.get(m["milestone_id"], ""),
                                m["supervision_number"])
                  for m in milestone_rows]
    progress = next(iter(unit_progress(plan_ids, as_of, Filters(unit_id=unit.id))), None)
    return UnitOverview(unit, lead, cooperating, milestones, progress)


def unit_score(plan_ids: PlanIds, unit_id: int, as_of: date) -> UnitScore | None:
    """The unit's annual assessment score on the plans as of the day, or None when it answers for no task."""
    return assessment.unit_score(plan_ids, unit_id, as_of)
