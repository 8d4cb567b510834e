"""The plan/source selector of the dashboards, the unit pages and the assessment: read from and kept in the URL.

``?plan=3`` narrows a page to one plan (or one registered item), ``?source=leader_instruction`` to every item of
that source; without either a page covers every active plan and item of the user's organisation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask_login import current_user

from app.errors import NotFound
from app.fields import MAX_ID
from app.services.infrastructure import visibility
from app.services.plans import directory, plan_scope


@dataclass(frozen=True)
class ScopeLink:
    """One option of the selector: a link to the same page narrowed to a plan or a source."""

    url: str
    label: str
    current: bool


def requested_scope(organisation_id: int | None = None) -> plan_scope.Scope:
    """The scope the query string names (``plan``, or ``plan_id`` as older links write it, or ``source``), in
    ``organisation_id``, else the bureau ``org`` names (a city the user sees from above), else the user's own.

    :raises NotFound: the plan does not exist or is another organisation's.
    :raises ValidationFailed: the source is unknown.
    :raises PermissionDenied: ``org`` names a bureau the user may not see.
    """
    plan_id = request.args.get("plan", type=int)
    if plan_id is None:
        plan_id = request.args.get("plan_id", type=int)
    if plan_id is not None and abs(plan_id) > MAX_ID:
        raise NotFound("找不到该工作计划或督办事项。")
    if organisation_id is None:
        organisation_id = request.args.get("org", type=int)
        if organisation_id is not None:
            visibility.ensure_can_view_organisation(current_user, organisation_id)
    if organisation_id is None:
        organisation_id = directory.home_organisation(current_user).id
    return plan_scope.resolve(organisation_id, plan_id, request.args.get("source") or None)


def scope_links(scope: plan_scope.Scope, **keep: Any) -> list[ScopeLink]:
    """The selector's options as links to this page, keeping its path arguments and ``keep`` (e.g. as_of)."""
    here: dict[str, Any] = {**(request.view_args or {}), **keep}
    if "org" in request.args:
        here["org"] = scope.organisation.id
    return [ScopeLink(url_for(request.endpoint or "", **{**here, **args}), label, args == scope.args)
            for args, label in plan_scope.choices(scope.organisation.id)]
