"""Reading the unit directory: units, their aliases and members, and groups."""
from flask import Blueprint

bp = Blueprint("directory", __name__, url_prefix="/directory")

from app.directory import routes  # noqa: E402,F401
