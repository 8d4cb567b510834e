"""Views of the dashboards blueprint."""
from __future__ import annotations

import io
from datetime import date

from flask import current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import exports
from app.access import roles, signed_in
from app.dashboards import bp, charts
from app.errors import NotFound, ValidationFailed
from app.exports import jobs
from app.extensions import db
from app.fields import MAX_ID, as_of_day
from app.models import Plan, Role, Unit
from app.models.base import utcnow
from app.scope_selector import requested_scope, scope_links
from app.services.dashboards import cities as city_dashboard
from app.services.dashboards import lighting, lists, overview, targets
from app.services.dashboards.facts import Filters, TaskState, beijing_today, with_lights_judged
from app.services.dashboards.unit import ensure_may_view, unit_overview, unit_score
from app.services.infrastructure import accounts
from app.services.lifecycle import discussion
from app.services.plans import directory, plan_scope

#: 督审处, the leaders and administrators read every dashboard and download every document.
READERS = (Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
#: How many overdue items the leader dashboard lists.
LEADER_OVERDUE_COUNT = 10
#: How many items each list of the 督查看板 shows; the ledger has them all.
LIST_LIMIT = 50


def _id_arg(name: str) -> int | None:
    """An id from the query string; one beyond the database's integer range names nothing.

    :raises NotFound: the id is too large to exist.
    """
    value = request.args.get(name, type=int)
    if value is not None and abs(value) > MAX_ID:
        raise NotFound("找不到所指的计划、部分或单位。")
    return value


def _page(template: str, scope: plan_scope.Scope, as_of: date, **context: object) -> str:
    """A dashboard page with the scope selector and the names of the plans and items its lists mention."""
    return render_template(template, scope=scope, scope_links=scope_links(scope, as_of=as_of.isoformat()),
                           sources=plan_scope.source_labels(scope), as_of=as_of, **context)


def _as_of() -> date:
    return as_of_day(request.args.get("as_of"), beijing_today())


def _filters() -> Filters:
    state, light = request.args.get("state") or None, request.args.get("light") or None
    if state is not None and state not in set(TaskState):
        raise ValidationFailed("无法识别的任务状态。")
    if light is not None and light not in ("green", "blue", "yellow", "red"):
        raise ValidationFailed("无法识别的灯号。")
    return Filters(_id_arg("section"), _id_arg("unit"),
                   TaskState(state) if state else None, light)


@bp.route("/")
@roles(*READERS)
def supervision() -> str:
    """督审处's dashboard: states, progress by section and unit, lists, targets, weekly completions; filterable."""
    scope, as_of, filters = requested_scope(), _as_of(), _filters()
    if scope.empty:
        return render_template("dashboards/no_plan.html")
    plan_ids = scope.plan_ids
    filters = with_lights_judged(plan_ids, as_of, filters)
    view = {
        "counts": overview.state_counts(plan_ids, as_of, filters),
        "totals": overview.totals(plan_ids, as_of, filters),
        "sections": overview.section_progress(plan_ids, as_of, filters),
        "units": overview.unit_progress(plan_ids, as_of, filters),
        "overdue": lists.overdue(plan_ids, as_of, filters, limit=LIST_LIMIT),
        "due_soon": lists.due_soon(plan_ids, as_of, filters, limit=LIST_LIMIT),
        "returned": lists.returned(plan_ids, as_of, filters),
        "targets": targets.target_progress(plan_ids, as_of, filters),
        "weeks": targets.weekly_completions(plan_ids, as_of, filters),
    }
    return _page("dashboards/supervision.html", scope, as_of=as_of, filters=filters, charts=charts,
                 section_choices=overview.section_choices(plan_ids),
                 unit_choices=overview.unit_choices(plan_ids), states=list(TaskState),
                 list_limit=LIST_LIMIT, **view)


@bp.route("/leader")
@roles(*READERS)
def leader() -> str:
    """The leaders' one screen: lights per section, the most overdue items, units ranked by on-time rate."""
    scope, as_of = requested_scope(), _as_of()
    if scope.empty:
        return render_template("dashboards/no_plan.html")
    plan_ids = scope.plan_ids
    # A leader with 分管 units sees them first; ?scope=all switches to the whole bureau.
    mine = accounts.units_in_charge(current_user) if current_user.has_role(Role.LEADER) else []
    whole = request.args.get("scope") == "all" or not mine
    filters = Filters() if whole else Filters(unit_ids=tuple(mine))
    sections = overview.section_progress(plan_ids, as_of, filters)
    section_lights = lighting.lights_by_section(plan_ids, as_of, filters)
    return _page(
        "dashboards/leader.html", scope, as_of=as_of, charts=charts, totals=overview.totals(plan_ids, as_of, filters),
        sections=sections, section_lights=[section_lights.get(s.id or None, {}) for s in sections],
        overdue=lists.overdue(plan_ids, as_of, filters, limit=LEADER_OVERDUE_COUNT),
        units=overview.units_by_on_time_rate(plan_ids, as_of, filters), whole=whole,
        my_units=db.session.scalars(select(Unit.name).where(Unit.id.in_(mine)).order_by(Unit.id)).all(),
        instructions=discussion.issued_by(current_user))


@bp.route("/cities")
@roles(*READERS)
def cities() -> str:
    """市州排名: the bureaus below the user's ranked by 按期完成率, with their lights and targets attained."""
    as_of = _as_of()
    org = directory.home_organisation(current_user)
    return render_template("dashboards/cities.html", organisation=org, as_of=as_of, charts=charts,
                           rows=city_dashboard.city_rows(org.id, as_of, utcnow()))


@bp.route("/units/<int:unit_id>")
@signed_in
def unit(unit_id: int) -> str:
    """One unit's tasks (lead and cooperating), milestones, lights and score."""
    unit = db.get_or_404(Unit, unit_id)
    ensure_may_view(current_user, unit)
    scope, as_of = requested_scope(unit.organisation_id), _as_of()
    if scope.empty:
        return render_template("dashboards/no_plan.html")
    return _page("dashboards/unit.html", scope, as_of=as_of, view=unit_overview(scope.plan_ids, unit, as_of),
                 score=unit_score(scope.plan_ids, unit.id, as_of))


@bp.route("/my-unit")
@roles(Role.LIAISON, Role.UNIT_HEAD)
def my_unit() -> Response:
    """Jump to the dashboard of the user's own unit."""
    if current_user.unit_id is None:
        raise NotFound("您不属于任何单位。")
    return redirect(url_for("dashboards.unit", unit_id=current_user.unit_id))


@bp.route("/export/<kind>")
@roles(*READERS)
def export(kind: str) -> Response:
    """Download the 督查台账, the 督查通报 or the assessment scores of the plans and items shown, as of a day.

    A large plan's document is prepared in the background: the answer is its progress page.
    """
    scope, as_of = requested_scope(), _as_of()
    if scope.empty:
        raise NotFound("尚无工作计划或督办事项,无法导出。")
    # Jobs are kept per plan, so a scope of one plan only is prepared in the background.
    single = scope.plan or (scope.plans[0] if len(scope.plans) == 1 else None)
    if single is not None and jobs.is_large(single):
        job = jobs.request_document(kind, single, as_of, current_user)
        jobs.start(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
        return redirect(url_for("dashboards.export_job", job_id=job.id))
    document = exports.build_document(kind, scope, as_of, filters=_filters() if kind == "ledger" else None)
    response = send_file(document.stream(), mimetype=document.mimetype)
    response.headers["Content-Disposition"] = document.content_disposition
    return response


@bp.route("/exports/<int:job_id>")
@roles(*READERS)
def export_job(job_id: int) -> str:
    """A document being prepared: its progress, then the link to download it."""
    job = jobs.job_of(job_id, current_user)
    plan = db.session.get(Plan, job.plan_id)
    return render_template("dashboards/export_job.html", job=job, plan=plan, stalled=jobs.is_stalled(job),
                           title=exports.KINDS[job.kind][0])


@bp.route("/exports/<int:job_id>/file")
@roles(*READERS)
def export_file(job_id: int) -> Response:
    """The prepared document."""
    job = jobs.job_of(job_id, current_user)
    if job.data is None or job.filename is None or job.mimetype is None:
        raise NotFound("文件尚未生成。")
    return send_file(io.BytesIO(job.data), mimetype=job.mimetype, as_attachment=True, download_name=job.filename)
