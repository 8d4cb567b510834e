"""Rectifications (整改) and 催办: opening one, the detail and list pages, and reminders by hand."""
from flask import Blueprint

bp = Blueprint("rectification", __name__)

from app.rectification import presenting, routes  # noqa: E402,F401
