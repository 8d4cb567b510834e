"""Views of the API for the caller's own tokens: list, issue (signed-in session only), revoke."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import signed_in
from app.api import bp
from app.api.auth import token_authenticated
from app.api.form_data import json_body
from app.api.serialize import when
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import ApiToken
from app.services.infrastructure import api_tokens


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token's record; never the token itself."""
    return {"id": token.id, "name": token.name, "user_id": token.user_id, "created_at": when(token.created_at),
            "last_used_at": when(token.last_used_at), "revoked_at": when(token.revoked_at),
            "scopes": token.scopes.split()}


@bp.get("/tokens")
@signed_in
def list_tokens() -> Response:
    """The caller's tokens (revoked ones included)."""
    return jsonify(tokens=[token_json(t) for t in api_tokens.tokens_of(current_user)])


@bp.post("/tokens")
@signed_in
def issue_token() -> tuple[Response, int]:
    """Issue a token for the caller; the answer is the only time the token is shown.

    :raises PermissionDenied: called with a token (a leaked token must not mint more).
    """
    if token_authenticated():
        raise PermissionDenied("请在登录会话中签发令牌,不能用令牌签发新令牌。")
    body = json_body()
    scopes = body.get("scopes")
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise ValidationFailed("scopes 应为权限范围的列表,如 [\"read\"]。")
    issued = api_tokens.issue_token(current_user, body.get("name"), current_user, scopes)
    return jsonify({**token_json(issued.token), "token": issued.secret}), 201


@bp.delete("/tokens/<int:token_id>")
@signed_in
def revoke_token(token_id: int) -> Response:
    """Revoke one of the caller's tokens (an administrator may revoke anyone's)."""
    token = api_tokens.revoke_token(db.get_or_404(ApiToken, token_id), current_user)
    return jsonify(token_json(token))
