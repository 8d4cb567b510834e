"""Render time of each dashboard and export, on the demo data and at province scale; prints JSON.

Run: ``.venv/bin/python bench/bench_dashboards.py [DATABASE_URL] [runs]`` (a fresh SQLite file in /tmp by default;
a PostgreSQL URL must name an empty database).

- demo: the demo directory and users, the real 2023 plan imported (supervision started), plus the
  hand-built dashboard scenario of the tests.
- province: 40 tasks × 100 units → 4,000 decompositions and lifecycles, 4,000 open work items,
  12,000 milestones, 8,000 reports with target actuals and 8,000 verdicts, bulk-inserted.
Each figure is the median wall time of a full GET through the test client (HTML or file), in milliseconds.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Decomposition,
    DecompositionStatus,
    InstanceKind,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    Plan,
    PlanSection,
    PlanTarget,
    PlanTask,
    ProcessSpecVersion,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
    TaskResponsibility,
    Unit,
    UnitKind,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.services.plans import plan_import  # noqa: E402
from tests.dashboard_scenario import AS_OF, build_scenario  # noqa: E402

PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"
TASKS, UNITS, MILESTONES_PER_PART = 40, 100, 3


def main() -> None:
    """Build both data sets and print the timings as JSON."""
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench-dashboards.db"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    settings = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        org = load_demo()
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        real = plan_import.confirm_import(
            plan_import.start_import(org, dushen, None, pasted=PLAN_2023.read_text("utf-8")), {}, dushen)
        scenario = build_scenario(org)
        db.session.commit()
        demo_ids = {"plan_2023": real.id, "scenario": scenario.plan_id, "unit": scenario.zhuce_id}
        start = time.perf_counter()
        province_plan, province_unit, counts = build_province(org)
        build_seconds = time.perf_counter() - start
        _analyze()
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "dushen", "password": DEMO_PASSWORD})
    response.close()
    result = {
        "database": url.split(":", 1)[0], "runs": runs, "as_of": AS_OF.isoformat(),
        "demo_2023_plan": timings(client, demo_ids["plan_2023"], demo_ids["unit"], runs),
        "demo_scenario": timings(client, demo_ids["scenario"], demo_ids["unit"], runs),
        "province": {**counts, "build_seconds": round(build_seconds, 1),
                     **timings(client, province_plan, province_unit, runs)},
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


def _analyze() -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum would before long.

    Without it PostgreSQL plans on empty-table estimates (1 row) and nests loops over 12,000 milestones.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def timings(client, plan_id: int, unit_id: int, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median milliseconds per page and per export."""
    query = f"plan_id={plan_id}&as_of={AS_OF.isoformat()}"
    pages = {
        "supervision_ms": f"/dashboards/?{query}", "leader_ms": f"/dashboards/leader?{query}",
        "unit_ms": f"/dashboards/units/{unit_id}?{query}", "ledger_xlsx_ms": f"/dashboards/export/ledger?{query}",
        "bulletin_docx_ms": f"/dashboards/export/bulletin?{query}",
    }
    return {name: median_ms(client, url, runs) for name, url in pages.items()}


def median_ms(client, url: str, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        response.close()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def _rows(model, rows: list[dict]) -> list[int]:  # type: ignore[no-untyped-def]
    """Bulk-insert and return the new ids (in order)."""
    return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def build_province(org) -> tuple[int, int, dict[str, int]]:  # type: ignore[no-untyped-def]
    """A province-scale plan: every task decomposed by 100 units, their milestones half reported."""
    now = datetime(2023, 1, 5, 2, tzinfo=UTC)
    unit_ids = _rows(Unit, [{"organisation_id": org.id, "name": f"压测单位{n:03d}", "full_name": f"压测单位{n:03d}",
                             "code": f"bench{n:03d}", "kind": UnitKind.INSTITUTION, "active": True,
                             "requires_head_signoff": False, "created_at": now} for n in range(UNITS)])
    owner = db.session.scalar(select(User.id).where(User.username == "zhuce"))
    plan = Plan(organisation=org, title="省级规模压测计划", year=2023, content_hash="bench-province",
                source_name="压测")
    db.session.add(plan)
    db.session.flush()
    section_ids = _rows(PlanSection, [{"plan_id": plan.id, "number": n, "title": f"第{n}部分"} for n in range(1, 9)])
    task_ids = _rows(PlanTask, [{"plan_id": plan.id, "section_id": section_ids[n % 8], "number": n + 1,
                                 "title": f"压测任务{n + 1}", "text": "压测。",
                                 "supervision_number": f"督〔2023〕{n + 1}号"}
                                for n in range(TASKS)])
    target_ids = _rows(PlanTarget, [{"task_id": t, "value": Decimal(230000), "unit": "批次", "comparator": ">=",
                                     "phrase": "抽检23万批次", "span_start": 0, "span_end": 6} for t in task_ids])
    db.session.execute(insert(TaskResponsibility), [
        {"task_id": t, "role": ResponsibilityRole.LEAD if i == 0 else ResponsibilityRole.RESPONSIBLE, "unit_id": u,
         "written_as": "压测", "position": i} for t in task_ids for i, u in enumerate(unit_ids)])
    parts = [(t, u) for t in task_ids for u in unit_ids]
    decomposition_ids = _rows(Decomposition, [{"plan_task_id": t, "unit_id": u, "status": DecompositionStatus.CONFIRMED,
                                               "rounds_submitted": 1, "closed_at": now if t == task_ids[0] else None}
                                              for t, u in parts])
    version = ProcessSpecVersion(process_id="bench", version=1, sha256="b" * 64, source_name="bench.bpmn",
                                 bpmn_xml="<x/>")
    db.session.add(version)
    db.session.flush()
    instance_ids = _rows(WorkflowInstance, [
        {"spec_version_id": version.id, "plan_task_id": t, "kind": InstanceKind.DECOMPOSITION, "decomposition_id": d,
         "status": WorkflowStatus.COMPLETED if t == task_ids[0] else WorkflowStatus.WAITING, "state": "{}",
         "completed_step_ids": [], "row_version": 1, "created_at": now, "updated_at": now}
        for (t, _), d in zip(parts, decomposition_ids, strict=False)])
    db.session.execute(insert(WorkItem), [
        {"instance_id": i, "engine_task_id": f"bench-{i}", "step_id": "report", "step_name": "报送进展",
         "form_key": "report", "unit_id": u, "context": {}, "state": WorkItemState.OPEN, "created_at": now,
         "due_at": now + timedelta(days=200)} for i, (_, u) in zip(instance_ids, parts, strict=False)])
    milestones = [{"decomposition_id": d, "plan_task_id": t, "unit_id": u, "position": k, "title": f"节点{k + 1}",
                   "deliverable": "成果", "due_date": date(2023, 3 + 3 * k, 28), "owner_id": owner,
                   "status": MilestoneStatus.APPROVED if k == 0 else MilestoneStatus.IN_PROGRESS}
                  for (t, u), d in zip(parts, decomposition_ids, strict=False) for k in range(MILESTONES_PER_PART)]
    milestone_ids = _rows(Milestone, milestones)
    reported = [(m_id, m) for m_id, m in zip(milestone_ids, milestones, strict=False) if m["position"] < 2]
    report_ids = _rows(MilestoneReport, [
        {"milestone_id": m_id, "number": 1, "progress": "按计划推进", "percent_done": 100 if m["position"] == 0 else 60,
         "submitted_by_id": owner, "submitted_at": datetime.combine(m["due_date"], datetime.min.time(), UTC)
         - timedelta(days=(m_id % 7) - 2)} for m_id, m in reported])
    db.session.execute(insert(TargetActual), [
        {"report_id": r, "plan_target_id": target_ids[task_ids.index(m["plan_task_id"])],
         "actual": Decimal(1000 + r % 900)}
        for r, (_, m) in zip(report_ids, reported, strict=False)])
    db.session.execute(insert(ReviewRecord), [
        {"plan_task_id": m["plan_task_id"], "milestone_report_id": r, "step": StepKey.REPORT_REVIEW,
         "decision": ReviewDecision.APPROVE if m["position"] == 0 else ReviewDecision.RETURN,
         "comments": None if m["position"] == 0 else "请补充材料", "quality": "good" if m["position"] == 0 else None,
         "reviewer_id": owner, "decided_at": datetime.combine(m["due_date"], datetime.min.time(), UTC)
         + timedelta(days=3)} for r, (_, m) in zip(report_ids, reported, strict=False)])
    db.session.commit()
    counts = {"tasks": TASKS, "units": UNITS, "decompositions": len(parts), "work_items": len(parts),
              "milestones": len(milestone_ids), "reports": len(report_ids), "reviews": len(report_ids)}
    return plan.id, unit_ids[0], counts


if __name__ == "__main__":
    main()
