"""The outbox's throughput: mails per minute to a local SMTP server (aiosmtpd, from the test extra).

Run: ``.venv/bin/python bench/bench_outbox.py --db sqlite``
or ``--db postgresql://postgres@127.0.0.1:5432/postgres``
(a scratch database is created there and dropped afterwards). ``--mails`` sets how many are queued.

Queues the mails in one INSERT, then runs the scheduler's ``deliver_mail`` job once per
simulated minute (each run commits after every mail, as in production) until the outbox
is empty, and prints one JSON line: wall time, mails per minute, job runs, SMTP sessions,
and whether every mail arrived exactly once. Against an older checkout (copy this file
there) the same run gives the figures before.
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller
from bench_sweep import make_app, scratch_url
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import demo
from app.extensions import db
from app.models import MailStatus, Notification, OutboxMail, User
from app.models.base import utcnow
from scheduler import jobs


class Inbox:
    """Counts messages (by subject) and SMTP sessions."""

    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.sessions = 0

    async def handle_EHLO(  # type: ignore[no-untyped-def]
            self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        for line in envelope.original_content.splitlines():
            if line.startswith(b"Subject:"):
                self.subjects.append(line.decode("ascii", "replace"))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue(count: int) -> None:
    """``count`` notices to zhuce, each with its mail due now."""
    demo.load_demo()
    user_id = db.session.scalar(select(User.id).where(User.username == "zhuce"))
    now = utcnow()
    db.session.execute(Notification.__table__.insert(), [
        {"user_id": user_id, "kind": "overdue", "key": f"bench:{n}", "title": f"逾期提醒{n}", "body": "请尽快办理。",
         "link": "/work/items/1", "late": False, "created_at": now} for n in range(count)])
    ids = db.session.scalars(select(Notification.id).order_by(Notification.id)).all()
    db.session.execute(OutboxMail.__table__.insert(), [
        {"notification_id": notice_id, "to_address": "zhuce@example.gov.cn", "subject": f"【督办】逾期提醒 {n}",
         "body": "张三您好:\n\n请尽快办理。", "status": "pending", "attempts": 0, "next_attempt_at": now}
        for n, notice_id in enumerate(ids)])
    db.session.commit()


def run(db_option: str, count: int) -> dict[str, object]:
    url, drop = scratch_url(db_option)
    port = free_port()
    app = make_app(url)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT_SECONDS=10)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app.app_context():
            upgrade()
            queue(count)
            began, runs = time.perf_counter(), 0
            pending = select(func.count(OutboxMail.id)).where(OutboxMail.status == MailStatus.PENDING)
            while db.session.scalar(pending) and runs < 10_000:
                db.session.rollback()
                jobs.deliver_mail()
                runs += 1
            elapsed = time.perf_counter() - began
            sent = db.session.scalar(
                select(func.count(OutboxMail.id)).where(OutboxMail.status == MailStatus.SENT))
            dialect = db.engine.dialect.name
            db.session.execute(text("SELECT 1"))
            db.session.remove()
            db.engine.dispose()
    finally:
        controller.stop()
        drop()  # type: ignore[operator]
    return {"db": dialect, "mails": count, "sent": sent, "received": len(inbox.subjects),
            "exactly_once": len(inbox.subjects) == len(set(inbox.subjects)) == count, "job_runs": runs,
            "smtp_sessions": inbox.sessions, "wall_s": round(elapsed, 2),
            "mails_per_minute_wall": round(count / elapsed * 60),
            "mails_per_job_run": round(count / runs, 1), "mails_per_minute_scheduled": round(count / runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the mail outbox.")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    parser.add_argument("--mails", type=int, default=3000)
    options = parser.parse_args()
    print(json.dumps(run(options.db, options.mails), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
