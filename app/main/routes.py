"""Views of the main blueprint."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import public, roles, signed_in
from app.dashboards import routes as dashboards
from app.main import bp
from app.models import Role
from app.services.infrastructure import search as searching


@bp.route("/")
@signed_in
def index() -> str:
    """The signed-in user's home page; a leader's home is the leader dashboard, at a glance without a click."""
    if current_user.roles == {Role.LEADER}:
        return dashboards.leader()
    return render_template("main/index.html")


@bp.route("/my-unit")
@roles(Role.LIAISON, Role.UNIT_HEAD)
def my_unit() -> Response:
    """Jump to the page of the user's own unit."""
    if current_user.unit is None:
        abort(404)
    return redirect(url_for("directory.unit", unit_id=current_user.unit_id))


@bp.route("/search")
@signed_in
def search() -> str:
    """检索: tasks, 节点, reports, review comments, rectifications and comments the user may see."""
    results = searching.search(current_user, request.args.get("q"), request.args.get("page", 1, type=int))
    return render_template("main/search.html", results=results)


@bp.route("/healthz")
@public
def health() -> tuple[dict[str, str], int]:
    """Liveness probe for load balancers and process managers."""
    return {"status": "ok"}, 200
