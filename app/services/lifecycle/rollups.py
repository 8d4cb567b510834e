"""Roll-ups the dashboards read instead of the review history: each milestone's approval and delivery day.

Set in the same transaction as 督审处's approval (``record_approval``); ``rebuild`` recomputes them from
the review records (``duban dashboards rebuild``), e.g. after rows were written around the services.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, ScalarSelect, SQLColumnExpression, func, select, update

from app.extensions import db
from app.models import Milestone, MilestoneReport, PlanTask, ReviewDecision, ReviewRecord, StepKey
from app.models.base import utcnow
from app.services.timing.sql_days import beijing_date
from app.services.timing.workdays import BEIJING


def record_approval(milestone: Milestone, submitted_at: datetime | None, decided_at: datetime | None) -> None:
    """督审处 approved the report sent at ``submitted_at``: the milestone counts as done on that day, delivered
    the day the report was sent."""
    if milestone.approved_on is None:  # the first approval counts, as in ``rebuild``
        milestone.approved_on = (decided_at or utcnow()).astimezone(BEIJING).date()
        milestone.delivered_on = (submitted_at or utcnow()).astimezone(BEIJING).date()


def rebuild(plan_ids: Iterable[int] | None = None) -> int:
    """Recompute every milestone's approval and delivery day (of the given plans) from the reviews; returns rows."""
    statement = update(Milestone).values(approved_on=_first_approval(ReviewRecord.decided_at),
                                         delivered_on=_first_approval(MilestoneReport.submitted_at))
    if plan_ids is not None:
        statement = statement.where(Milestone.plan_task_id.in_(
            select(PlanTask.id).where(PlanTask.plan_id.in_(list(plan_ids)))))
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount  # DML: the session types it loosely


def _first_approval(moment: SQLColumnExpression[datetime]) -> ScalarSelect[date]:
    """The earliest Beijing day of ``moment`` over 督审处's approvals of the milestone's reports."""
    return (select(func.min(beijing_date(moment))).select_from(MilestoneReport)
            .join(ReviewRecord, ReviewRecord.milestone_report_id == MilestoneReport.id)
            .where(MilestoneReport.milestone_id == Milestone.id, ReviewRecord.step == StepKey.REPORT_REVIEW,
                   ReviewRecord.decision == ReviewDecision.APPROVE)
            .scalar_subquery())
