"""OpenID Connect as a client, through Authlib: authorization code with PKCE, state and nonce checked.

One Authlib client per app (the settings are the app's); the provider's discovery document is read
on first use and kept.
"""
from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from app.services.infrastructure.external_accounts import ExternalIdentity, ExternalSignInRefused

PROVIDER = "oidc"
_EXTENSION = "duban_oidc"
_DISCOVERY = "/.well-known/openid-configuration"


def configured() -> bool:
    """True when an issuer (or discovery URL) and a client id are set."""
    config = current_app.config
    return bool((config.get("OIDC_ISSUER") or config.get("OIDC_DISCOVERY_URL")) and config.get("OIDC_CLIENT_ID"))


def _client() -> Any:
    """This app's Authlib client, registered on first use."""
    oauth = current_app.extensions.get(_EXTENSION)
    if oauth is None:
        config = current_app.config
        discovery = config.get("OIDC_DISCOVERY_URL") or str(config["OIDC_ISSUER"]).rstrip("/") + _DISCOVERY
        oauth = OAuth(current_app)
        oauth.register(
            PROVIDER,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config.get("OIDC_CLIENT_SECRET"),
            server_metadata_url=discovery,
            client_kwargs={
                "scope": config["OIDC_SCOPES"],
                "code_challenge_method": "S256",
                "default_timeout": config["SSO_TIMEOUT_SECONDS"],
            },
        )
        current_app.extensions[_EXTENSION] = oauth
    return oauth.create_client(PROVIDER)


def _unreachable(error: Exception) -> ExternalSignInRefused:
    current_app.logger.warning("OpenID Connect provider failed: %r", error)
    return ExternalSignInRefused("无法连接统一身份认证服务器,请稍后再试。")


def start(redirect_uri: str) -> Response:
    """Send the browser to the provider; the state and nonce wait in the session.

    :raises ExternalSignInRefused: the provider's discovery document cannot be read.
    """
    try:
        return _client().authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError, AuthlibBaseError) as error:
        raise _unreachable(error) from error


def finish() -> tuple[ExternalIdentity, str | None]:
    """The identity the provider's answer on this request vouches for, and its ID token (for logout).

    Authlib refuses a state this browser did not start (or already used), then checks the ID token's
    signature, issuer, audience, expiry and nonce.

    :raises ExternalSignInRefused: the user cancelled, the state or token is wrong, or the provider failed.
    """
    config = current_app.config
    try:
        client = _client()
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if config["OIDC_USERNAME_CLAIM"] not in claims and claims.get("sub"):
            # Code-flow ID tokens often carry only `sub`; the profile comes from the userinfo endpoint.
            profile = client.userinfo(token=token)
            if profile.get("sub") == claims["sub"]:
                claims = {**profile, **claims}
    except requests.RequestException as error:
        raise _unreachable(error) from error
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        current_app.logger.info("OpenID Connect sign-in refused: %r", error)
        raise ExternalSignInRefused("统一身份认证未能完成(登录请求已失效或被篡改),请重新登录。") from error
    username = claims.get(config["OIDC_USERNAME_CLAIM"])
    display_name = claims.get(config["OIDC_DISPLAY_NAME_CLAIM"]) if config.get("OIDC_DISPLAY_NAME_CLAIM") else None
    identity = ExternalIdentity(
        provider=PROVIDER,
        subject=str(claims.get("sub") or ""),
        username=str(username) if username is not None else None,
        display_name=str(display_name) if display_name is not None else None,
        email=str(claims["email"]) if claims.get("email") else None,
    )
    return identity, token.get("id_token")


def logout_url(post_logout_redirect_uri: str, id_token: str | None) -> str | None:
    """The provider's end_session_endpoint for this sign-in, or None when it offers none."""
    try:
        made = _client().create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token,
            client_id=current_app.config["OIDC_CLIENT_ID"],
        )
    except (requests.RequestException, RuntimeError, ValueError, AuthlibBaseError) as error:
        current_app.logger.warning("no OpenID Connect logout: %r", error)
        return None
    return str(made["url"])
