"""下发: the province sends tasks of its plan down to the city bureaus below it.

Each city receives a plan of its own, linked to the provincial one (``Plan.dispatched_from_id``) and task by
task (``PlanTask.parent_task_id``). A city answers for a provincial 处室's share of the work with the 科室 it
mapped to that 处室 once (``UnitMapping``, remembered for every later dispatch); a dispatched task whose lead
is mapped starts its lifecycle in the city at once, the others wait for the city to name their 科室.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from sqlalchemy import select

from app.errors import DubanError, InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    Organisation,
    Plan,
    PlanStatus,
    PlanTarget,
    PlanTask,
    ResponsibilityRole,
    Role,
    TaskResponsibility,
    Unit,
    UnitMapping,
    User,
)
from app.models.base import utcnow
from app.services.infrastructure import audit, visibility
from app.services.lifecycle import supervision
from app.services.timing import deadlines

#: Wording that says the cities carry a task out too ("全省抽检…", "各地要…", "各市州…").
CITY_WORDING = re.compile(r"全省|各地|各市州|各市、州|市州")
#: The roles a city's 科室 inherits from the 处室 it stands for.
CARRIED_ROLES = (ResponsibilityRole.LEAD, ResponsibilityRole.RESPONSIBLE, ResponsibilityRole.COOPERATING)


def suggested_for_cities(task: PlanTask) -> bool:
    """True when the task's text says the cities take part (the parser's suggestion for 市州落实)."""
    return bool(CITY_WORDING.search(task.text))


def cities_of(organisation_id: int) -> list[Organisation]:
    """The bureaus directly below an organisation, in directory order."""
    return list(db.session.scalars(select(Organisation).where(Organisation.parent_id == organisation_id)
                                   .order_by(Organisation.id)))


def remember_mapping(city: Organisation, chosen: Mapping[int, int], actor: User | None) -> None:
    """Record which city 科室 does each provincial 处室's work (``chosen``: 处室 id → 科室 id), replacing the
    city's earlier answer for those 处室.

    :raises ValidationFailed: a 处室 that is not the bureau above's, or a 科室 that is not the city's (nothing
        is changed).
    """
    upper_ids = {unit.id for unit in _units(chosen.keys(), city.parent_id)}
    own_ids = {unit.id for unit in _units(chosen.values(), city.id)}
    if set(chosen.keys()) - upper_ids:
        raise ValidationFailed("所选处室不是上级机构的处室。")
    if set(chosen.values()) - own_ids:
        raise ValidationFailed("所选科室不是本机构的科室。")
    existing = {row.upper_unit_id: row for row in db.session.scalars(
        select(UnitMapping).where(UnitMapping.organisation_id == city.id))}
    if all(upper in existing and existing[upper].unit_id == unit for upper, unit in chosen.items()):
        return  # nothing new: saved again, or the demo loaded twice
    for upper_id, unit_id in chosen.items():
        row = existing.get(upper_id) or UnitMapping(organisation_id=city.id, upper_unit_id=upper_id)
        row.unit_id = unit_id
        db.session.add(row)
    db.session.flush()
    audit.record(actor, "organisation", city.id, "unit_mapping_saved",
                 after={str(upper): unit for upper, unit in sorted(chosen.items())})


def parse_mapping(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """The 处室 → 科室 pairs a form submits, as one mapping.

    :raises ValidationFailed: one 处室 mapped twice to different 科室.
    """
    chosen: dict[int, int] = {}
    for upper_id, unit_id in pairs:
        if chosen.get(upper_id, unit_id) != unit_id:
            name = db.session.get(Unit, upper_id)
            raise ValidationFailed(f"处室“{name.name if name else upper_id}”只能对应一个科室,请勿重复对应。")
        chosen[upper_id] = unit_id
    return chosen


def mapping_of(city_id: int) -> dict[int, int]:
    """The city's remembered 处室 → 科室 mapping."""
    return {row.upper_unit_id: row.unit_id for row in db.session.scalars(
        select(UnitMapping).where(UnitMapping.organisation_id == city_id))}


def may_dispatch(plan: Plan, user: User) -> bool:
    """True when the 下发 button shows: 督审处 of the plan's bureau, an active plan not yet sent, cities below."""
    return _refusal_to_dispatch(plan, user) is None and bool(cities_of(plan.organisation_id))


def dispatched_to(plan: Plan) -> list[Plan]:
    """The cities' plans derived from ``plan``, in directory order."""
    return list(db.session.scalars(select(Plan).where(Plan.dispatched_from_id == plan.id)
                                   .order_by(Plan.organisation_id)))


def _refusal_to_dispatch(plan: Plan, user: User) -> DubanError | None:
    if not user.has_role(Role.SUPERVISOR):
        return PermissionDenied("只有督审处可以下发计划。")
    if visibility.organisation_id_of(user) != plan.organisation_id:
        return PermissionDenied("该内容属于其他机构,只能由该机构办理。")
    if plan.status is PlanStatus.ARCHIVED:
        return InvalidTransition("该计划已归档,不能下发。")
    if db.session.scalar(select(Plan.id).where(Plan.dispatched_from_id == plan.id).limit(1)) is not None:
        return InvalidTransition("该计划已下发过各市州,不能重复下发。")
    return None


def ensure_may_dispatch(plan: Plan, user: User) -> None:
    """:raises DubanError: why ``user`` may not dispatch ``plan`` (see ``dispatch``)."""
    if refusal := _refusal_to_dispatch(plan, user):
        raise refusal


def dispatch(plan: Plan, task_ids: Iterable[int] | None, actor: User) -> list[Plan]:
    """Send the chosen tasks of ``plan`` (None: those marked 市州落实) to every bureau below its organisation.

    :raises PermissionDenied: the actor is not 督审处 of the plan's bureau.
    :raises InvalidTransition: the plan is archived, or was dispatched already.
    :raises ValidationFailed: no task chosen, a task of another plan, or no bureau below (nothing is changed).
    """
    ensure_may_dispatch(plan, actor)
    tasks = _chosen_tasks(plan, task_ids)
    cities = cities_of(plan.organisation_id)
    if not cities:
        raise ValidationFailed("本机构下没有市州机构,无法下发。")
    for task in tasks:
        task.for_cities = True  # 市州落实: what was sent down stays marked
    derived = [_derive(plan, tasks, city, len(cities)) for city in cities]
    audit.record(actor, "plan", plan.id, "dispatched",
                 after={"tasks": [task.number for task in tasks], "cities": [city.code for city in cities]})
    return derived


def _chosen_tasks(plan: Plan, task_ids: Iterable[int] | None) -> list[PlanTask]:
    live = [task for task in plan.tasks if task.cancelled_at is None]
    if task_ids is None:
        tasks = [task for task in live if task.for_cities]
    else:
        wanted = set(task_ids)
        tasks = [task for task in live if task.id in wanted]
        if len(tasks) != len(wanted):
            raise ValidationFailed("所选任务不属于该计划,或已取消。")
    if not tasks:
        raise ValidationFailed("请至少选择一项要下发的任务。")
    return tasks


def is_rate(target: PlanTarget) -> bool:
    """A percent or per-head target (100%, 10批次/千人): every city must reach it itself, so it is carried
    down unchanged and never summed."""
    return "%" in target.unit or "/" in target.unit or "率" in target.phrase


def city_share(target: PlanTarget, cities: int) -> Decimal:
    """A city's default share of a province-wide figure: an even split, rounded up to whole units so the
    shares add up to at least the provincial figure; a rate as it is."""
    if is_rate(target) or target.comparator == "<=":
        return target.value
    return Decimal(math.ceil(target.value / cities))


def _derive(plan: Plan, tasks: list[PlanTask], city: Organisation, cities: int) -> Plan:
    """The city's plan: the chosen tasks, each linked to its provincial task, held by the mapped 科室."""
    digest = hashlib.sha256(f"dispatch:{plan.id}:{city.id}:{plan.content_hash}".encode()).hexdigest()
    derived = Plan(organisation_id=city.id, kind=plan.kind, title=plan.title, year=plan.year,
                   issuing_body=plan.issuing_body, issued_on=plan.issued_on, document_number=plan.document_number,
                   content_hash=digest, source_name="上级下发", dispatched_from_id=plan.id, imported_at=utcnow())
    db.session.add(derived)
    mapping = mapping_of(city.id)
    for task in tasks:
        copy = PlanTask(plan=derived, number=task.number, title=task.title, text=task.text, priority=task.priority,
                        final_deadline=task.final_deadline, suggested_due=task.suggested_due,
                        deadline_phrase=task.deadline_phrase, for_cities=True, parent_task_id=task.id)
        db.session.add(copy)
        for target in task.targets:
            # The same text and spans: a city's target matches its provincial one by where it stands.
            copy.targets.append(PlanTarget(value=city_share(target, cities), unit=target.unit,
                                           comparator=target.comparator, phrase=target.phrase,
                                           span_start=target.span_start, span_end=target.span_end))
        position = 0
        taken: set[int] = set()
        for holder in task.responsibilities:
            unit_id = mapping.get(holder.unit_id or 0)
            if holder.role not in CARRIED_ROLES or unit_id is None or unit_id in taken:
                continue
            taken.add(unit_id)
            copy.responsibilities.append(TaskResponsibility(role=holder.role, unit_id=unit_id,
                                                            written_as=holder.written_as, position=position))
            position += 1
    db.session.flush()
    supervision.start_supervision(derived)
    return derived


def _units(ids: Iterable[int], organisation_id: int | None) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(list(ids)),
                                                      Unit.organisation_id == organisation_id)))


def may_assign(task: PlanTask, user: User) -> bool:
    """True when the 确定科室 form shows: a dispatched task without a lead, and the city's own 督查 staff."""
    return (task.parent_task_id is not None and not _leads(task) and user.has_role(Role.SUPERVISOR)
            and visibility.organisation_id_of(user) == task.plan.organisation_id)


def assign_units(task: PlanTask, lead_id: int, cooperating_ids: Iterable[int], actor: User) -> None:
    """The city names the 科室 that lead and cooperate on a dispatched task whose lead was not mapped; the lead
    starts breaking it down, and the city remembers the 科室 for the provincial lead 处室 next time.

    :raises PermissionDenied: not the city's 督查 staff.
    :raises InvalidTransition: the task has a lead already.
    :raises ValidationFailed: not a dispatched task, a 科室 of another bureau, or the lead also cooperating.
    """
    if not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有本局督查人员可以确定承办科室。")
    visibility.ensure_own_organisation(actor, task.plan.organisation_id)
    if task.parent_task_id is None:
        raise ValidationFailed("该任务不是上级下发的任务。")
    if _leads(task):
        raise InvalidTransition("该任务已确定牵头科室。")
    cooperating = list(dict.fromkeys(cooperating_ids))
    if lead_id in cooperating:
        raise ValidationFailed("牵头科室不能同时作为配合科室。")
    units = {unit.id: unit for unit in _units([lead_id, *cooperating], task.plan.organisation_id)}
    if set(units) != {lead_id, *cooperating}:
        raise ValidationFailed("所选科室不是本机构的科室。")
    for position, (role, unit_id) in enumerate([(ResponsibilityRole.LEAD, lead_id)]
                                               + [(ResponsibilityRole.COOPERATING, i) for i in cooperating]):
        task.responsibilities.append(TaskResponsibility(role=role, unit_id=unit_id, written_as=units[unit_id].name,
                                                        position=position))
    db.session.flush()
    parent = db.session.get_one(PlanTask, task.parent_task_id)
    upper_leads = [r.unit_id for r in parent.holders(ResponsibilityRole.LEAD) if r.unit_id is not None]
    city = task.plan.organisation
    if upper_leads and upper_leads[0] not in mapping_of(city.id):
        remember_mapping(city, {upper_leads[0]: lead_id}, actor)
    supervision.start_decomposition(task, units[lead_id])
    deadlines.schedule_task(task)
    audit.record(actor, "plan_task", task.id, "units_assigned", after={"lead": lead_id, "cooperating": cooperating})


def _leads(task: PlanTask) -> list[TaskResponsibility]:
    return [r for r in task.responsibilities if r.role in (ResponsibilityRole.LEAD, ResponsibilityRole.RESPONSIBLE)]
