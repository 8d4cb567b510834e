"""Step cost of the workflow engine layer must not grow with an instance's age.

Run: ``.venv/bin/python bench/bench_workflow_step.py [DATABASE_URL]`` (SQLite file in /tmp by default).

Prints, for a milestone returned 50 times and for a task with 12 periodic reports,
the time to complete one work item (load → run → prune → save → re-sync → commit)
early and late, with and without pruning, and the stored state size; then the
median over 200 completions. No assertions: figures only.

Design measured here: each milestone (and each periodic report) is its own
``milestone.bpmn`` instance, so a task's 12 reports never share a task tree; inside
one milestone the return loop stays in the diagram and app/workflow/state.py prunes
the finished branch before every save, so round 50 stores and loads what round 1 did.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import WorkflowInstance
from app.workflow import complete_work_item, deploy_processes, open_work_items, start_instance
from app.workflow import state as engine_state

START = {"unit_id": None, "cooperating_unit_ids": [], "head_signoff_required": False}


def timed_step(instance_id: WorkflowInstance, data: dict) -> float:
    """Seconds to complete the instance's first open item, commit included, in a fresh session as a request has."""
    item_id = open_work_items(instance_id)[0].id
    began = time.perf_counter()
    complete_work_item(item_id, None, data)
    db.session.commit()
    spent = time.perf_counter() - began
    db.session.remove()
    return spent


def returned_milestone(rounds: int) -> tuple[list[float], list[int]]:
    """Report/return ``rounds`` times; per-round step times (report + review, halved) and state sizes."""
    instance_id = start_instance("milestone", START).id
    db.session.commit()
    times, sizes = [], []
    for _ in range(rounds):
        spent = timed_step(instance_id, {}) + timed_step(instance_id, {"decision": "return"})
        times.append(spent / 2)
        sizes.append(len(db.session.get(WorkflowInstance, instance_id).state))
    return times, sizes


def periodic_reports(count: int) -> list[float]:
    """``count`` periodic reports, one milestone.bpmn instance each; time of each report's first step."""
    times = []
    for _ in range(count):
        instance_id = start_instance("milestone", START).id
        db.session.commit()
        times.append(timed_step(instance_id, {}))
        timed_step(instance_id, {"decision": "approve"})
    return times


@contextmanager
def pruning_off() -> Iterator[None]:
    """Measure the naive storage (whole task tree kept) for comparison."""
    original = engine_state.prune
    engine_state.prune = lambda workflow: None
    try:
        yield
    finally:
        engine_state.prune = original


def ms(seconds: float) -> str:
    """Milliseconds, for printing."""
    return f"{seconds * 1000:.2f} ms"


def report_loop(label: str, run: Callable[[], tuple[list[float], list[int]]]) -> None:
    """Print early vs late step cost and state size of a 50-round milestone."""
    times, sizes = run()
    early, late = statistics.median(times[:10]), statistics.median(times[-10:])
    print(f"{label}: rounds 1-10 {ms(early)}, rounds 41-50 {ms(late)}, ratio {late / early:.2f}; "
          f"state {sizes[0]} B after round 1, {sizes[-1]} B after round 50")


def main() -> None:
    """Run every measurement and print the figures."""
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        deploy_processes()
        db.session.commit()
        print(f"database: {db.engine.dialect.name}")
        returned_milestone(3)  # warm-up: spec cache, connections
        report_loop("milestone, 50 returns, pruned    ", lambda: returned_milestone(50))
        with pruning_off():
            report_loop("milestone, 50 returns, NOT pruned", lambda: returned_milestone(50))
        reports = periodic_reports(12)
        print(f"task with 12 periodic reports (one instance each): 1st {ms(reports[0])}, "
              f"12th {ms(reports[-1])}, median {ms(statistics.median(reports))}")
        times, sizes = returned_milestone(100)
        print(f"median of 200 completions incl. commit: {ms(statistics.median(times))} "
              f"(p90 {ms(sorted(times)[89])}); stored state {statistics.median(sizes):.0f} B per milestone instance")


if __name__ == "__main__":
    main()
