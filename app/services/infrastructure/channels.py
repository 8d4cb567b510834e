"""Notice channels behind one interface: SMS through the bureau's HTTP gateway and group robots
(企业微信/政务微信, 钉钉). No database here: the outbox (channel_outbox.py) decides what to send.

The web page (通知) and e-mail (mail.py, its own outbox) are the other two channels.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.models import ChannelName, RobotKind


class ChannelError(Exception):
    """The message did not go out; ``unreachable`` when the other end could not be reached at all."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass(frozen=True)
class Message:
    """What a notice says, for any channel."""

    address: str
    category: str
    title: str
    body: str
    url: str
    late: bool = False


class Channel(Protocol):
    """One way of reaching people: ``send`` raises ChannelError when the message did not go out."""

    name: ChannelName

    def send(self, message: Message) -> None: ...


def hmac_sha256(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> bytes:
    """POST ``body`` as JSON; the response body on 2xx.

    :raises ChannelError: refused (non-2xx) or not reached (``unreachable``).
    """
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        raise ChannelError(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ChannelError(f"{type(error).__name__}: {error}", unreachable=True) from error


def sms_templates(config: Mapping[str, Any]) -> dict[str, str]:
    """SMS_TEMPLATES ("report_returned=SMS_1001,overdue=SMS_1002") as notice kind → template id."""
    pairs = (part.split("=", 1) for part in (config.get("SMS_TEMPLATES") or "").replace(";", ",").split(","))
    return {kind.strip(): template.strip() for kind, template in (p for p in pairs if len(p) == 2)
            if kind.strip() and template.strip()}


def sms_headers(app_key: str, app_secret: str, body: bytes, timestamp: str, nonce: str) -> dict[str, str]:
    """The gateway's signature: hex HMAC-SHA256 with the app secret over timestamp + nonce + body."""
    signature = hmac.new(app_secret.encode(), timestamp.encode() + nonce.encode() + body, hashlib.sha256)
    return {"X-App-Key": app_key, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature.hexdigest()}


class SmsChannel:
    """SMS through an HTTP gateway: one signed JSON request per message, its template chosen by notice kind."""

    name = ChannelName.SMS

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.templates = sms_templates(config)

    def send(self, message: Message) -> None:
        template = self.templates.get(message.category)
        if template is None:
            raise ChannelError(f"no SMS template for {message.category}")
        late = "(补发)" if message.late else ""
        body = json.dumps({"phone": message.address, "template_id": template, "sign_name": self.config["SMS_SIGN_NAME"],
                           "params": {"title": message.title[:60] + late, "url": message.url}},
                          ensure_ascii=False).encode()
        headers = sms_headers(self.config["SMS_APP_KEY"] or "", self.config["SMS_APP_SECRET"] or "", body,
                              str(int(time.time())), secrets.token_hex(8))
        post_json(self.config["SMS_GATEWAY_URL"], body, headers, self.config["CHANNEL_TIMEOUT_SECONDS"])


def markdown(message: Message) -> str:
    """The robot's post: the title in bold, the text, the link."""
    late = "\n\n(本通知因系统暂停未能按时发出,现予补发。)" if message.late else ""
    return f"**{message.title}**\n\n{message.body}\n\n[查看详情]({message.url}){late}"


def dingtalk_url(webhook_url: str, secret: str | None, timestamp_ms: int) -> str:
    """钉钉's 加签: ``timestamp`` and ``sign`` = url-encoded base64 HMAC-SHA256 of "timestamp\\nsecret"."""
    if not secret:
        return webhook_url
    sign = base64.b64encode(hmac_sha256(secret, f"{timestamp_ms}\n{secret}".encode())).decode()
    separator = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{separator}timestamp={timestamp_ms}&sign={urllib.parse.quote_plus(sign)}"


class RobotChannel:
    """A unit's group robot; the robot answers {"errcode": 0} when it took the message."""

    name = ChannelName.ROBOT

    def __init__(self, kind: RobotKind, webhook_url: str, secret: str | None, timeout: float) -> None:
        self.kind, self.webhook_url, self.secret, self.timeout = kind, webhook_url, secret, timeout

    def send(self, message: Message) -> None:
        text = markdown(message)
        if self.kind is RobotKind.DINGTALK:
            url = dingtalk_url(self.webhook_url, self.secret, int(time.time() * 1000))
            payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        else:
            url = self.webhook_url
            payload = {"msgtype": "markdown", "markdown": {"content": text}}
        answer = post_json(url, json.dumps(payload, ensure_ascii=False).encode(), {}, self.timeout)
        try:
            errcode = json.loads(answer or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            errcode = "unreadable answer"
        if errcode != 0:
            raise ChannelError(f"robot refused: errcode {errcode}")
