"""Real HTTP receivers on 127.0.0.1 for the notice channels and webhooks: an SMS gateway, 企业微信 and 钉钉
group robots and a webhook consumer, each checking the signature the way the real one does."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SMS_KEY, SMS_SECRET = "duban-app", "sms-secret-0123456789"
DINGTALK_SECRET = "SEC0123456789abcdef"
HOOK_SECRET = "hook-secret-0123456789"


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]
    signed: bool


@dataclass
class Receivers:
    """What arrived, by path (/sms, /wecom, /dingtalk, /hook)."""

    port: int
    received: list[Received] = field(default_factory=list)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sms_signed(headers: dict[str, str], raw: bytes) -> bool:
    expected = hmac.new(SMS_SECRET.encode(), (headers.get("X-Timestamp", "") + headers.get("X-Nonce", "")).encode()
                        + raw, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(headers.get("X-Timestamp", "0"))) < 300
    signature = headers.get("X-Signature", "")
    return headers.get("X-App-Key") == SMS_KEY and fresh and hmac.compare_digest(expected, signature)


def _dingtalk_signed(query: dict[str, list[str]]) -> bool:
    timestamp = query.get("timestamp", [""])[0]
    string_to_sign = f"{timestamp}\n{DINGTALK_SECRET}".encode()
    expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    return bool(timestamp) and abs(time.time() * 1000 - int(timestamp)) < 3600_000 \
        and query.get("sign", [""])[0] == expected


def _hook_signed(headers: dict[str, str], raw: bytes) -> bool:
    timestamp = headers.get("X-Duban-Timestamp", "")
    expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-Duban-Signature", ""))


@contextmanager
def serving(receivers: Receivers) -> Iterator[Receivers]:
    """Listen on ``receivers.port`` until the block ends; an unsigned request is answered as the real ones do."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            query = parse_qs(parts.query)
            signed = {"/sms": lambda: _sms_signed(headers, raw), "/wecom": lambda: query.get("key") == ["robot-key"],
                      "/dingtalk": lambda: _dingtalk_signed(query),
                      "/hook": lambda: _hook_signed(headers, raw)}[parts.path]()
            receivers.received.append(Received(parts.path, query, headers, json.loads(raw), signed))
            if parts.path in ("/wecom", "/dingtalk"):  # robots answer 200 with an error code
                self._answer(200, {"errcode": 0 if signed else 310000, "errmsg": "ok" if signed else "sign not match"})
            else:
                self._answer(200 if signed else 401, {"code": "OK" if signed else "BadSignature"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receivers.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receivers
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
