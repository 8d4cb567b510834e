"""The identity providers of the SSO tests, real servers on 127.0.0.1.

- ``OidcProvider``: the npm package oidc-provider (tests/sso/package.json, installed by scripts/test.sh),
  run by node. Without node or the package the tests skip, except under CI=true where they fail.
- ``CasServer``: a small CAS 2.0/3.0 server in Python: /login redirects back with a service ticket,
  /serviceValidate and /p3/serviceValidate answer the protocol's XML, and a ticket validates once.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

HERE = Path(__file__).resolve().parent
CLIENT_ID = "duban"
CLIENT_SECRET = "duban-test-secret-0123456789"
START_TIMEOUT_SECONDS = 30


def skip_or_fail(message: str) -> None:
    """Skip where node is missing; under CI the set-up must have installed it, so fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class OidcProvider:
    """A running oidc-provider: its issuer URL and the client registered for Duban."""

    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


@contextmanager
def oidc_provider(redirect_uris: list[str], post_logout_redirect_uris: list[str],
                  accounts: dict[str, dict[str, str]], claims_in_id_token: bool = False) -> Iterator[OidcProvider]:
    """Start oidc-provider on a free port of 127.0.0.1; ``accounts``: login -> claims, sent in the ID token
    or (oidc-provider's default) by the userinfo endpoint only."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        skip_or_fail("未找到 node 或 tests/sso/node_modules(scripts/test.sh 用 npm 安装),统一身份认证测试跳过")
    config = {
        "port": 0, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris, "accounts": accounts,
        "conform_id_token_claims": not claims_in_id_token,
    }
    process = subprocess.Popen(
        [str(node), str(HERE / "oidc_provider.mjs"), json.dumps(config)], cwd=HERE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        issuer = _wait_for_listening(process)
        yield OidcProvider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_for_listening(process: subprocess.Popen[str]) -> str:
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.startswith("listening "):
            found.append(line.split(" ", 1)[1].strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_SECONDS)
    if not found:
        raise RuntimeError("oidc-provider did not start")
    return found[0]


@dataclass
class CasServer:
    """A CAS server stub: who signs in at /login, the tickets it issued, and what it was asked."""

    users: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The login /login signs in (a real server asks for a password; the tests choose the person).
    signing_in: str | None = None
    tickets: dict[str, tuple[str, str]] = field(default_factory=dict)
    validations: list[str] = field(default_factory=list)
    url: str = ""

    def issue(self, service: str) -> str:
        """A new service ticket for ``signing_in`` at ``service``."""
        ticket = "ST-" + secrets.token_urlsafe(24)
        assert self.signing_in is not None
        self.tickets[ticket] = (service, self.signing_in)
        return ticket

    def answer(self, path: str, service: str, ticket: str) -> str:
        """The serviceValidate XML for ``ticket``; a ticket is consumed by its first validation."""
        self.validations.append(ticket)
        issued = self.tickets.pop(ticket, None)
        if issued is None:
            return _failure("INVALID_TICKET", f"Ticket {ticket} not recognized")
        if issued[0] != service:
            return _failure("INVALID_SERVICE", "Ticket was issued for another service")
        user = issued[1]
        attributes = ""
        if path.startswith("/p3/"):
            values = "".join(f"<cas:{name}>{escape(value)}</cas:{name}>"
                             for name, value in self.users.get(user, {}).items())
            attributes = f"<cas:attributes>{values}</cas:attributes>"
        return (f'<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>'
                f"<cas:user>{escape(user)}</cas:user>{attributes}</cas:authenticationSuccess></cas:serviceResponse>")


def _failure(code: str, text: str) -> str:
    return (f'<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
            f'<cas:authenticationFailure code="{code}">{escape(text)}</cas:authenticationFailure>'
            f"</cas:serviceResponse>")


@contextmanager
def cas_server() -> Iterator[CasServer]:
    """Serve a ``CasServer`` on a free port of 127.0.0.1 at /cas."""
    stub = CasServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            path = parts.path.removeprefix("/cas")
            service = query.get("service", "")
            if path == "/login" and service and stub.signing_in:
                separator = "&" if "?" in service else "?"
                self._send(302, "", {"Location": f"{service}{separator}{urlencode({'ticket': stub.issue(service)})}"})
            elif path in {"/serviceValidate", "/p3/serviceValidate"}:
                self._send(200, stub.answer(path, service, query.get("ticket", "")), {"Content-Type": "text/xml"})
            elif path == "/logout":
                self._send(200, "<html><body>已退出统一身份认证</body></html>", {"Content-Type": "text/html"})
            else:
                self._send(404, "not found", {})

        def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_port}/cas"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
