"""What a workflow step costs, early and late in a milestone's life, against the bare library; prints JSON.

Run: ``.venv/bin/python bench/bench_workflow_step.py [DATABASE_URL] [--rounds 100]`` (an SQLite file in /tmp
by default; a PostgreSQL URL must name an empty database).

One milestone is reported and returned ``--rounds`` times (report → 督审处 退回 → report …) three ways, in one run:

- ``bare``: SpiffWorkflow alone, stateless and persisted as its documentation shows it: read the row,
  deserialize the workflow (spec included), complete the ready task, run the engine, serialize, write the row,
  commit. No projection, no business rows, no checks: the floor any persisted engine step stands on.
- ``service``: Duban's services (``reporting.submit_report`` / ``review_report``) as a view calls them, in a
  fresh session: the view has loaded the work item and the actor (not measured); the call and the commit are.
- ``http``: the same steps posted to ``/work/items/<id>`` through the Flask test client, signed in (CSRF off).

The three ways run interleaved, a completion of each in turn, so a busy machine weighs on them alike. CPU is
this process's (``time.process_time``): on SQLite it includes the database, on PostgreSQL the server's share
is not in it. ``round_1`` is the median completion of rounds 1–10, ``round_100`` of the last ten rounds.
Ratios: each way against ``bare`` at the same round, and each way late against early (flat with history).
``engine`` keeps the engine layer's own figures: a step with and without pruning, and the stored state size.
No assertions: figures only.
"""
from __future__ import annotations

import argparse
import contextvars
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Column, Integer, MetaData, Table, Text, event, select, update

from app import create_app
from app.config import TestConfig
from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from app.models import PlanTask, ReviewDecision, User, WorkflowInstance, WorkItem, WorkItemState
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.plans import plan_import
from app.workflow import complete_work_item, deploy_processes, open_work_items, start_instance
from app.workflow import state as engine_state

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"
DIAGRAM = ROOT / "processes" / "milestone.bpmn"
START = {"unit_id": None, "cooperating_unit_ids": [], "head_signoff_required": False}
#: A completion's figures: CPU seconds and SQL statements.
Sample = tuple[float, int]


@contextmanager
def measured(samples: list[Sample]) -> Iterator[None]:
    """Append the CPU seconds and SQL statements of the block to ``samples``."""
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    began = time.process_time()
    try:
        yield
    finally:
        spent = time.process_time() - began
        event.remove(db.engine, "before_cursor_execute", count)
        samples.append((spent, statements[0]))


# --- the bare library ---------------------------------------------------------------------------------------


def bare_loop(rounds: int) -> Iterator[Sample]:
    """SpiffWorkflow's stateless persisted cycle, report and return ``rounds`` times."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subprocesses = parser.get_spec("milestone"), parser.get_subprocess_specs("milestone")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    table = Table("bench_bare_workflow", MetaData(), Column("id", Integer, primary_key=True), Column("state", Text))
    table.create(db.engine, checkfirst=True)
    workflow = BpmnWorkflow(spec, subprocesses)
    workflow.get_tasks(spec_name="Start")[0].set_data(**START)
    workflow.do_engine_steps()
    with db.engine.begin() as conn:
        row_id = conn.execute(table.insert().values(state=serializer.serialize_json(workflow))).inserted_primary_key[0]

    def cycle(data: dict[str, Any]) -> None:
        with db.engine.begin() as conn:
            loaded = serializer.deserialize_json(conn.execute(select(table.c.state).where(table.c.id == row_id))
                                                 .scalar_one())
            task = loaded.get_tasks(state=TaskState.READY, manual=True)[0]
            task.set_data(**data)
            task.run()
            loaded.do_engine_steps()
            conn.execute(update(table).where(table.c.id == row_id).values(state=serializer.serialize_json(loaded)))

    samples: list[Sample] = []
    try:
        for _ in range(rounds):
            for data in ({}, {"decision": "return"}):
                with measured(samples):
                    cycle(data)
                yield samples[-1]
    finally:
        table.drop(db.engine)


# --- Duban: the service and HTTP ------------------------------------------------------------------------------


def user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def open_item(instance_id: int) -> int:
    """The one open item of a milestone instance."""
    (item,) = open_work_items(instance_id)
    return item.id


def decomposed_milestone(task_number: int) -> int:
    """注册处 decomposes task ``task_number`` into one milestone, 督审处 confirms it; its instance id."""
    zhuce, dushen = user("zhuce"), user("dushen")
    task = db.session.scalars(select(PlanTask).where(PlanTask.number == task_number)).one()

    def item(form_key: str) -> WorkItem:
        """注册处's (or 督审处's) open item of this kind on the task."""
        items = db.session.scalars(select(WorkItem).where(WorkItem.state == WorkItemState.OPEN,
                                                          WorkItem.form_key == form_key))
        return next(i for i in items if i.context.get("plan_task_id") == task.id and i.unit_id in (zhuce.unit_id, None))

    decomposition.submit_decomposition(item("decomposition"), [
        MilestonePlan("推进改革", "实施方案", date(task.plan.year, 12, 30), zhuce.id, past_date_reason="补录")],
        None, zhuce)
    decomposition.review_decomposition(item("decomposition_review"), ReviewDecision.APPROVE, None, dushen)
    db.session.commit()
    report = item("milestone_report")
    return report.instance_id


def service_loop(rounds: int, instance_id: int, policy: UploadPolicy) -> Iterator[Sample]:
    """Report and return through the services, each completion in a fresh session as a request has it."""
    samples: list[Sample] = []
    for number in range(rounds):
        for username, step in (("zhuce", "report"), ("dushen", "review")):
            item_id = open_item(instance_id)
            db.session.remove()
            item, actor = db.session.get_one(WorkItem, item_id), user(username)
            work_items.ensure_may_act(actor, item)  # as the view does before calling the service
            with measured(samples):
                if step == "report":
                    reporting.submit_report(item, f"第{number + 1}轮进展", 50, {}, [], policy, actor)
                else:
                    reporting.review_report(item, ReviewDecision.RETURN, "请补充", None, actor)
                db.session.commit()
            db.session.remove()
            yield samples[-1]


def http_loop(app: Flask, rounds: int, instance_id: int) -> Iterator[Sample]:
    """Report and return by posting the step forms, signed in as the unit's liaison and as 督审处."""
    clients = {}
    for username in ("zhuce", "dushen"):
        client = app.test_client()
        client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD})
        clients[username] = client
    forms = {"zhuce": {"percent_done": "50", "submit": "报送"},
             "dushen": {"decision": "return", "comments": "请补充", "quality": "", "submit": "提交"}}
    samples: list[Sample] = []
    for number in range(rounds):
        for username in ("zhuce", "dushen"):
            item_id = open_item(instance_id)
            db.session.remove()
            data = {**forms[username], "progress": f"第{number + 1}轮进展"}
            with measured(samples):
                response = clients[username].post(f"/work/items/{item_id}", data=data)
            if db.session.get_one(WorkItem, item_id).state is not WorkItemState.COMPLETED:
                raise SystemExit(f"the {username} step was not completed: HTTP {response.status_code}")
            db.session.remove()
            yield samples[-1]


# --- the engine layer alone ----------------------------------------------------------------------------------


def engine_loop(rounds: int) -> tuple[list[float], list[int]]:
    """Report/return ``rounds`` times on the engine layer; CPU per completion and stored state size per round."""
    instance_id = start_instance("milestone", START).id
    db.session.commit()
    times, sizes = [], []
    for _ in range(rounds):
        for data in ({}, {"decision": "return"}):
            item_id = open_work_items(instance_id)[0].id
            began = time.process_time()
            complete_work_item(item_id, None, data)
            db.session.commit()
            times.append(time.process_time() - began)
            db.session.remove()
        sizes.append(len(db.session.get_one(WorkflowInstance, instance_id).state))
    return times, sizes


@contextmanager
def pruning_off() -> Iterator[None]:
    """The naive storage (whole task tree kept), for comparison."""
    original = engine_state.prune
    engine_state.prune = lambda workflow: None
    try:
        yield
    finally:
        engine_state.prune = original


# --- figures -------------------------------------------------------------------------------------------------


def early_late(samples: list[Sample], pick: Callable[[Sample], float]) -> tuple[float, float]:
    """Medians over the first and the last ten rounds (two completions each)."""
    return statistics.median(map(pick, samples[:20])), statistics.median(map(pick, samples[-20:]))


def figures(samples: list[Sample]) -> dict[str, Any]:
    cpu_early, cpu_late = early_late(samples, lambda s: s[0])
    sql_early, sql_late = early_late(samples, lambda s: s[1])
    return {"cpu_ms": {"round_1": round(cpu_early * 1000, 2), "round_100": round(cpu_late * 1000, 2)},
            "statements": {"round_1": sql_early, "round_100": sql_late, "max": max(s[1] for s in samples)},
            "late_vs_early": round(cpu_late / cpu_early, 2)}


def ratio(way: dict[str, Any], bare: dict[str, Any], at: str) -> float:
    return round(way["cpu_ms"][at] / bare["cpu_ms"][at], 2)


class RequestClient(FlaskClient):
    """A test client whose every request gets its own app context and session, as in production."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(url: str) -> Flask:
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "ATTACHMENT_DIR": tempfile.mkdtemp(prefix="duban-bench-")})
    app.test_client_class = RequestClient
    return app


def main() -> None:
    """Set up a plan, run each way, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    app = make_app(args.url)
    with app.app_context():
        upgrade()
        org = load_demo()
        dushen = user("dushen")
        draft = plan_import.start_import(org, dushen, None, data=PLAN.read_bytes(), filename="2023.txt")
        plan_import.confirm_import(draft, {}, dushen)
        deploy_processes()
        db.session.commit()
        service_instance, http_instance, warm_instance = (decomposed_milestone(n) for n in (5, 6, 7))
        policy = UploadPolicy(Path(app.config["ATTACHMENT_DIR"]), 1024 * 1024)
        list(service_loop(3, warm_instance, policy))  # warm-up: spec cache, connections, templates
        list(http_loop(app, 3, warm_instance))
        ways = {"bare": bare_loop(args.rounds), "service": service_loop(args.rounds, service_instance, policy),
                "http": http_loop(app, args.rounds, http_instance)}
        samples: dict[str, list[Sample]] = {name: [] for name in ways}
        for _ in range(2 * args.rounds):  # interleaved, so the machine's load weighs on each way alike
            for name, steps in ways.items():
                samples[name].append(next(steps))
        for steps in ways.values():
            next(steps, None)  # runs each loop to its end (the bare table is dropped)
        bare, service, http = (figures(samples[name]) for name in ("bare", "service", "http"))
        pruned, sizes = engine_loop(50)
        with pruning_off():
            unpruned, _ = engine_loop(50)
        result = {
            "database": db.engine.dialect.name, "rounds": args.rounds,
            "bare": bare, "service": service, "http": http,
            "service_vs_bare": {at: ratio(service, bare, at) for at in ("round_1", "round_100")},
            "http_vs_bare": {at: ratio(http, bare, at) for at in ("round_1", "round_100")},
            "engine": {
                "pruned_cpu_ms": [round(t * 1000, 2) for t in early_late([(t, 0) for t in pruned], lambda s: s[0])],
                "unpruned_cpu_ms": [round(t * 1000, 2)
                                    for t in early_late([(t, 0) for t in unpruned], lambda s: s[0])],
                "state_bytes": {"round_1": sizes[0], "round_50": sizes[-1]},
            },
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
