"""Deadlines administration: 延期申请 and their approval, each plan's 时限规则, the holiday calendar."""
from flask import Blueprint

bp = Blueprint("deadlines", __name__)

from app.deadlines import history, routes  # noqa: E402,F401
