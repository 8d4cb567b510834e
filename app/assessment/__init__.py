"""Assessment (考核评分): units ranked by annual score, how each score was reached, the scoring policy."""
from flask import Blueprint

bp = Blueprint("assessment", __name__)

from app.assessment import routes  # noqa: E402,F401
from app.assessment.presenting import register_helpers  # noqa: E402

bp.record_once(register_helpers)
