"""Who may call which view: a rule on every view, checked before every request.

A view without a rule is refused (fail closed), and the route-matrix test
fails, so a new route cannot slip through unguarded. The JSON API answers an
anonymous request with 401 instead of sending it to the login page.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import AnonymousUserMixin, current_user

from app.errors import wants_json
from app.extensions import login_manager
from app.models import Role, User

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class AccessRule:
    """Public, or signed-in with any of ``roles`` (empty: any signed-in user)."""

    public: bool = False
    roles: frozenset[Role] = frozenset()


def _attach(rule: AccessRule) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Anyone may call the view, signed in or not."""
    return _attach(AccessRule(public=True))(view)


def signed_in(view: F) -> F:
    """Any signed-in user may call the view; unit checks happen in the service."""
    return _attach(AccessRule())(view)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only signed-in users holding one of ``allowed`` may call the view."""
    return _attach(AccessRule(roles=frozenset(allowed)))


def rule_for_endpoint(endpoint: str) -> AccessRule | None:
    """The rule of an endpoint; Flask's static files are public."""
    if endpoint == "static":
        return AccessRule(public=True)
    view = current_app.view_functions[endpoint]
    return getattr(view, "access_rule", None)


def may_call(user: User | AnonymousUserMixin, endpoint: str) -> bool:
    """True when the endpoint's rule admits ``user``: what enforce_access lets through, asked by links and
    buttons before they show (a view without a rule admits nobody)."""
    rule = rule_for_endpoint(endpoint)
    if rule is None:
        return False
    if rule.public:
        return True
    return bool(user.is_authenticated) and (not rule.roles or user.has_role(*rule.roles))


def current_user_may_call(endpoint: str) -> bool:
    """``may_call`` for the signed-in user; templates ask it as ``may_call(endpoint)``."""
    return may_call(current_user, endpoint)


def enforce_access() -> ResponseReturnValue | None:
    """before_request hook: refuse the request unless the endpoint's rule allows it."""
    if request.endpoint is None:
        return None  # no route matched: Flask answers 404 (or 405) itself
    rule = rule_for_endpoint(request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule; refused", request.endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        return login_manager.unauthorized()
    if not may_call(current_user, request.endpoint):
        abort(403)
    return None
