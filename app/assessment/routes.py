"""Views of the assessment blueprint."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles, signed_in
from app.assessment import bp
from app.assessment.forms import AppealDecisionForm, AppealForm, PolicyForm
from app.errors import on_refusal
from app.exports import jobs
from app.extensions import db
from app.fields import as_of_day
from app.models import Appeal, AppealStatus, ExportStatus, Plan, PlanTask, Role, ScoringPolicyVersion, Unit
from app.scope_selector import requested_scope, scope_links
from app.services.dashboards.facts import beijing_today
from app.services.infrastructure import visibility
from app.services.scoring import appeals, assessment, scoring_policy
from app.uploads import upload_policy, uploads

READERS = (Role.SUPERVISOR, Role.LEADER, Role.ADMIN)


@bp.route("/assessment")
@roles(*READERS)
def combined() -> str:
    """考核评分 over every active plan and item (or the plan or source the selector names) as of a day."""
    scope, as_of = requested_scope(), _as_of()
    return render_template("assessment/combined.html", scope=scope, as_of=as_of,
                           scope_links=scope_links(scope, as_of=request.args.get("as_of")),
                           scores=assessment.unit_scores(scope.plan_ids, as_of))


@bp.route("/plans/<int:plan_id>/assessment")
@roles(*READERS)
def overview(plan_id: int) -> str | Response:
    """考核评分: the plan's units ranked by annual score as of a day (a large plan's computed in the background)."""
    plan, as_of = _visible_plan(plan_id), _as_of()
    moment = assessment.moment_of(as_of)
    version = scoring_policy.version_in_force(plan.id, moment) if moment else scoring_policy.current_version(plan.id)
    page = partial(render_template, "assessment/overview.html", plan=plan, as_of=as_of, version=version)
    if not jobs.is_large(plan):
        return page(scores=assessment.unit_scores(plan.id, as_of))
    job = None if request.args.get("refresh") else jobs.latest_scores(plan, as_of, current_user)
    if job is None or jobs.is_stalled(job):
        job = jobs.request_document(jobs.SCORES, plan, as_of, current_user)
        jobs.start(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
        return redirect(url_for("assessment.overview", plan_id=plan.id, as_of=request.args.get("as_of")))
    if job.status is not ExportStatus.READY:
        return render_template("assessment/computing.html", plan=plan, job=job)
    return page(scores=jobs.scores_of(job), computed_at=job.updated_at)


@bp.route("/plans/<int:plan_id>/assessment/units/<int:unit_id>")
@signed_in
def unit(plan_id: int, unit_id: int) -> str:
    """How a unit's score was reached: every task, every line, every event; its appeals, open and decided.
    The unit's own liaison or head sees it too, and may appeal a line of today's score."""
    plan = _visible_plan(plan_id)
    db.get_or_404(Unit, unit_id)
    appeals.ensure_may_view(current_user, unit_id)
    as_of = _as_of()
    unit_appeals = appeals.of_unit(plan.id, unit_id)
    return render_template("assessment/unit.html", plan=plan, appeals=unit_appeals,
                           explanation=assessment.explain_unit(plan.id, unit_id, as_of),
                           appealing=appeals.may_appeal(current_user, unit_id) and as_of == beijing_today(),
                           appealed={(a.plan_task_id, a.category, a.event_kind, a.event_id): a
                                     for a in unit_appeals if a.status is AppealStatus.OPEN})


@bp.route("/plans/<int:plan_id>/assessment/units/<int:unit_id>/appeal", methods=["GET", "POST"])
@roles(*appeals.APPELLANT_ROLES)
def appeal(plan_id: int, unit_id: int) -> str | Response:
    """申诉 against one line of the unit's score on a task (named by ``task``, ``category``, ``kind``, ``event``)."""
    if not appeals.may_appeal(current_user, unit_id):
        abort(403)
    task, key = _line_named(plan_id)
    back = url_for("assessment.unit", plan_id=plan_id, unit_id=unit_id)
    on_refusal(back)
    found = appeals.line_of(task, unit_id, key)
    form = AppealForm()
    if request.method == "GET":
        form.seen_points.data = str(found.line.points)
    page = partial(render_template, "assessment/appeal.html", plan=task.plan, unit_id=unit_id, found=found,
                   form=form, today=beijing_today(), open_appeal=appeals.open_appeal(task.id, unit_id, key))
    if not form.validate_on_submit():
        return page()
    on_refusal(back, field=form.reason, render=page)
    filed = appeals.file(task, unit_id, key, _decimal(form.seen_points.data), form.reason.data, uploads(),
                         upload_policy(), current_user)
    flash(f"申诉 #{filed.id} 已提交,请等待督审处处理。", "success")
    return redirect(back + "#appeals")


def _line_named(plan_id: int) -> tuple[PlanTask, tuple[str, str, int]]:
    """The task and line key the query string names (404 for a task of another plan or a malformed key)."""
    task_id, event = request.args.get("task", type=int), request.args.get("event", type=int)
    category, kind = request.args.get("category"), request.args.get("kind")
    task = db.session.get(PlanTask, task_id) if task_id is not None else None
    if task is None or task.plan_id != plan_id or not category or not kind or event is None:
        abort(404)
    return task, (category, kind, event)


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value or "")
    except InvalidOperation:
        return None


@bp.route("/appeals")
@roles(Role.SUPERVISOR)
def appeals_waiting() -> str:
    """评分申诉: the appeals waiting for 督审处."""
    bureau = visibility.organisation_id_of(current_user) or 0
    return render_template("assessment/appeals.html", appeals=appeals.waiting(bureau))


@bp.route("/appeals/<int:appeal_id>", methods=["GET", "POST"])
@signed_in
def appeal_detail(appeal_id: int) -> str | Response:
    """One appeal: the line, the reason and evidence, the decision; 督审处 decides it here."""
    item = db.get_or_404(Appeal, appeal_id)
    appeals.ensure_may_view(current_user, item.unit_id)
    form = AppealDecisionForm()
    page = partial(render_template, "assessment/appeal_detail.html", appeal=item, form=form,
                   evidence=appeals.evidence(item), deciding=appeals.may_decide(current_user, item))
    if not form.validate_on_submit():
        return page()
    here = url_for("assessment.appeal_detail", appeal_id=item.id)
    if form.reject.data:
        on_refusal(here, field=form.note, render=page)
        appeals.reject(item, form.note.data, current_user)
    else:
        on_refusal(here, field=form.adjusted_points, render=page)
        appeals.accept(item, form.adjusted_points.data, form.note.data, current_user)
    flash(f"申诉 #{item.id} {item.status.label}。", "success")
    return redirect(url_for("assessment.appeals_waiting"))


def _visible_plan(plan_id: int) -> Plan:
    """The plan, when it is the user's bureau's or one below it."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_can_view_organisation(current_user, plan.organisation_id)
    return plan


def _as_of() -> date:
    return as_of_day(request.args.get("as_of"), beijing_today())


@bp.route("/plans/<int:plan_id>/scoring-policy", methods=["GET", "POST"])
@roles(Role.SUPERVISOR, Role.ADMIN)
def policy(plan_id: int) -> str | Response:
    """评分规则: edit the plan's policy as TOML; each save is a new version."""
    plan = db.get_or_404(Plan, plan_id)
    visibility.ensure_own_organisation(current_user, plan.organisation_id)
    current = scoring_policy.current_version(plan.id)
    form = PolicyForm(text=scoring_policy.policy_text(plan.id), based_on=current.version if current else 0)
    page = partial(_policy_page, plan, form, current)
    if not form.validate_on_submit():
        return page()
    on_refusal(field=form.text, render=page)
    saved = scoring_policy.save_policy(plan, form.text.data, form.note.data, _int(form.based_on.data),
                                       current_user)
    flash(f"评分规则已保存为第 {saved.version} 版;已办结任务的得分保持不变,未办结任务的暂评按新规则计算。", "success")
    return redirect(url_for("assessment.policy", plan_id=plan.id))


def _policy_page(plan: Plan, form: PolicyForm, current: ScoringPolicyVersion | None) -> str:
    return render_template("assessment/policy.html", plan=plan, form=form, current=current,
                           versions=scoring_policy.versions(plan.id))


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else -1
