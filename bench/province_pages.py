"""Every page a user can open, measured in-process on the generated province: statements, wall, CPU, bytes.

Each page is fetched through the Flask test client as the user who would open it. A page that runs longer
than the timeout is stopped (SIGALRM in Python, ``statement_timeout`` in PostgreSQL) and recorded as a
timeout, so a page taking minutes does not hang the run. Pages slower than ``SLOW_SECONDS`` are fetched once,
not ``runs`` times.
"""

from __future__ import annotations

import os
import signal
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import province_data
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from app.demo import DEMO_PASSWORD
from app.extensions import db

SLOW_SECONDS = 10.0


class PageTimeout(BaseException):
    """Raised by the alarm; a BaseException so Flask's error handler does not turn it into a 500 page."""


@dataclass
class Targets:
    """The ids and accounts the pages are opened with, found in the generated data."""

    plan_id: int
    task_id: int
    unit_id: int
    liaison: str
    review_item: int
    report_item: int
    rectification_id: int | None


def find_targets(scale: int) -> Targets:
    """The busiest unit's liaison, the task with the longest history, open items of both kinds."""
    q = lambda sql, **params: db.session.execute(text(sql), params).first()  # noqa: E731
    plan_id = q("SELECT id FROM plan WHERE content_hash = :h", h=province_data.PLAN_HASH.format(scale=scale))[
        0
    ]
    unit_id, liaison = q(
        """
        SELECT w.unit_id, u.username FROM work_item w JOIN user_account u ON u.unit_id = w.unit_id
        JOIN user_role r ON r.user_id = u.id AND r.role = 'liaison'
        WHERE w.state = 'open' AND u.username LIKE 'bench\\_%' GROUP BY w.unit_id, u.username
        ORDER BY count(*) DESC, w.unit_id LIMIT 1"""
    )
    task_id = q(
        """SELECT m.plan_task_id FROM milestone_report r JOIN milestone m ON m.id = r.milestone_id
                   JOIN plan_task t ON t.id = m.plan_task_id WHERE t.plan_id = :p
                   GROUP BY m.plan_task_id ORDER BY count(*) DESC, m.plan_task_id LIMIT 1""",
        p=plan_id,
    )[0]
    review_item = q(
        """SELECT w.id FROM work_item w JOIN workflow_instance i ON i.id = w.instance_id
                       WHERE w.state = 'open' AND w.step_id = 'review' AND i.plan_task_id = :t
                       ORDER BY w.id LIMIT 1""",
        t=task_id,
    )
    review_item = review_item or q(
        "SELECT id FROM work_item WHERE state = 'open' AND step_id = 'review' LIMIT 1"
    )
    report_item = q(
        """SELECT id FROM work_item WHERE state = 'open' AND step_id = 'report' AND unit_id = :u
                       ORDER BY due_at, id LIMIT 1""",
        u=unit_id,
    )[0]
    rectification = q("SELECT id FROM rectification ORDER BY id LIMIT 1")
    return Targets(
        plan_id,
        task_id,
        unit_id,
        liaison,
        review_item[0],
        report_item,
        rectification[0] if rectification else None,
    )


def pages(t: Targets) -> dict[str, tuple[str, str]]:
    """Page name → (username, URL)."""
    plan = f"plan_id={t.plan_id}"
    supervisor = province_data.SUPERVISOR.format(n=1)
    return {
        "home_liaison": (t.liaison, "/"),
        "home_supervisor": (supervisor, "/"),
        "inbox_liaison": (t.liaison, "/work/inbox"),
        "inbox_supervisor": (supervisor, "/work/inbox"),
        "done_supervisor": (supervisor, "/work/done"),
        "done_liaison": (t.liaison, "/work/done"),
        "my_tasks_liaison": (t.liaison, "/my-tasks"),
        "task_page": (supervisor, f"/tasks/{t.task_id}"),
        "step_form_review": (supervisor, f"/work/items/{t.review_item}"),
        "step_form_report": (t.liaison, f"/work/items/{t.report_item}"),
        "plan_page": (supervisor, f"/plans/{t.plan_id}"),
        "supervision_dashboard": (supervisor, f"/dashboards/?{plan}"),
        "leader_dashboard": ("leader", f"/dashboards/leader?{plan}"),
        "my_unit_dashboard": (t.liaison, "/dashboards/my-unit"),
        "unit_page": (supervisor, f"/dashboards/units/{t.unit_id}?{plan}"),
        "assessment": ("leader", f"/plans/{t.plan_id}/assessment"),
        "assessment_unit": ("leader", f"/plans/{t.plan_id}/assessment/units/{t.unit_id}"),
        "ledger_xlsx": (supervisor, f"/dashboards/export/ledger?{plan}"),
        "bulletin_docx": (supervisor, f"/dashboards/export/bulletin?{plan}"),
        "assessment_xlsx": (supervisor, f"/dashboards/export/assessment?{plan}"),
        "api_work_items_liaison": (t.liaison, "/api/work-items"),
        "api_work_items_supervisor": (supervisor, "/api/work-items"),
        "rectifications": (supervisor, "/rectifications"),
        **(
            {"rectification_page": (supervisor, f"/rectifications/{t.rectification_id}")}
            if t.rectification_id
            else {}
        ),
        "urging": (supervisor, "/urging"),
        "notifications": (supervisor, "/notifications"),
    }


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise PageTimeout()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Counter:
    """SQL statements sent by the engine, and the CPU time of the PostgreSQL backends serving them.

    The backends' CPU is read from /proc (the server runs on this machine): unlike wall time it does
    not grow with how busy the machine is. 0 when the server is elsewhere.
    """

    def __init__(self) -> None:
        self.count = 0
        self.backends: set[int] = set()

    def __call__(self, conn: Any, *args: object) -> None:
        self.count += 1
        self.backends.add(conn.connection.dbapi_connection.info.backend_pid)

    def server_cpu_s(self) -> float:
        total = 0.0
        for pid in self.backends:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def fetch(client: FlaskClient, url: str, counter: Counter, timeout: float) -> dict[str, Any]:
    """One GET: status, bytes, statements, wall and CPU milliseconds; or a timeout."""
    counter.count = 0
    wall, cpu, server = time.perf_counter(), time.process_time(), counter.server_cpu_s()
    try:
        with alarm(timeout):
            response = client.get(url, follow_redirects=True)
            body = response.get_data()
            response.close()
    except PageTimeout:
        return {
            "timeout": True,
            "wall_ms": round((time.perf_counter() - wall) * 1000),
            "cpu_ms": round((time.process_time() - cpu) * 1000),
            "statements": counter.count,
        }
    return {
        "status": response.status_code,
        "bytes": len(body),
        "statements": counter.count,
        "wall_ms": (time.perf_counter() - wall) * 1000,
        "cpu_ms": (time.process_time() - cpu) * 1000,
        "db_cpu_ms": (counter.server_cpu_s() - server) * 1000,
    }


def measure_page(
    client: FlaskClient, url: str, counter: Counter, runs: int, timeout: float
) -> dict[str, Any]:
    samples = [fetch(client, url, counter, timeout)]
    if samples[0].get("timeout"):
        return {"timeout_s": timeout, **samples[0]}
    while len(samples) < runs and samples[0]["wall_ms"] < SLOW_SECONDS * 1000:
        samples.append(fetch(client, url, counter, timeout))
        if samples[-1].get("timeout"):
            return {"timeout_s": timeout, **samples[-1]}
    return {
        "status": samples[-1]["status"],
        "bytes": samples[-1]["bytes"],
        "statements": samples[-1]["statements"],
        "wall_ms": round(statistics.median(s["wall_ms"] for s in samples), 1),
        "cpu_ms": round(statistics.median(s["cpu_ms"] for s in samples), 1),
        "db_cpu_ms": round(statistics.median(s["db_cpu_ms"] for s in samples), 1),
        "runs": len(samples),
    }


#: The downloads: a large plan's are prepared in the background (app.exports.jobs), measured until ready.
DOCUMENTS = ("ledger_xlsx", "bulletin_docx", "assessment_xlsx")


def measure_document(
    client: FlaskClient, url: str, counter: Counter, runs: int, timeout: float
) -> dict[str, Any]:
    """One download: answered in the request, or prepared in the background and polled until ready.

    For a background document: the request's figures, then the seconds until the file was ready (the job's
    thread runs in this process, so nothing else is measured meanwhile) and the file's size.
    """
    first = fetch_once(client, url, counter, timeout)
    location = first.pop("location", None)
    if location is None or "/dashboards/exports/" not in location:
        return first
    began = time.perf_counter()
    while time.perf_counter() - began < 5 * timeout:
        page = client.get(location).get_data(as_text=True)
        if "文件已生成" in page or "请重新生成" in page:
            break
        time.sleep(0.5)
    ready_s = time.perf_counter() - began
    body = client.get(location + "/file")
    return {**first, "background": True, "ready": body.status_code == 200, "ready_s": round(ready_s, 1),
            "file_bytes": len(body.get_data())}


def fetch_once(client: FlaskClient, url: str, counter: Counter, timeout: float) -> dict[str, Any]:
    """One GET without following a redirect: status, bytes, statements, wall, CPU, and where it redirects."""
    counter.count = 0
    wall, cpu = time.perf_counter(), time.process_time()
    with alarm(timeout):
        response = client.get(url)
        body = response.get_data()
    return {
        "status": response.status_code,
        "bytes": len(body),
        "statements": counter.count,
        "wall_ms": round((time.perf_counter() - wall) * 1000, 1),
        "cpu_ms": round((time.process_time() - cpu) * 1000, 1),
        "location": response.headers.get("Location"),
    }


def _guard_statements(app: Flask, timeout: float) -> None:
    """PostgreSQL cancels any statement of this process that outlives the page timeout."""

    def on_connect(dbapi_connection: Any, record: object) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        dbapi_connection.commit()

    event.listen(db.engine, "connect", on_connect)
    db.engine.dispose()


def measure(
    app: Flask, scale: int, runs: int, timeout: float, only: list[str] | None = None
) -> dict[str, Any]:
    """Every page's figures, in the order of ``pages``; each request in its own app context, as served."""
    clients: dict[str, FlaskClient] = {}
    results: dict[str, Any] = {}
    with app.app_context():
        _guard_statements(app, timeout)
        targets = find_targets(scale)
        engine = db.engine
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        for name, (username, url) in pages(targets).items():
            if only and name not in only:
                continue
            if username not in clients:
                clients[username] = app.test_client()
                clients[username].post(
                    "/auth/login", data={"username": username, "password": DEMO_PASSWORD}
                ).close()
            measured = (measure_document if name in DOCUMENTS else measure_page)(
                clients[username], url, counter, runs, timeout
            )
            results[name] = {"user": username, "url": url, **measured}
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return results


def measure_tick(app: Flask, timeout: float) -> dict[str, Any]:
    """One deadline tick now on the data, under tracemalloc: seconds, peak memory, notices; rolled back."""
    from app.models.base import utcnow
    from scheduler import tick

    with app.app_context():
        began_at = utcnow()
        tracemalloc.start()
        began = time.perf_counter()
        try:
            with alarm(timeout):
                lines = tick.run(utcnow())
        except PageTimeout:
            db.session.rollback()
            return {"timeout_s": timeout, "peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 1)}
        except Exception as error:
            db.session.rollback()
            return {"error": f"{type(error).__name__}: {str(error)[:200]}",
                    "seconds": round(time.perf_counter() - began, 2)}
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        seconds = time.perf_counter() - began
        volume = _notice_volume(began_at)
        db.session.rollback()
    return {"seconds_under_tracemalloc": round(seconds, 2), "peak_mb": round(peak / 2**20, 1),
            "lines": len(lines), **volume}


def _notice_volume(since: Any) -> dict[str, Any]:
    """How many notices the tick recorded, and the most one person got (a volume bounded by design stays small)."""
    from sqlalchemy import func, select

    from app.models import Notification

    per_person = (select(func.count(Notification.id).label("n")).where(Notification.created_at >= since)
                  .group_by(Notification.user_id).subquery())
    total, most = db.session.execute(select(func.sum(per_person.c.n), func.max(per_person.c.n))).one()
    return {"notices": int(total or 0), "most_notices_one_person": int(most or 0)}


def measure_steps(app: Flask, samples: int = 5) -> dict[str, Any]:
    """Completing a step through its service on the generated data: statements, CPU and wall; rolled back.

    A report submission (报送进展) by the unit's liaison and an approval (督审处审核) by a reviewer, each on
    ``samples`` different open items; the service call and its flush are measured, the item's load is not.
    """

    from sqlalchemy import select

    from app.models import ReviewDecision, User, WorkItem, WorkItemState
    from app.services.lifecycle import reporting

    with app.app_context():
        counter = Counter()
        engine = db.engine
        policy = reporting.UploadPolicy(
            Path(app.config["ATTACHMENT_DIR"]), app.config["ATTACHMENT_MAX_BYTES"]
        )
        reviewer_name = province_data.SUPERVISOR.format(n=1)

        def items(step: str) -> list[int]:
            query = select(WorkItem.id).where(WorkItem.state == WorkItemState.OPEN, WorkItem.step_id == step)
            return list(db.session.scalars(query.order_by(WorkItem.id).limit(samples)))

        def submit(item: WorkItem) -> None:
            liaison = db.session.scalar(
                select(User).where(
                    User.unit_id == item.unit_id,
                    User.username.like("bench\\_%"),
                    ~User.username.like("%\\_head"),
                )
            )
            reporting.submit_report(item, "按计划推进。", 60, {}, [], policy, liaison)

        def approve(item: WorkItem) -> None:
            reviewer = db.session.scalar(select(User).where(User.username == reviewer_name))
            reporting.review_report(item, ReviewDecision.APPROVE, None, "good", reviewer)

        result = {}
        for name, step, action in (
            ("report_submit", "report", submit),
            ("review_approve", "review", approve),
        ):
            figures = []
            for item_id in items(step):
                item = db.session.get(WorkItem, item_id)
                event.listen(engine, "before_cursor_execute", counter)
                counter.count = 0
                wall, cpu = time.perf_counter(), time.process_time()
                action(item)
                db.session.flush()
                figures.append(
                    ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, counter.count)
                )
                event.remove(engine, "before_cursor_execute", counter)
                db.session.rollback()
            result[name] = {
                "samples": len(figures),
                "wall_ms": round(statistics.median(f[0] for f in figures), 1),
                "cpu_ms": round(statistics.median(f[1] for f in figures), 1),
                "statements": statistics.median(f[2] for f in figures),
            }
    return result
