"""Plans: importing a work plan document, reviewing it, and reading imported plans."""
from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")

from app.plans import routes  # noqa: E402,F401
