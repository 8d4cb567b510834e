"""Dashboards: 督审处's overview with filters, the leaders' one-screen view, each unit's page, and downloads."""
from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")

from app.dashboards import routes  # noqa: E402,F401
