"""Template helpers: the rectification panel on the task page, 催办 on work items, closure blockers."""
from __future__ import annotations

from flask_login import current_user

from app.models import PlanTask, Rectification, ReviewRecord, Urge, WorkItem
from app.rectification import bp
from app.services.follow_up import rectification, rectification_view, urging
from app.services.follow_up.rectification_view import Round


@bp.app_template_global()
def rectification_panel(task: PlanTask) -> list[Rectification]:
    """The task's rectifications, for the panel on the task page."""
    return rectification_view.rectifications_of(task)


@bp.app_template_global()
def urges_on(item: WorkItem) -> list[Urge]:
    """The item's 催办, for the item's page."""
    return urging.urges_of(item)


@bp.app_template_global()
def urge_counts(items: list[WorkItem]) -> dict[int, int]:
    """催办 counts of the listed items."""
    return urging.urge_counts([item.id for item in items])


@bp.app_template_global()
def may_urge(item: WorkItem) -> bool:
    """Whether the signed-in user may 催办 the item."""
    return urging.may_urge(current_user, item)


@bp.app_template_global()
def may_open_rectification(review: ReviewRecord) -> bool:
    """Whether the signed-in user may 发起整改 from the returned report ``review``."""
    return rectification.may_open_rectification(review, current_user)


@bp.app_template_global()
def rectification_step(item: WorkItem) -> tuple[Rectification, list[Round]] | None:
    """For a rectification step: the rectification and its rounds, shown above the form."""
    if not (item.form_key or "").startswith("rectification_"):
        return None
    found = rectification.rectification_of(item)
    return found, rectification_view.rounds(found)


@bp.app_template_global()
def closure_blocker(task: PlanTask) -> str | None:
    """Why the task cannot be closed now (open rectifications), or None."""
    return rectification_view.closure_blocker(task)
