"""What the plan page shows: its tasks a page at a time, with what each card needs loaded up front."""
from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import PlanTask, TaskResponsibility
from app.services.lifecycle.work_items import paginate


def task_page(plan_id: int, page: int) -> Pagination:
    """One page of the plan's tasks by number; responsibilities (with unit or group) and targets loaded."""
    query = (select(PlanTask).where(PlanTask.plan_id == plan_id).order_by(PlanTask.number, PlanTask.id)
             .options(selectinload(PlanTask.targets),
                      selectinload(PlanTask.responsibilities).selectinload(TaskResponsibility.unit),
                      selectinload(PlanTask.responsibilities).selectinload(TaskResponsibility.group)))
    return paginate(query, page)
