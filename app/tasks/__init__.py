"""Tasks: one task with its whole history and diagram, the unit's tasks, attachments."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)

from app.tasks import routes  # noqa: E402,F401
