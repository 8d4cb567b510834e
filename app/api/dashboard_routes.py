"""The figures of the 督查看板 as JSON, from the same dashboard services, stamped with the day they are as of."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from app.access import roles
from app.api import bp
from app.dashboards.routes import READERS
from app.fields import as_of_day
from app.scope_selector import requested_scope
from app.services.dashboards import overview
from app.services.dashboards.facts import TaskState, beijing_today


def rates_json(row: overview.Totals | overview.Progress) -> dict[str, Any]:
    """A row of milestone counts with its two rates (percent, or null when nothing counts yet)."""
    return {**asdict(row), "percent_done": row.percent_done, "on_time_rate": row.on_time_rate}


@bp.get("/dashboard")
@roles(*READERS)
def dashboard() -> Response:
    """Totals, task states, progress by section and by unit of the plans and items in scope, as of a day."""
    scope = requested_scope()
    as_of = as_of_day(request.args.get("as_of"), beijing_today())
    plan_ids = scope.plan_ids
    if scope.empty:
        return jsonify(as_of=as_of.isoformat(), plan_ids=[], totals=None, states=[], sections=[], units=[])
    counts = overview.state_counts(plan_ids, as_of)
    return jsonify(
        as_of=as_of.isoformat(), plan_ids=list(plan_ids), totals=rates_json(overview.totals(plan_ids, as_of)),
        states=[{"state": state.value, "label": state.label, "count": counts.get(state, 0)} for state in TaskState],
        sections=[rates_json(row) for row in overview.section_progress(plan_ids, as_of)],
        units=[rates_json(row) for row in overview.unit_progress(plan_ids, as_of)])
