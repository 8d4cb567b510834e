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
from app.services.dashboards import lighting, lists, overview, targets
from app.services.dashboards.facts import Filters, TaskState, beijing_today, with_lights_judged
from app.services.dashboards.unit import current_plan, ensure_may_view, unit_overview, unit_score
from app.services.infrastructure import accounts
from app.services.lifecycle import discussion
from app.services.plans import directory

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


def _plan() -> Plan | None:
    plan_id = _id_arg("plan_id")
    plan = current_plan(directory.home_organisation(current_user).id, plan_id)
    if plan is None and plan_id is not None:
        raise NotFound("找不到该工作计划。")
    return plan


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
    plan, as_of, filters = _plan(), _as_of(), _filters()
    if plan is None:
        return render_template("dashboards/no_plan.html")
    filters = with_lights_judged(plan.id, as_of, filters)
    view = {
        "counts": overview.state_counts(plan.id, as_of, filters),
        "totals": overview.totals(plan.id, as_of, filters),
        "sections": overview.section_progress(plan.id, as_of, filters),
        "units": overview.unit_progress(plan.id, as_of, filters),
        "overdue": lists.overdue(plan.id, as_of, filters, limit=LIST_LIMIT),
        "due_soon": lists.due_soon(plan.id, as_of, filters, limit=LIST_LIMIT),
        "returned": lists.returned(plan.id, as_of, filters),
        "targets": targets.target_progress(plan.id, as_of, filters),
        "weeks": targets.weekly_completions(plan.id, as_of, filters),
    }
    return render_template("dashboards/supervision.html", plan=plan, as_of=as_of, filters=filters, charts=charts,
                           section_choices=overview.section_choices(plan.id),
                           unit_choices=overview.unit_choices(plan.id), states=list(TaskState),
                           list_limit=LIST_LIMIT, **view)


@bp.route("/leader")
@roles(*READERS)
def leader() -> str:
    """The leaders' one screen: lights per section, the most overdue items, units ranked by on-time rate."""
    plan, as_of = _plan(), _as_of()
    if plan is None:
        return render_template("dashboards/no_plan.html")
    # A leader with 分管 units sees them first; ?scope=all switches to the whole bureau.
    mine = accounts.units_in_charge(current_user) if current_user.has_role(Role.LEADER) else []
    whole = request.args.get("scope") == "all" or not mine
    filters = Filters() if whole else Filters(unit_ids=tuple(mine))
    sections = overview.section_progress(plan.id, as_of, filters)
    section_lights = lighting.lights_by_section(plan.id, as_of, filters)
    return render_template(
        "dashboards/leader.html", plan=plan, as_of=as_of, charts=charts,
        totals=overview.totals(plan.id, as_of, filters),
        sections=sections, section_lights=[section_lights.get(s.id, {}) for s in sections],
        overdue=lists.overdue(plan.id, as_of, filters, limit=LEADER_OVERDUE_COUNT),
        units=overview.units_by_on_time_rate(plan.id, as_of, filters), whole=whole,
        my_units=db.session.scalars(select(Unit.name).where(Unit.id.in_(mine)).order_by(Unit.id)).all(),
        instructions=discussion.issued_by(current_user))


@bp.route("/units/<int:unit_id>")
@signed_in
def unit(unit_id: int) -> str:
    """One unit's tasks (lead and cooperating), milestones, lights and score."""
    unit = db.get_or_404(Unit, unit_id)
    ensure_may_view(current_user, unit)
    plan, as_of = _plan(), _as_of()
    if plan is None:
        return render_template("dashboards/no_plan.html")
    return render_template("dashboards/unit.html", plan=plan, as_of=as_of, view=unit_overview(plan.id, unit, as_of),
                           score=unit_score(plan.id, unit.id, as_of))


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
    """Download the 督查台账, the 督查通报 or the assessment scores of a plan, as of a day.

    A large plan's document is prepared in the background: the answer is its progress page.
    """
    plan, as_of = _plan(), _as_of()
    if plan is None:
        raise NotFound("尚无工作计划,无法导出。")
    if jobs.is_large(plan):
        job = jobs.request_document(kind, plan, as_of, current_user)
        jobs.start(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
        return redirect(url_for("dashboards.export_job", job_id=job.id))
    document = exports.build_document(kind, plan, as_of, filters=_filters() if kind == "ledger" else None)
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
