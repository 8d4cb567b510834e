"""Time the recorded re-scheduling of due dates after a policy change and after a calendar override.

Run: ``.venv/bin/python bench/bench_rescheduling.py [plans] [DATABASE_URL]`` (3 plans, SQLite file in /tmp by default).

Imports the 2023 Hubei plan ``plans`` times (39 open 分解任务 items each), then times one policy save
(every open item of that plan moves, each move recorded) and one calendar override (every open item of
every plan moves), committed. Prints figures only; nothing here asserts on time.
"""
from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import DueDateChange, User, WorkItem, WorkItemState  # noqa: E402
from app.models.base import as_dict  # noqa: E402
from app.services.plans import plan_import  # noqa: E402
from app.services.timing import calendar_overrides, deadline_policy  # noqa: E402

PLAN = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"


def copy(n: int) -> str:
    """The 2023 plan with a numbered title, so each copy is a plan of its own (not refused as a duplicate)."""
    text = PLAN.read_text("utf-8")
    first, rest = text.split("\n", 1)
    return f"{first}(副本{n})\n{rest}" if n else text


def main(plans: int, url: str) -> None:
    """Build the data, then time the two re-schedulings."""
    if url.startswith("sqlite:////tmp/"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        org = load_demo()
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        imported = [plan_import.confirm_import(plan_import.start_import(
            org, dushen, None, pasted=copy(n)), {}, dushen) for n in range(plans)]
        db.session.commit()
        open_items = db.session.scalar(select(func.count(WorkItem.id)).where(WorkItem.state == WorkItemState.OPEN))
        print(f"plans={plans} open_items={open_items}")

        policy = deadline_policy.policy_of(imported[0])
        data = {**as_dict(policy, *deadline_policy.FIELDS), "decompose_within": 12}
        started = time.perf_counter()
        moved = deadline_policy.update_policy(policy, data, deadline_policy.version_of(policy), dushen)
        db.session.commit()
        print(f"policy change: moved={len(moved)} in {1000 * (time.perf_counter() - started):.0f} ms")

        admin = db.session.scalar(select(User).where(User.username == "admin"))
        day = date.today() + timedelta(days=(5 - date.today().weekday()) % 7 or 7)   # next Saturday, now worked
        started = time.perf_counter()
        moved = calendar_overrides.add_override(day, True, "bench", admin)
        db.session.commit()
        print(f"calendar override {day}: moved={len(moved)} in {1000 * (time.perf_counter() - started):.0f} ms")
        print(f"due_date_change rows: {db.session.scalar(select(func.count(DueDateChange.id)))}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3,
         sys.argv[2] if len(sys.argv) > 2 else "sqlite:////tmp/duban-bench-rescheduling.db")
