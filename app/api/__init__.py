"""The JSON API: the main actions of the pages for other government systems, described by OpenAPI."""
from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api")

from app.api import (  # noqa: E402,F401
    admin_routes,
    auth,
    dashboard_routes,
    export_routes,
    follow_up_routes,
    plan_routes,
    rectification_routes,
    routes,
    token_routes,
)


def register_api(app: Flask) -> None:
    """Mount the API with its bearer-token loader and its own CSRF rule (see app/api/auth.py)."""
    app.register_blueprint(bp)
    auth.init_auth()
