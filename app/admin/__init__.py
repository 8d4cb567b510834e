"""Administration: units and aliases, groups, users, the audit trail."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import process_routes, routes, webhooks  # noqa: E402,F401
