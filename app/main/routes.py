"""Views of the main blueprint."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import public, roles, signed_in
from app.dashboards import routes as dashboards
from app.main import bp
from app.models import Role
from app.models.base import utcnow
from app.services.dashboards import home
from app.services.dashboards.facts import beijing_today
from app.services.infrastructure import search as searching
from app.services.lifecycle import discussion
from app.services.plans import directory, plan_scope


@bp.route("/")
@signed_in
def index() -> str:
    """What the user must do today; a leader's home is the leader dashboard (their 分管 units' lights)."""
    if current_user.roles == {Role.LEADER}:
        return dashboards.leader()
    now, user = utcnow(), current_user
    unit_staff = user.has_role(Role.LIAISON, Role.UNIT_HEAD) and user.unit_id is not None
    work = None
    if user.has_role(Role.SUPERVISOR, Role.LIAISON, Role.UNIT_HEAD):
        work = home.my_work(user, now, by_light=unit_staff)
        g.inbox_total = work.total  # the navigation's badge counts the same items
    supervision = watch = None
    if user.has_role(Role.SUPERVISOR) or unit_staff:
        plan_ids = plan_scope.resolve(directory.home_organisation(user).id).plan_ids
        if user.has_role(Role.SUPERVISOR):
            supervision = home.supervision(plan_ids, beijing_today())
        if unit_staff:
            watch = home.unit_watch(plan_ids, user.unit_id, beijing_today())
    return render_template(
        "main/index.html", work=work, supervision=supervision, today=beijing_today(), unit_staff=unit_staff,
        watch=watch, top=home.TOP,
        administration=home.administration(now) if user.has_role(Role.ADMIN) else None,
        instructions=discussion.pending_instructions(user))


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
