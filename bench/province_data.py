"""A year of supervision at the real province's size, bulk-written through SQL (COPY on PostgreSQL).

Shape at scale 1 (the one issue 18 measured): 18 bureaus × the 39 tasks of the real 2023 plan = 702 tasks in
one plan, each answered by 3 responsible units (no lead, so all three decompose: 2,106 decompositions), 12
monthly milestones per decomposition (25,272), and a year of reports on them with returns, late and pending
reviews and overdue milestones; every milestone, lifecycle and rectification has a real engine state, so every
page renders and every step can be completed.

Engine states are not run 27,000 times: the real engine runs once per shape (``capture_templates``) on
sentinel ids inside a rolled-back transaction, and each instance gets a copy with its own ids and fresh task
UUIDs.
Everything is deterministic for a scale (seeded by it); ``today`` anchors the year so the lights are live.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Unit, UnitKind, User, WorkflowInstance
from app.plan_parser import parse_text
from app.services.infrastructure.accounts import hash_password
from app.services.timing.workdays import BEIJING, end_of_day
from app.workflow import complete_work_item, deploy_processes, open_work_items, start_instance

ROOT = Path(__file__).resolve().parents[1]
PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"
BUREAUS, UNITS_PER_BUREAU, RESPONSIBLE_PER_TASK, MONTHS = 18, 6, 3, 12
#: Extra accounts so the load test's sessions are distinct people.
SUPERVISORS, LEADERS = 5, 5
PLAN_HASH = "bench-province-x{scale}"
#: Usernames of the generated 督审处 reviewers (who decided every generated review) and leaders.
SUPERVISOR, LEADER = "bench_dushen{n}", "bench_leader{n}"

#: Sentinel ids the template instances run on; replaced per copy. Within int32, never real ids.
SENTINELS = {
    "milestone_id": 2_000_000_001,
    "plan_task_id": 2_000_000_002,
    "unit_id": 2_000_000_003,
    "decomposition_id": 2_000_000_004,
    "rectification_id": 2_000_000_005,
}
SENTINEL_DAY = date(2099, 1, 1)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SENTINEL_RE = re.compile("|".join(str(v) for v in SENTINELS.values()))

#: Tables in foreign-key order, with the columns written.
COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": (
        "id",
        "organisation_id",
        "name",
        "full_name",
        "code",
        "kind",
        "active",
        "requires_head_signoff",
        "created_at",
    ),
    "user_account": (
        "id",
        "username",
        "display_name",
        "email",
        "unit_id",
        "password_hash",
        "active",
        "must_change_password",
        "failed_logins",
        "created_at",
    ),
    "user_role": ("user_id", "role"),
    "plan": (
        "id",
        "organisation_id",
        "title",
        "year",
        "issuing_body",
        "content_hash",
        "source_name",
        "status",
        "imported_at",
        "imported_by_id",
    ),
    "plan_section": ("id", "plan_id", "number", "title"),
    "plan_task": ("id", "plan_id", "section_id", "number", "title", "text", "supervision_number", "priority"),
    "plan_target": ("id", "task_id", "value", "unit", "comparator", "phrase", "span_start", "span_end"),
    "task_responsibility": ("id", "task_id", "role", "unit_id", "written_as", "position"),
    "decomposition": ("id", "plan_task_id", "unit_id", "status", "rounds_submitted"),
    "decomposition_round": (
        "id",
        "decomposition_id",
        "number",
        "note",
        "milestones",
        "submitted_by_id",
        "submitted_at",
    ),
    "milestone": (
        "id",
        "decomposition_id",
        "plan_task_id",
        "unit_id",
        "position",
        "title",
        "deliverable",
        "due_date",
        "owner_id",
        "status",
    ),
    "milestone_target": ("milestone_id", "plan_target_id"),
    "milestone_report": (
        "id",
        "milestone_id",
        "number",
        "progress",
        "percent_done",
        "submitted_by_id",
        "submitted_at",
    ),
    "target_actual": ("id", "report_id", "plan_target_id", "actual"),
    "review_record": (
        "id",
        "plan_task_id",
        "decomposition_round_id",
        "milestone_report_id",
        "step",
        "decision",
        "comments",
        "quality",
        "reviewer_id",
        "decided_at",
    ),
    "rectification": (
        "id",
        "plan_task_id",
        "milestone_id",
        "unit_id",
        "source",
        "review_record_id",
        "requirement",
        "due_date",
        "status",
        "opened_by_id",
        "opened_at",
    ),
    "rectification_problem": ("id", "rectification_id", "position", "text"),
    "workflow_instance": (
        "id",
        "spec_version_id",
        "plan_task_id",
        "kind",
        "decomposition_id",
        "milestone_id",
        "rectification_id",
        "status",
        "state",
        "completed_step_ids",
        "row_version",
        "created_at",
        "updated_at",
    ),
    "work_item": (
        "id",
        "instance_id",
        "engine_task_id",
        "step_id",
        "step_name",
        "form_key",
        "lane",
        "role",
        "unit_id",
        "context",
        "state",
        "due_at",
        "created_at",
        "completed_at",
        "completed_by_id",
    ),
    "urge": ("id", "work_item_id", "plan_task_id", "unit_id", "message", "sent_by_id", "sent_at"),
}
RETURN_COMMENTS = (
    "佐证材料不全,请补充。",
    "进展描述过于笼统,请量化说明。",
    "完成比例与实际不符,请核实。",
    "请补充阶段性成果文件。",
)
QUALITIES = (("excellent", 6), ("good", 10), ("fair", 3), ("poor", 1))


# ---------------------------------------------------------------- engine state templates


@dataclass
class Template:
    """One engine state shape: the instance row and its open work items, on sentinel ids."""

    state: str
    status: str
    completed_step_ids: list[str]
    items: list[dict[str, Any]]


def capture_templates() -> dict[str, Any]:
    """Run the real engine once per shape on sentinel ids, keep the states, roll everything back."""
    deploy_processes()
    db.session.commit()
    try:
        db.session.add(
            Unit(
                id=SENTINELS["unit_id"],
                organisation_id=_org_id(),
                name="模板",
                full_name="模板",
                code="bench-template",
                kind=UnitKind.DEPARTMENT,
            )
        )
        db.session.flush()
        templates: dict[str, Any] = {
            **_lifecycle_templates(),
            **_milestone_templates(),
            **_rectification_templates(),
        }
        templates["_versions"] = _spec_ids()
    finally:
        db.session.rollback()
    return templates


def _org_id() -> int:
    return db.session.scalar(text("SELECT min(id) FROM organisation"))


def _spec_ids() -> dict[str, int]:
    rows = db.session.execute(
        text("SELECT process_id, max(id) FROM process_spec_version GROUP BY process_id")
    )
    return {process: spec_id for process, spec_id in rows}


def _snap(instance_id: int) -> Template:
    """The instance as it stands; every open item's look is remembered for the completed copies."""
    db.session.flush()
    instance = db.session.get(WorkflowInstance, instance_id)
    items = []
    for item in open_work_items(instance_id):
        row = {
            key: getattr(item, key)
            for key in ("engine_task_id", "step_id", "step_name", "form_key", "lane", "context", "unit_id")
        }
        row["role"] = item.role.value if item.role is not None else None
        STEP_ROWS[item.step_id] = (item.step_id, item.step_name, item.form_key, item.lane, row["role"])
        items.append(row)
    return Template(instance.state, instance.status.value, list(instance.completed_step_ids), items)


def _complete(instance_id: int, data: dict[str, Any]) -> None:
    complete_work_item(open_work_items(instance_id)[0].id, None, data)


def _lifecycle_templates() -> dict[str, Template]:
    data = {key: SENTINELS[key] for key in ("plan_task_id", "unit_id", "decomposition_id")}
    instance_id = start_instance("task_lifecycle", data).id
    _snap(instance_id)
    _complete(instance_id, {})
    _snap(instance_id)
    _complete(instance_id, {"decision": "approve"})
    return {"lifecycle_waiting": _snap(instance_id)}


def _milestone_templates() -> dict[str, Template]:
    data = {key: SENTINELS[key] for key in ("milestone_id", "plan_task_id", "unit_id", "decomposition_id")}
    data |= {
        "due_at": end_of_day(SENTINEL_DAY).isoformat(),
        "cooperating_unit_ids": [],
        "head_signoff_required": False,
    }
    fresh = start_instance("milestone", data).id
    shapes = {"report_open": _snap(fresh)}
    _complete(fresh, {})
    shapes["review_open"] = _snap(fresh)
    _complete(fresh, {"decision": "return"})
    shapes["report_open_returned"] = _snap(fresh)
    _complete(fresh, {})
    _complete(fresh, {"decision": "approve"})
    shapes["approved"] = _snap(fresh)
    return shapes


def _rectification_templates() -> dict[str, Template]:
    data = {key: SENTINELS[key] for key in ("rectification_id", "plan_task_id", "unit_id")}
    data["due_at"] = end_of_day(SENTINEL_DAY).isoformat()
    instance_id = start_instance("rectification", data).id
    return {"rectification_plan": _snap(instance_id)}


def instantiate(template: Template, ids: dict[str, int], due: date | None) -> tuple[str, dict[str, str]]:
    """The template's state with this instance's ids, due date and fresh task UUIDs; the UUID map."""
    uuids: dict[str, str] = {}

    def fresh(match: re.Match[str]) -> str:
        return uuids.setdefault(match.group(0), str(uuid.uuid4()))

    by_sentinel = {str(SENTINELS[key]): str(value) for key, value in ids.items()}
    state = SENTINEL_RE.sub(
        lambda m: by_sentinel.get(m.group(0), m.group(0)), UUID_RE.sub(fresh, template.state)
    )
    if due is not None:
        state = state.replace(end_of_day(SENTINEL_DAY).isoformat(), end_of_day(due).isoformat())
    return state, uuids


def item_context(context: dict[str, Any], ids: dict[str, int]) -> str:
    by_sentinel = {SENTINELS[key]: value for key, value in ids.items()}
    return json.dumps({key: by_sentinel.get(value, value) for key, value in context.items()})


# ---------------------------------------------------------------- the sink: COPY batches or counts


@dataclass
class Sink:
    """Rows per table, written in foreign-key order by COPY every ``batch`` rows; counted on a dry run."""

    dry_run: bool
    batch: int = 50_000
    counts: dict[str, int] = field(default_factory=dict)
    buffers: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {name: [] for name in COLUMNS})
    next_ids: dict[str, int] = field(default_factory=dict)
    pending: int = 0

    def new_id(self, table: str) -> int:
        if table not in self.next_ids:
            start = (
                0 if self.dry_run else db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
            )
            self.next_ids[table] = start
        self.next_ids[table] += 1
        return self.next_ids[table]

    def add(self, table: str, row: dict[str, Any]) -> int | None:
        if "id" in COLUMNS[table] and "id" not in row:
            row["id"] = self.new_id(table)
        self.counts[table] = self.counts.get(table, 0) + 1
        if not self.dry_run:
            self.buffers[table].append(tuple(row.get(column) for column in COLUMNS[table]))
            self.pending += 1
            if self.pending >= self.batch:
                self.flush()
        return row.get("id")

    def flush(self) -> None:
        if self.dry_run:
            return
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            for table, rows in self.buffers.items():
                if rows:
                    with cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    rows.clear()
        self.pending = 0

    def finish(self) -> None:
        """Write what is left and move every id sequence past the ids written here."""
        self.flush()
        if self.dry_run:
            return
        for table in self.next_ids:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )


# ---------------------------------------------------------------- the generator


@dataclass
class Clock:
    """Dates of the generated year: 12 monthly deadlines on the 25th, the last one in the current month."""

    today: date
    now: datetime

    @classmethod
    def current(cls) -> Clock:
        now = datetime.now(UTC)
        return cls(now.astimezone(BEIJING).date(), now)

    def deadlines(self) -> list[date]:
        year, month = self.today.year, self.today.month
        days = []
        for back in range(MONTHS - 1, -1, -1):
            y, m = divmod(year * 12 + month - 1 - back, 12)
            days.append(date(y, m + 1, 25))
        return days

    def at(self, day: date, hour: int = 10) -> datetime:
        """A time on a Beijing day, never later than an hour ago."""
        moment = datetime.combine(day, time(hour), BEIJING).astimezone(UTC)
        return min(moment, self.now - timedelta(hours=1))


@dataclass
class Context:
    """What every row needs: the sink, the clock, the rng, ids of people, the templates."""

    sink: Sink
    clock: Clock
    rng: random.Random
    templates: dict[str, Any]
    supervisor_ids: list[int] = field(default_factory=list)
    liaison_of: dict[int, int] = field(default_factory=dict)
    rectifications_every: int = 150
    returned_reviews: int = 0


def generate(scale: int, dry_run: bool, templates: dict[str, Any], org_id: int = 1) -> dict[str, Any]:
    """Write the province (or count it, dry run); the plan id and the row counts."""
    clock = Clock.current()
    ctx = Context(Sink(dry_run), clock, random.Random(scale), templates)
    parsed = parse_text(PLAN_2023.read_text("utf-8"))
    bureau_units = _units_and_people(ctx, scale, org_id)
    imported = clock.at(clock.deadlines()[0] - timedelta(days=40))
    plan_id = ctx.sink.add(
        "plan",
        {
            "organisation_id": org_id,
            "title": f"全省市场监管工作要点(压测 {scale}×)",
            "year": clock.deadlines()[0].year,
            "issuing_body": "湖北省市场监督管理局",
            "content_hash": PLAN_HASH.format(scale=scale),
            "source_name": "压测",
            "status": "active",
            "imported_at": imported,
            "imported_by_id": ctx.supervisor_ids[0],
        },
    )
    sections = {
        s.number: ctx.sink.add("plan_section", {"plan_id": plan_id, "number": s.number, "title": s.title})
        for s in parsed.sections
    }
    number = 0
    for bureau, units in enumerate(bureau_units):
        for task in parsed.tasks:
            number += 1
            _task(ctx, plan_id, sections.get(task.section or 0), number, bureau, task, units, imported)
    ctx.sink.finish()
    return {"plan_id": plan_id, "rows": dict(ctx.sink.counts)}


def _units_and_people(ctx: Context, scale: int, org_id: int) -> list[list[int]]:
    """18 × scale bureaus of 6 units, a liaison and a head each; extra 督审处 and leader accounts."""
    sink, created = ctx.sink, ctx.clock.now
    password = "x" if sink.dry_run else hash_password(DEMO_PASSWORD)
    supervision_unit = (
        None if sink.dry_run else db.session.scalar(select(User.unit_id).where(User.username == "dushen"))
    )

    def person(username: str, name: str, unit_id: int | None, role: str) -> int:
        user_id = sink.add(
            "user_account",
            {
                "username": username,
                "display_name": name,
                "email": None,
                "unit_id": unit_id,
                "password_hash": password,
                "active": True,
                "must_change_password": False,
                "failed_logins": 0,
                "created_at": created,
            },
        )
        sink.add("user_role", {"user_id": user_id, "role": role})
        return user_id

    ctx.supervisor_ids = [
        person(SUPERVISOR.format(n=n), f"督审{n}", supervision_unit, "supervisor")
        for n in range(1, SUPERVISORS + 1)
    ]
    for n in range(1, LEADERS + 1):
        person(LEADER.format(n=n), f"领导{n}", None, "leader")
    bureaus = []
    for b in range(1, BUREAUS * scale + 1):
        units = []
        for u in range(1, UNITS_PER_BUREAU + 1):
            name = f"第{b}局{u}处"
            unit_id = sink.add(
                "unit",
                {
                    "organisation_id": org_id,
                    "name": name,
                    "full_name": f"压测第{b}局第{u}处",
                    "code": f"b{scale}-{b}-{u}",
                    "kind": "department",
                    "active": True,
                    "requires_head_signoff": False,
                    "created_at": created,
                },
            )
            ctx.liaison_of[unit_id] = person(f"bench_{b}_{u}", f"{name}联络员", unit_id, "liaison")
            person(f"bench_{b}_{u}_head", f"{name}负责人", unit_id, "unit_head")
            units.append(unit_id)
        bureaus.append(units)
    return bureaus


def _task(
    ctx: Context,
    plan_id: int,
    section_id: int | None,
    number: int,
    bureau: int,
    task: Any,
    units: list[int],
    imported: datetime,
) -> None:
    sink = ctx.sink
    task_id = sink.add(
        "plan_task",
        {
            "plan_id": plan_id,
            "section_id": section_id,
            "number": number,
            "title": task.title,
            "text": task.text,
            "supervision_number": f"督〔{ctx.clock.deadlines()[0].year}〕{number}号",
            "priority": ctx.rng.choices(("normal", "urgent", "critical"), (8, 2, 1))[0],
        },
    )
    targets = [
        (
            sink.add(
                "plan_target",
                {
                    "task_id": task_id,
                    "value": Decimal(str(t.value)),
                    "unit": t.unit,
                    "comparator": t.comparator,
                    "phrase": t.phrase,
                    "span_start": t.span[0],
                    "span_end": t.span[1],
                },
            ),
            Decimal(str(t.value)),
        )
        for t in task.targets
    ]
    responsible = ctx.rng.sample(units, RESPONSIBLE_PER_TASK)
    for position, unit_id in enumerate(responsible):
        sink.add(
            "task_responsibility",
            {
                "task_id": task_id,
                "role": "responsible",
                "unit_id": unit_id,
                "written_as": f"第{bureau + 1}局",
                "position": position,
            },
        )
    for unit_id in responsible:
        _decomposition(ctx, task_id, unit_id, targets, imported)


def _instance(
    ctx: Context,
    shape: str,
    process: str,
    task_id: int,
    about: tuple[str, int],
    ids: dict[str, int],
    due: date | None,
    created: datetime,
    item_due: datetime | None,
) -> tuple[int, list[int]]:
    """One instance copied from a template, with its open work items; the instance id and the items' ids."""
    template: Template = ctx.templates[shape]
    state, uuids = ("{}", {}) if ctx.sink.dry_run else instantiate(template, ids, due)
    instance_id = ctx.sink.add(
        "workflow_instance",
        {
            "spec_version_id": ctx.templates["_versions"].get(process),
            "plan_task_id": task_id,
            "kind": about[0],
            f"{about[0]}_id": about[1],
            "status": template.status,
            "state": state,
            "completed_step_ids": json.dumps(template.completed_step_ids),
            "row_version": 1,
            "created_at": created,
            "updated_at": created,
        },
    )
    item_ids = []
    for item in template.items:
        unit_id = ids["unit_id"] if item["unit_id"] == SENTINELS["unit_id"] else item["unit_id"]
        item_ids.append(
            ctx.sink.add(
                "work_item",
                {
                    "instance_id": instance_id,
                    "engine_task_id": uuids.get(item["engine_task_id"], str(uuid.uuid4())),
                    "step_id": item["step_id"],
                    "step_name": item["step_name"],
                    "form_key": item["form_key"],
                    "lane": item["lane"],
                    "role": item["role"],
                    "unit_id": unit_id,
                    "context": item_context(item["context"], ids),
                    "state": "open",
                    "due_at": item_due,
                    "created_at": created,
                },
            )
        )
    return instance_id, item_ids


def _done_item(
    ctx: Context,
    instance_id: int,
    step: tuple[str, str, str, str, str | None],
    unit_id: int | None,
    created: datetime,
    completed: datetime,
    by: int,
    context: dict[str, int],
    due: datetime | None,
) -> None:
    """A completed work item (its engine branch is pruned, so only the projection row remains)."""
    step_id, name, form_key, lane, role = step
    ctx.sink.add(
        "work_item",
        {
            "instance_id": instance_id,
            "engine_task_id": str(uuid.uuid4()),
            "step_id": step_id,
            "step_name": name,
            "form_key": form_key,
            "lane": lane,
            "role": role,
            "unit_id": unit_id,
            "context": json.dumps(context),
            "state": "completed",
            "due_at": due,
            "created_at": created,
            "completed_at": completed,
            "completed_by_id": by,
        },
    )


#: (step_id, name, form_key, lane, role) of every user step the templates saw open.
STEP_ROWS: dict[str, tuple[str, str, str | None, str | None, str | None]] = {}


def _decomposition(
    ctx: Context, task_id: int, unit_id: int, targets: list[tuple[int, Decimal]], imported: datetime
) -> None:
    sink, rng, clock = ctx.sink, ctx.rng, ctx.clock
    liaison, reviewer = ctx.liaison_of[unit_id], rng.choice(ctx.supervisor_ids)
    returned = rng.random() < 0.15
    decomposition_id = sink.add(
        "decomposition",
        {
            "plan_task_id": task_id,
            "unit_id": unit_id,
            "status": "confirmed",
            "rounds_submitted": 2 if returned else 1,
        },
    )
    ids = {"plan_task_id": task_id, "unit_id": unit_id, "decomposition_id": decomposition_id}
    lifecycle, _ = _instance(
        ctx,
        "lifecycle_waiting",
        "task_lifecycle",
        task_id,
        ("decomposition", decomposition_id),
        ids,
        None,
        imported,
        None,
    )
    deadlines = clock.deadlines()
    snapshot = json.dumps(
        [
            {
                "title": f"{d.month}月节点",
                "deliverable": f"{d.month}月工作进展及佐证材料",
                "due_date": d.isoformat(),
                "owner_id": liaison,
                "owner_name": "",
                "cooperating_unit_ids": [],
                "target_ids": [t for t, _ in targets],
            }
            for d in deadlines
        ],
        ensure_ascii=False,
    )
    moment = imported
    for round_number in range(1, 3 if returned else 2):
        submitted = moment + timedelta(days=rng.randint(3, 8))
        decided = submitted + timedelta(days=rng.randint(1, 4))
        round_id = sink.add(
            "decomposition_round",
            {
                "decomposition_id": decomposition_id,
                "number": round_number,
                "note": None,
                "milestones": snapshot,
                "submitted_by_id": liaison,
                "submitted_at": submitted,
            },
        )
        approve = round_number == (2 if returned else 1)
        sink.add(
            "review_record",
            {
                "plan_task_id": task_id,
                "decomposition_round_id": round_id,
                "step": "decomposition_review",
                "decision": "approve" if approve else "return",
                "comments": None if approve else "节点过粗,请按月细化。",
                "quality": None,
                "reviewer_id": reviewer,
                "decided_at": decided,
            },
        )
        _done_item(
            ctx,
            lifecycle,
            STEP_ROWS["decompose"],
            unit_id,
            moment,
            submitted,
            liaison,
            ids,
            moment + timedelta(days=14),
        )
        _done_item(
            ctx,
            lifecycle,
            STEP_ROWS["review_decomposition"],
            None,
            submitted,
            decided,
            reviewer,
            ids,
            submitted + timedelta(days=7),
        )
        moment = decided
    for position, due in enumerate(deadlines):
        _milestone(ctx, ids | {"liaison": liaison}, position, due, targets, moment)


def _plan_outcome(rng: random.Random, due: date, today: date) -> tuple[str, int]:
    """(approved | review | open, returned rounds before the last one) for a milestone due on ``due``."""
    if due < today:
        roll = rng.random()
        if roll < 0.78:
            return "approved", rng.choices((0, 1, 2, 3), (40, 32, 20, 8))[0]
        if roll < 0.88:
            return "review", rng.choices((0, 1, 2), (60, 30, 10))[0]
        return "open", rng.choices((0, 1), (60, 40))[0]
    roll = rng.random()
    return ("review", 0) if roll < 0.25 else ("approved", 0) if roll < 0.35 else ("open", 0)


def _milestone(
    ctx: Context,
    ids: dict[str, int],
    position: int,
    due: date,
    targets: list[tuple[int, Decimal]],
    started: datetime,
) -> None:
    sink, rng, clock = ctx.sink, ctx.rng, ctx.clock
    outcome, returns = _plan_outcome(rng, due, clock.today)
    task_id, unit_id, liaison = ids["plan_task_id"], ids["unit_id"], ids["liaison"]
    milestone_id = sink.add(
        "milestone",
        {
            "decomposition_id": ids["decomposition_id"],
            "plan_task_id": task_id,
            "unit_id": unit_id,
            "position": position,
            "title": f"{due.month}月节点",
            "deliverable": f"{due.month}月工作进展及佐证材料",
            "due_date": due,
            "owner_id": liaison,
            "status": {"approved": "approved", "review": "reported"}.get(outcome, "in_progress"),
        },
    )
    for target_id, _ in targets:
        sink.add("milestone_target", {"milestone_id": milestone_id, "plan_target_id": target_id})
    m_ids = {key: ids[key] for key in ("plan_task_id", "unit_id", "decomposition_id")} | {
        "milestone_id": milestone_id
    }
    shape = {"approved": "approved", "review": "review_open"}.get(outcome) or (
        "report_open_returned" if returns else "report_open"
    )
    rounds = returns + (0 if outcome == "open" else 1)
    times = _round_times(rng, clock, due, rounds, outcome, started)
    last_decided = times[-1][1] if times and times[-1][1] else started
    item_created = times[-1][0] if outcome == "review" else last_decided
    item_due = end_of_day(due) if outcome == "open" else item_created + timedelta(days=7)
    instance_id, open_items = _instance(
        ctx,
        shape,
        "milestone",
        task_id,
        ("milestone", milestone_id),
        m_ids,
        due,
        item_created,
        None if outcome == "approved" else item_due,
    )
    reviewer = rng.choice(ctx.supervisor_ids)
    opened = started
    for number, (submitted, decided) in enumerate(times, start=1):
        final = number == rounds and outcome != "open"
        percent = 100 if final and outcome == "approved" else min(95, 30 + 8 * position + rng.randint(0, 20))
        report_id = sink.add(
            "milestone_report",
            {
                "milestone_id": milestone_id,
                "number": number,
                "progress": f"{due.month}月按计划推进,完成阶段性工作。",
                "percent_done": percent,
                "submitted_by_id": liaison,
                "submitted_at": submitted,
            },
        )
        for target_id, value in targets:
            share = Decimal(position + 1) / MONTHS * Decimal(str(round(rng.uniform(0.8, 1.15), 2)))
            sink.add(
                "target_actual",
                {
                    "report_id": report_id,
                    "plan_target_id": target_id,
                    "actual": (value * share).quantize(Decimal("0.01")),
                },
            )
        _done_item(
            ctx, instance_id, STEP_ROWS["report"], unit_id, opened, submitted, liaison, m_ids, end_of_day(due)
        )
        if decided is None:
            continue
        approve = final
        review_id = sink.add(
            "review_record",
            {
                "plan_task_id": task_id,
                "milestone_report_id": report_id,
                "step": "report_review",
                "decision": "approve" if approve else "return",
                "comments": None if approve else rng.choice(RETURN_COMMENTS),
                "quality": rng.choices(*zip(*QUALITIES, strict=False))[0] if approve else None,
                "reviewer_id": reviewer,
                "decided_at": decided,
            },
        )
        _done_item(
            ctx,
            instance_id,
            STEP_ROWS["review"],
            None,
            submitted,
            decided,
            reviewer,
            m_ids,
            submitted + timedelta(days=7),
        )
        if not approve:
            ctx.returned_reviews += 1
            if ctx.returned_reviews % ctx.rectifications_every == 0:
                _rectification(ctx, m_ids, review_id, decided)
        opened = decided
    if outcome == "open" and due < clock.today and rng.random() < 0.5:
        _urges(ctx, open_items[0], task_id, unit_id, due)


def _round_times(
    rng: random.Random, clock: Clock, due: date, rounds: int, outcome: str, started: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(submitted, decided) per report round, oldest first; the pending review's last round is undecided."""
    if rounds == 0:
        return []
    if outcome == "review":
        last = clock.at(clock.today - timedelta(days=rng.randint(1, 10)))
    elif rng.random() < 0.85 or due >= clock.today:
        last = clock.at(due - timedelta(days=rng.randint(0, 10)))
    else:
        last = clock.at(due + timedelta(days=rng.randint(1, 20)))
    times: list[tuple[datetime, datetime | None]] = []
    moment = last
    for back in range(rounds):
        decided = (
            None
            if (back == 0 and outcome == "review")
            else min(moment + timedelta(days=rng.randint(1, 5)), clock.now - timedelta(minutes=30))
        )
        times.append((max(moment, started + timedelta(hours=1)), decided))
        moment = moment - timedelta(days=rng.randint(4, 9))
    return times[::-1]


def _rectification(ctx: Context, ids: dict[str, int], review_id: int, decided: datetime) -> None:
    """Open from a returned review; waits for the unit's 整改方案."""
    sink, clock = ctx.sink, ctx.clock
    opened = min(decided + timedelta(days=1), clock.now - timedelta(minutes=20))
    due = clock.today + timedelta(days=20)
    rect_id = sink.add(
        "rectification",
        {
            "plan_task_id": ids["plan_task_id"],
            "milestone_id": ids["milestone_id"],
            "unit_id": ids["unit_id"],
            "source": "report_review",
            "review_record_id": review_id,
            "requirement": "限期补齐佐证材料并说明原因。",
            "due_date": due,
            "status": "planning",
            "opened_by_id": ctx.supervisor_ids[0],
            "opened_at": opened,
        },
    )
    sink.add("rectification_problem", {"rectification_id": rect_id, "position": 0, "text": "报送材料不全。"})
    r_ids = {"rectification_id": rect_id, "plan_task_id": ids["plan_task_id"], "unit_id": ids["unit_id"]}
    _instance(
        ctx,
        "rectification_plan",
        "rectification",
        ids["plan_task_id"],
        ("rectification", rect_id),
        r_ids,
        due,
        opened,
        opened + timedelta(days=7),
    )


def _urges(ctx: Context, item_id: int, task_id: int, unit_id: int, due: date) -> None:
    """催办 on the overdue report item."""
    for n in range(ctx.rng.randint(1, 3)):
        ctx.sink.add(
            "urge",
            {
                "work_item_id": item_id,
                "plan_task_id": task_id,
                "unit_id": unit_id,
                "message": "该节点已逾期,请尽快报送进展。",
                "sent_by_id": ctx.supervisor_ids[0],
                "sent_at": ctx.clock.at(due + timedelta(days=3 + 5 * n)),
            },
        )


def dry_templates() -> dict[str, Any]:
    """Stand-ins for a dry run (no database): one open item where the real shape has one."""

    def shape(*steps: tuple[str, str]) -> Template:
        return Template(
            "{}",
            "running",
            [],
            [
                {
                    "engine_task_id": "x",
                    "step_id": s,
                    "step_name": n,
                    "form_key": s,
                    "lane": None,
                    "role": None,
                    "context": {},
                    "unit_id": None,
                }
                for s, n in steps
            ],
        )

    templates: dict[str, Any] = {
        "lifecycle_waiting": Template("{}", "waiting", [], []),
        "approved": Template("{}", "completed", [], []),
        "report_open": shape(("report", "报送进展")),
        "report_open_returned": shape(("report", "报送进展")),
        "review_open": shape(("review", "督审处审核")),
        "rectification_plan": shape(("plan", "报送整改方案")),
        "_versions": {},
    }
    for step, name in (
        ("decompose", "分解任务"),
        ("review_decomposition", "审核分解"),
        ("report", "报送进展"),
        ("review", "督审处审核"),
    ):
        STEP_ROWS[step] = (step, name, step, None, None)
    return templates
