"""Traffic lights (红黄蓝绿) on the dashboards, read from app.services.dashboards.lights (never computed here)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import PlanTask
from app.services.dashboards import lights
from app.services.dashboards.facts import Filters, beijing_today, scoped_task_ids
from app.services.plans.plan_scope import PlanIds
from app.services.timing.workdays import BEIJING, end_of_day


def as_of_instant(day: date) -> datetime:
    """The instant lights are judged at: now for today, else the end of the office day of ``day``."""
    return datetime.now(BEIJING) if day == beijing_today() else end_of_day(day)


def tasks_with_light(plan_ids: PlanIds, as_of: date, light: str) -> list[int]:
    """Ids of the plan's tasks showing ``light``, judged by a query of their own.

    Callers filter on these ids rather than nest the lights query: nested inside the dashboard's
    aggregates and filters it overflowed SQLite's parser stack ("parser stack overflow").
    """
    rows = lights.task_light_rows(as_of_instant(as_of), plan_ids).subquery()
    return list(db.session.scalars(select(rows.c.plan_task_id).where(rows.c.light == light)))


def task_light_labels(plan_ids: PlanIds, as_of: date, task_ids: list[int] | None = None) -> dict[int, str]:
    """Per task of the plan (or of ``task_ids`` only): 绿/蓝/黄/红."""
    verdicts = lights.task_lights(as_of_instant(as_of), plan_id=plan_ids, task_ids=task_ids)
    return {task_id: verdict.light.label for task_id, verdict in verdicts.items()}


def milestone_light_labels(plan_ids: PlanIds, as_of: date, milestone_ids: list[int] | None = None) -> dict[int, str]:
    """Per milestone of the plan (or of ``milestone_ids`` only): 绿/蓝/黄/红."""
    verdicts = lights.milestone_lights(as_of_instant(as_of), plan_id=plan_ids, milestone_ids=milestone_ids)
    return {m: verdict.light.label for m, verdict in verdicts.items()}


def lights_by_section(plan_ids: PlanIds, as_of: date, filters: Filters = Filters()) -> dict[int | None, dict[str, int]]:
    """Per section id: how many tasks (of those ``filters`` keep) show each light, counted in SQL."""
    rows = lights.task_light_rows(as_of_instant(as_of), plan_ids).subquery()
    query = (select(PlanTask.section_id, rows.c.light, func.count()).join(rows, rows.c.plan_task_id == PlanTask.id)
             .group_by(PlanTask.section_id, rows.c.light))
    if filters.active:
        query = query.where(PlanTask.id.in_(scoped_task_ids(plan_ids, filters, as_of)))
    counted = db.session.execute(query).all()
    out: dict[int | None, dict[str, int]] = {}
    for section_id, light, count in counted:
        out.setdefault(section_id, {})[lights.Light(light).label] = count
    return out
