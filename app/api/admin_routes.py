"""Views of the API for administrators: the users and the unit directory (tokens need the admin scope)."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.access import roles
from app.api import bp
from app.api.auth import needs_scope
from app.api.serialize import unit_ref, when
from app.extensions import db
from app.models import Role, Unit, User
from app.services.infrastructure.api_tokens import ADMIN


def user_json(user: User) -> dict[str, Any]:
    """A user as the 用户管理 page lists it (never the password hash)."""
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "email": user.email,
            "unit": unit_ref(user.unit), "roles": sorted(role.value for role in user.roles), "active": user.active,
            "last_login_at": when(user.last_login_at), "created_at": when(user.created_at)}


def unit_json(unit: Unit) -> dict[str, Any]:
    """A unit of the directory with its aliases (the names plans may use for it)."""
    return {"id": unit.id, "name": unit.name, "full_name": unit.full_name, "code": unit.code,
            "kind": unit.kind.value, "kind_label": unit.kind.label, "active": unit.active,
            "requires_head_signoff": unit.requires_head_signoff, "aliases": [a.name for a in unit.aliases]}


@bp.get("/users")
@roles(Role.ADMIN)
@needs_scope(ADMIN)
def users() -> Response:
    """Every user with unit, roles and state (administrators)."""
    return jsonify(users=[user_json(u) for u in db.session.scalars(select(User).order_by(User.id))])


@bp.get("/units")
@roles(Role.ADMIN)
@needs_scope(ADMIN)
def units() -> Response:
    """The unit directory with kinds and aliases (administrators)."""
    return jsonify(units=[unit_json(u) for u in db.session.scalars(select(Unit).order_by(Unit.kind, Unit.id))])
