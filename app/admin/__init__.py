"""Administration: units and aliases, groups, users, the audit trail; processes and webhooks."""
from flask import Blueprint, request
from flask_login import current_user

from app.services.infrastructure import visibility

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Pages about things every bureau shares (the process definitions, the outbound webhooks): only the
#: administrators of the top organisation use them.
SHARED_BY_EVERY_BUREAU = ("admin.process", "admin.webhook")


@bp.before_request
def _shared_pages_belong_to_the_top_bureau() -> None:
    if not (request.endpoint or "").startswith(SHARED_BY_EVERY_BUREAU) or not current_user.is_authenticated:
        return
    if (top := visibility.root_organisation_id()) is not None:
        visibility.ensure_own_organisation(current_user, top)


from app.admin import process_routes, routes, webhooks  # noqa: E402,F401
