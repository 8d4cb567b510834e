"""Work items: the 待办 inbox, the 已办 list, and doing one step through its form."""
from flask import Blueprint

bp = Blueprint("work", __name__, url_prefix="/work")

from app.work import routes  # noqa: E402,F401
