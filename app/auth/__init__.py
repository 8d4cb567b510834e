"""Signing in and out, and changing one's own password."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from app.auth import routes, sso_routes, throttle  # noqa: E402,F401  (routes attach themselves to bp)

throttle.register(bp)
