"""Reading rectifications for the pages: lists, the open ones that hold a task, and one in full."""
from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.errors import PermissionDenied
from app.extensions import db
from app.models import (
    Attachment,
    Milestone,
    PlanTask,
    Rectification,
    RectificationStatus,
    RectificationSubmission,
    ReviewRecord,
    User,
)
from app.services.infrastructure.visibility import may_view_organisation, sees_whole_bureau, tasks_of_organisation
from app.services.lifecycle import work_items

OPEN_STATUSES = [status for status in RectificationStatus if status.is_open]


@dataclass(frozen=True)
class Round:
    """One plan or result the unit submitted, with its files and 督审处's verdicts."""

    submission: RectificationSubmission
    attachments: list[Attachment]
    verdicts: list[ReviewRecord]


def list_rectifications(status: RectificationStatus | None = None, open_only: bool = False,
                        organisation_id: int | None = None) -> list[Rectification]:
    """Every rectification (of one bureau's tasks, when given), newest first; optionally of one status, or the
    open ones."""
    query = _of_organisation(select(Rectification), organisation_id).order_by(
        Rectification.opened_at.desc(), Rectification.id.desc())
    if status is not None:
        query = query.where(Rectification.status == status)
    elif open_only:
        query = query.where(Rectification.status.in_(OPEN_STATUSES))
    return list(db.session.scalars(query))


def _of_organisation(query: Select[tuple[Rectification]], organisation_id: int | None) -> Select[tuple[Rectification]]:
    if organisation_id is None:
        return query
    return query.where(Rectification.plan_task_id.in_(tasks_of_organisation(organisation_id)))


def rectification_page(status: RectificationStatus | None, open_only: bool, page: int,
                       organisation_id: int | None = None) -> Pagination:
    """One page of ``list_rectifications``, each row's task and unit loaded with it."""
    query = _of_organisation(select(Rectification), organisation_id) \
        .order_by(Rectification.opened_at.desc(), Rectification.id.desc()) \
        .options(selectinload(Rectification.task), selectinload(Rectification.unit))
    if status is not None:
        query = query.where(Rectification.status == status)
    elif open_only:
        query = query.where(Rectification.status.in_(OPEN_STATUSES))
    return work_items.paginate(query, page)


def milestones_of(task: PlanTask) -> list[Milestone]:
    """The task's milestones, a rectification may be about one of them."""
    query = select(Milestone).where(Milestone.plan_task_id == task.id).order_by(Milestone.id)
    return list(db.session.scalars(query))


def rectifications_of(task: PlanTask) -> list[Rectification]:
    """The task's rectifications, oldest first."""
    query = select(Rectification).where(Rectification.plan_task_id == task.id).order_by(Rectification.id)
    return list(db.session.scalars(query))


def open_rectifications(task: PlanTask) -> list[Rectification]:
    """The task's rectifications not yet verified (销号); while any is open the task cannot close."""
    return [r for r in rectifications_of(task) if r.status.is_open]


def closure_blocker(task: PlanTask) -> str | None:
    """Why the task cannot close now, in Chinese, or None."""
    pending = open_rectifications(task)
    if not pending:
        return None
    names = "、".join(f"整改 #{r.id}({r.unit.name},{r.status.label})" for r in pending)
    return f"该任务尚有 {len(pending)} 项整改未销号:{names},全部销号后方可办结。"


def ensure_can_view(user: User, rectification: Rectification) -> None:
    """督审处, leaders and administrators see every rectification; unit staff only their unit's.

    :raises PermissionDenied: another unit's rectification.
    """
    if not ((sees_whole_bureau(user) and may_view_organisation(user, rectification.task.plan.organisation_id))
            or user.unit_id == rectification.unit_id):
        raise PermissionDenied("该整改不属于您所在的单位,无权查看。")


def rounds(rectification: Rectification) -> list[Round]:
    """Every plan and result round in submission order, with files and verdicts."""
    ids = [s.id for s in rectification.submissions]
    files = db.session.scalars(select(Attachment).where(
        Attachment.rectification_submission_id.in_(ids)).order_by(Attachment.id)).all()
    verdicts = db.session.scalars(select(ReviewRecord).where(
        ReviewRecord.rectification_submission_id.in_(ids)).order_by(ReviewRecord.id)).all()
    return [Round(s, [f for f in files if f.rectification_submission_id == s.id],
                  [v for v in verdicts if v.rectification_submission_id == s.id])
            for s in rectification.submissions]
