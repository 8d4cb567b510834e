"""CAS 2.0/3.0 as a client: the login URL, ticket validation, and the validation answer read safely.

The XML comes from the network: it is parsed without DTDs, entities or network access, so an
answer cannot read files or expand into gigabytes.
"""
from __future__ import annotations

from urllib.parse import urlencode

import requests
from flask import current_app
from lxml import etree

from app.services.infrastructure.external_accounts import ExternalIdentity, ExternalSignInRefused

CAS_NAMESPACE = "http://www.yale.edu/tp/cas"
_NS = {"cas": CAS_NAMESPACE}
#: Largest validation answer read; real ones are a few kilobytes.
MAX_ANSWER_BYTES = 256 * 1024
PROVIDER = "cas"


def configured() -> bool:
    """True when CAS_SERVER_URL is set."""
    return bool(current_app.config.get("CAS_SERVER_URL"))


def _server() -> str:
    return str(current_app.config["CAS_SERVER_URL"]).rstrip("/")


def login_url(service: str) -> str:
    """Where the browser signs in at the CAS server, coming back to ``service`` with a ticket."""
    return f"{_server()}/login?{urlencode({'service': service})}"


def logout_url(service: str) -> str:
    """The CAS server's logout, returning to ``service`` (CAS 3.0; 2.0 servers read ``url``)."""
    return f"{_server()}/logout?{urlencode({'service': service, 'url': service})}"


def validate(ticket: str, service: str) -> ExternalIdentity:
    """Ask the CAS server who ``ticket`` (issued for ``service``) signs in; the server honours a ticket once.

    :raises ExternalSignInRefused: the server is unreachable, refuses the ticket, or answers nonsense.
    """
    path = "/p3/serviceValidate" if int(current_app.config["CAS_VERSION"]) >= 3 else "/serviceValidate"
    try:
        answer = requests.get(
            _server() + path, params={"service": service, "ticket": ticket},
            timeout=current_app.config["SSO_TIMEOUT_SECONDS"], allow_redirects=False, stream=True,
        )
        body = answer.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
        answer.close()
    except requests.RequestException as error:
        current_app.logger.warning("CAS validation failed: %r", error)
        raise ExternalSignInRefused("无法连接统一身份认证服务器,请稍后再试。") from error
    if answer.status_code != 200 or len(body) > MAX_ANSWER_BYTES:
        raise ExternalSignInRefused("统一身份认证服务器没有确认本次登录,请重新登录。")
    return parse_validation(body)


def parse_validation(body: bytes) -> ExternalIdentity:
    """The identity in a serviceValidate answer (CAS 2.0, or 3.0 with attributes).

    :raises ExternalSignInRefused: a failure answer, or anything but a well-formed success.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise ExternalSignInRefused("统一身份认证服务器的应答无法识别,请重新登录。") from error
    failure = root.find("cas:authenticationFailure", _NS)
    if failure is not None:
        current_app.logger.info("CAS refused a ticket: %s", failure.get("code"))
        raise ExternalSignInRefused("登录票据无效或已使用,请重新登录。")
    success = root.find("cas:authenticationSuccess", _NS)
    user = success.findtext("cas:user", default="", namespaces=_NS).strip() if success is not None else ""
    if not user:
        raise ExternalSignInRefused("统一身份认证服务器的应答无法识别,请重新登录。")
    attributes = _attributes(success)
    name_attribute = current_app.config.get("CAS_USERNAME_ATTRIBUTE")
    display_attribute = current_app.config.get("CAS_DISPLAY_NAME_ATTRIBUTE")
    return ExternalIdentity(
        provider=PROVIDER,
        subject=user,
        username=(attributes.get(name_attribute) if name_attribute else None) or user,  # CAS 2.0: no attributes
        display_name=attributes.get(display_attribute) if display_attribute else None,
        email=attributes.get("mail") or attributes.get("email"),
    )


def _attributes(success: etree._Element | None) -> dict[str, str]:
    """The first value of each CAS 3.0 attribute (<cas:attributes><cas:name>value</cas:name>…)."""
    block = success.find("cas:attributes", _NS) if success is not None else None
    if block is None:
        return {}
    found: dict[str, str] = {}
    for element in block:
        if isinstance(element.tag, str) and element.tag.startswith("{" + CAS_NAMESPACE + "}"):
            found.setdefault(etree.QName(element).localname, (element.text or "").strip())
    return found
