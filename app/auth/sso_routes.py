"""统一身份认证: sign-in through OpenID Connect or CAS, the 待分配 page, and the provider's logout.

The providers' protocols live in app/auth/oidc.py and app/auth/cas.py, who signs in as whom in
app/services/infrastructure/external_accounts.py. A refused sign-in goes back to the sign-in page
with the reason; nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from app.access import public, signed_in
from app.auth import bp, cas, oidc
from app.errors import on_refusal
from app.models import User
from app.security import safe_next
from app.services.infrastructure import external_accounts
from app.services.infrastructure.external_accounts import ExternalSignInRefused

#: Session keys: where to go after signing in, the CAS sign-in this browser started, and how it signed in.
_NEXT = "sso_next"
_CAS_PENDING = "sso_cas_pending"
_PROVIDER = "sso_provider"
_ID_TOKEN = "sso_id_token"
_LOGOUT_OFFER = "sso_logout_url"
#: Longest CAS ticket accepted (the protocol promises at most 256 characters).
MAX_TICKET_LENGTH = 256


@dataclass(frozen=True)
class SignInOption:
    """A provider's button on the sign-in page."""

    provider: str
    label: str
    url: str


def sign_in_options(next_url: str | None) -> list[SignInOption]:
    """The configured providers, in the order OpenID Connect, CAS."""
    config = current_app.config
    options = []
    target = safe_next(next_url, "") or None
    if oidc.configured():
        options.append(SignInOption(oidc.PROVIDER, config["OIDC_LABEL"],
                                    url_for("auth.sso_start", provider=oidc.PROVIDER, next=target)))
    if cas.configured():
        options.append(SignInOption(cas.PROVIDER, config["CAS_LABEL"],
                                    url_for("auth.sso_start", provider=cas.PROVIDER, next=target)))
    return options


@bp.route("/sso/<provider>/start")
@public
def sso_start(provider: str) -> Response:
    """Send the browser to the provider's sign-in (a link, so the page's form-action policy is not involved)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    on_refusal(redirect_to=url_for("auth.login"))
    session[_NEXT] = safe_next(request.args.get("next"), "")
    if provider == oidc.PROVIDER and oidc.configured():
        return oidc.start(url_for("auth.oidc_callback", _external=True))
    if provider == cas.PROVIDER and cas.configured():
        session[_CAS_PENDING] = True
        return redirect(cas.login_url(_cas_service()))
    raise _not_offered()


@bp.route("/sso/oidc/callback")
@public
def oidc_callback() -> Response:
    """The provider's answer: state and nonce checked, then the user matched (or created 待分配)."""
    on_refusal(redirect_to=url_for("auth.login"))
    if not oidc.configured():
        raise _not_offered()
    identity, id_token = oidc.finish()
    user = external_accounts.sign_in(identity, current_app.config["OIDC_CREATE_USERS"])
    return _signed_in(user, oidc.PROVIDER, id_token)


@bp.route("/sso/cas/callback")
@public
def cas_callback() -> Response:
    """The CAS server's ticket, accepted only by the browser that started this sign-in, and validated once."""
    on_refusal(redirect_to=url_for("auth.login"))
    if not cas.configured():
        raise _not_offered()
    started = session.pop(_CAS_PENDING, False)
    ticket = request.args.get("ticket", "")
    if not started:
        raise ExternalSignInRefused("登录请求已失效,请重新点击“统一身份认证登录”。")
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        raise ExternalSignInRefused("统一身份认证未返回有效的登录票据,请重新登录。")
    identity = cas.validate(ticket, _cas_service())
    user = external_accounts.sign_in(identity, current_app.config["CAS_CREATE_USERS"])
    return _signed_in(user, cas.PROVIDER, None)


def _not_offered() -> ExternalSignInRefused:
    return ExternalSignInRefused("本系统未启用这种统一身份认证方式,请使用本系统账户登录。")


def _cas_service() -> str:
    """The service URL registered at the CAS server; login and validation must name the same one."""
    return url_for("auth.cas_callback", _external=True)


def _signed_in(user: User, provider: str, id_token: str | None) -> Response:
    """Sign the browser in as a local sign-in does, remembering the provider for logout."""
    target = session.pop(_NEXT, "") or ""
    login_user(user)
    session[_PROVIDER] = provider
    if id_token:
        session[_ID_TOKEN] = id_token
    flash(f"欢迎,{user.display_name}。", "success")
    return redirect(safe_next(target, url_for("main.index")))


def remember_provider_logout() -> None:
    """After the local sign-out: offer the provider's logout on the sign-in page (the provider's session
    would otherwise sign the user straight back in)."""
    provider = session.pop(_PROVIDER, None)
    id_token = session.pop(_ID_TOKEN, None)
    back = url_for("auth.login", _external=True)
    url = None
    if provider == oidc.PROVIDER and oidc.configured():
        url = oidc.logout_url(back, id_token)
    elif provider == cas.PROVIDER and cas.configured():
        url = cas.logout_url(back)
    if url:
        session[_LOGOUT_OFFER] = url


def provider_logout_offer() -> str | None:
    """The provider logout to offer once, on the sign-in page after signing out."""
    return session.pop(_LOGOUT_OFFER, None)


@bp.route("/pending")
@signed_in
def pending() -> str | Response:
    """待分配: a user created by 统一身份认证 waits for an administrator to assign a unit and roles."""
    if not current_user.awaiting_assignment:
        return redirect(url_for("main.index"))
    return render_template("auth/pending.html")
