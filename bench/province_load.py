"""A bounded load test against gunicorn on the generated province: simulated people, think time, percentiles.

The project's own client (threads and urllib, nothing to install): each simulated user signs in as a distinct
account — liaisons of the busiest units, 督审处 reviewers, leaders, in proportion 3:1:1 — and then, until the
time is up, opens one of its role's pages (the pages the page benchmark measures), waits 0.5–1.5 s, and again.
Every request has a client timeout; when the time is up no new request starts and the run waits at most that
timeout for the ones in flight, so the test always ends. gunicorn is started here (``--workers``, its default
30 s worker timeout, as the README deploys it) and stopped at the end.
"""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import province_data
import province_pages
from flask import Flask
from sqlalchemy import text

from app.demo import DEMO_PASSWORD
from app.extensions import db

ROOT = Path(__file__).resolve().parents[1]
CLIENT_TIMEOUT = 60.0
THINK = (0.5, 1.5)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Person:
    """One simulated user: an account and the URLs its role opens, by page name."""

    username: str
    role: str
    pages: dict[str, list[str]]


@dataclass
class Record:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, ms: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.samples[page].append(ms)
            else:
                self.errors[page][error] += 1


def people(scale: int, users: int, only: list[str] | None = None) -> list[Person]:
    """Accounts and their URLs, from the generated data; with ``only``, just those pages (people left
    with none open the pages of their role that remain in ``only``, or are left out)."""
    q = lambda sql, **params: [tuple(r) for r in db.session.execute(text(sql), params)]  # noqa: E731
    t = province_pages.find_targets(scale)
    plan = f"plan_id={t.plan_id}"
    liaisons = q(
        """SELECT u.username, u.unit_id FROM user_account u JOIN user_role r ON r.user_id = u.id
                    AND r.role = 'liaison' JOIN work_item w ON w.unit_id = u.unit_id AND w.state = 'open'
                    WHERE u.username LIKE 'bench\\_%' GROUP BY u.username, u.unit_id
                    ORDER BY count(*) DESC, u.username LIMIT :n""",
        n=users,
    )
    tasks = [r[0] for r in q("SELECT id FROM plan_task WHERE plan_id = :p ORDER BY id", p=t.plan_id)]
    reviews = [
        r[0] for r in q("SELECT id FROM work_item WHERE state = 'open' AND step_id = 'review' LIMIT 500")
    ]
    result = []
    for n in range(users):
        kind = ("liaison", "liaison", "liaison", "supervisor", "leader")[n % 5]
        if kind == "liaison":
            username, unit_id = liaisons[n % len(liaisons)]
            own_tasks = [
                r[0] for r in q("SELECT task_id FROM task_responsibility WHERE unit_id = :u", u=unit_id)
            ]
            reports = [
                r[0]
                for r in q(
                    """SELECT id FROM work_item WHERE state = 'open' AND unit_id = :u
                                          AND role = 'liaison' AND assignee_id IS NULL LIMIT 50""",
                    u=unit_id,
                )
            ]
            pages = {
                "inbox_liaison": ["/work/inbox"],
                "done_liaison": ["/work/done"],
                "my_unit_dashboard": ["/dashboards/my-unit"],
                "api_work_items_liaison": ["/api/work-items"],
                "task_page": [f"/tasks/{i}" for i in own_tasks],
                "step_form_report": [f"/work/items/{i}" for i in reports],
            }
        elif kind == "supervisor":
            username = province_data.SUPERVISOR.format(n=1 + n // 5 % province_data.SUPERVISORS)
            pages = {
                "inbox_supervisor": ["/work/inbox"],
                "task_page": [f"/tasks/{i}" for i in tasks],
                "step_form_review": [f"/work/items/{i}" for i in reviews],
                "supervision_dashboard": [f"/dashboards/?{plan}"],
                "rectifications": ["/rectifications"],
                "urging": ["/urging"],
                "plan_page": [f"/plans/{t.plan_id}"],
                "api_work_items_supervisor": ["/api/work-items"],
            }
        else:
            username = province_data.LEADER.format(n=1 + n // 5 % province_data.LEADERS)
            pages = {
                "leader_dashboard": [f"/dashboards/leader?{plan}"],
                "supervision_dashboard": [f"/dashboards/?{plan}"],
                "assessment": [f"/plans/{t.plan_id}/assessment"],
                "task_page": [f"/tasks/{i}" for i in tasks],
                "unit_page": [f"/dashboards/units/{u}?{plan}" for _, u in liaisons[:10]],
            }
        pages = {name: urls for name, urls in pages.items() if urls and (not only or name in only)}
        if pages:
            result.append(Person(username, kind, pages))
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn × workers on a free port, with the database URL; waits for /healthz."""
    port = _free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "DUBAN_ENV": "development"}
    process = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return process, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop_gunicorn(process)
    raise RuntimeError("gunicorn did not answer /healthz within 120 s")


def stop_gunicorn(process: subprocess.Popen[bytes]) -> str:
    """Stop the master (it stops its workers); the tail of its log."""
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
    return err.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Sign-in stops at its redirect: the home page behind it is not part of signing in."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def sign_in(jar: http.cookiejar.CookieJar, base: str, username: str) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    with opener.open(base + "/auth/login", timeout=CLIENT_TIMEOUT) as response:
        token = CSRF_RE.search(response.read().decode("utf-8")).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": DEMO_PASSWORD}
    ).encode()
    try:
        with opener.open(base + "/auth/login", data=body, timeout=CLIENT_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as answer:
        if answer.code in (302, 303) and "/auth/login" not in (answer.headers.get("Location") or ""):
            return
        raise
    raise RuntimeError(f"{username} could not sign in")


def get(opener: urllib.request.OpenerDirector, url: str) -> str | None:
    """GET the whole body; None, or what went wrong."""
    try:
        with opener.open(url, timeout=CLIENT_TIMEOUT) as response:
            response.read()
            return None if response.status == 200 else f"http_{response.status}"
    except urllib.error.HTTPError as error:
        return f"http_{error.code}"
    except TimeoutError:
        return "timeout"
    except (urllib.error.URLError, ConnectionError, OSError) as error:
        return type(getattr(error, "reason", error)).__name__


def simulate(person: Person, base: str, stop_at: float, record: Record, seed: int) -> None:
    rng = random.Random(seed)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    began = time.perf_counter()
    try:
        sign_in(jar, base, person.username)
        record.add("sign_in", (time.perf_counter() - began) * 1000, None)
    except Exception as error:
        record.add("sign_in", 0, type(error).__name__)
        return
    while time.monotonic() < stop_at:
        page = rng.choice(list(person.pages))
        began = time.perf_counter()
        error = get(opener, base + rng.choice(person.pages[page]))
        record.add(page, (time.perf_counter() - began) * 1000, error)
        time.sleep(rng.uniform(*THINK))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))], 1)


def summary(record: Record) -> dict[str, Any]:
    pages = sorted(set(record.samples) | set(record.errors))
    result = {}
    for page in pages:
        values = record.samples.get(page, [])
        result[page] = {
            "ok": len(values),
            "errors": dict(record.errors.get(page, {})),
            **(
                {
                    "p50_ms": percentile(values, 0.50),
                    "p95_ms": percentile(values, 0.95),
                    "p99_ms": percentile(values, 0.99),
                    "mean_ms": round(statistics.fmean(values), 1),
                }
                if values
                else {}
            ),
        }
    return result


def run(app: Flask, url: str, scale: int, users: int, seconds: float, workers: int,
        only: list[str] | None = None) -> dict[str, Any]:
    """Start gunicorn, run ``users`` simulated people for ``seconds``, stop gunicorn; the figures."""
    with app.app_context():
        crowd = people(scale, users, only)
    process, base = start_gunicorn(url, workers)
    record = Record()
    try:
        ramp = min(10.0, seconds / 4)
        started = time.monotonic()
        stop_at = started + seconds
        threads = []
        for n, person in enumerate(crowd):
            thread = threading.Thread(target=simulate, args=(person, base, stop_at, record, n), daemon=True)
            thread.start()
            threads.append(thread)
            time.sleep(ramp / len(crowd))
        for thread in threads:
            thread.join(max(0.0, stop_at + CLIENT_TIMEOUT + 5 - time.monotonic()))
        elapsed = time.monotonic() - started
    finally:
        log = stop_gunicorn(process)
    total_ok = sum(len(v) for page, v in record.samples.items() if page != "sign_in")
    total_errors = sum(sum(e.values()) for page, e in record.errors.items() if page != "sign_in")
    return {
        "users": len(crowd),
        **({"only_pages": only} if only else {}),
        "workers": workers,
        "seconds": seconds,
        "elapsed_s": round(elapsed, 1),
        "think_s": list(THINK),
        "client_timeout_s": CLIENT_TIMEOUT,
        "requests_ok": total_ok,
        "requests_failed": total_errors,
        "requests_per_s": round((total_ok + total_errors) / elapsed, 2),
        "worker_timeouts_logged": log.count("WORKER TIMEOUT"),
        "statement_timeouts_logged": log.count("canceling statement due to statement timeout"),
        "pages": summary(record),
    }
