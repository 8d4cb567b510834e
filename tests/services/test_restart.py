"""A task carries on after a restart: the next step runs in a new process on the same database."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services.lifecycle import decomposition, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.plans import plan_import
from tests.conftest import ROOT

PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"

REVIEW_IN_A_NEW_PROCESS = textwrap.dedent("""
    from sqlalchemy import select
    from app import create_app
    from app.extensions import db
    from app.models import ReviewDecision, User
    from app.services.lifecycle import decomposition, work_items

    app = create_app()
    with app.app_context():
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        (item,) = [i for i in work_items.inbox(dushen) if i.form_key == "decomposition_review"]
        decomposition.review_decomposition(item, ReviewDecision.APPROVE, None, dushen)
        db.session.commit()
        print("approved", item.id)
""")


def test_the_lifecycle_continues_in_a_new_process(app, demo, database_url):
    people = {u.username: u for u in db.session.scalars(select(User))}
    draft = plan_import.start_import(demo, people["dushen"], None, data=PLAN_2023.read_bytes(), filename="2023.txt")
    task6 = next(t for t in plan_import.confirm_import(draft, {}, people["dushen"]).tasks if t.number == 6)
    (item,) = [i for i in work_items.inbox(people["zhuce"])
               if i.form_key == "decomposition" and i.context["plan_task_id"] == task6.id]
    plan = MilestonePlan("出台措施", "措施文件", date(2023, 6, 30), people["zhuce"].id, past_date_reason="补录")
    decomposition.submit_decomposition(item, [plan], None, people["zhuce"])
    db.session.commit()

    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "restart-test"}
    result = subprocess.run([sys.executable, "-c", REVIEW_IN_A_NEW_PROCESS], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("approved")

    db.session.expire_all()
    reports = [i for i in work_items.inbox(people["zhuce"])
               if i.form_key == "milestone_report" and i.context["plan_task_id"] == task6.id]
    assert len(reports) == 1
