"""The search index (``search_entry``), kept in step with what it indexes.

Every flush that adds, changes or deletes an indexed row rewrites that row's entry in the same transaction
(``after_flush``), so the index commits or rolls back with the change. ``rebuild`` writes every entry anew
(``duban search rebuild``, migration 0022). On SQLite, triggers created by the migration copy each entry into
the FTS5 tables.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Select, delete, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction, aliased

from app.models import (
    CooperatingContribution,
    Milestone,
    MilestoneReport,
    Plan,
    PlanTask,
    Rectification,
    RectificationProblem,
    RectificationSubmission,
    ReviewDecision,
    ReviewRecord,
    SearchEntry,
    TaskComment,
    TaskResponsibility,
    Unit,
    UnitGroup,
)
from app.models.lifecycle import step_label

#: What each kind of entry is called on the results page, in ranking order among equals.
KIND_LABELS = {
    "task": "任务",
    "milestone": "节点",
    "report": "进展报告",
    "review": "审核意见",
    "rectification": "整改",
    "comment": "任务留言",
}

#: A query of any columns.
AnySelect = Select[*tuple[Any, ...]]
#: An entry: (kind, source id) -> its column values.
Entry = dict[str, Any]
Key = tuple[str, int]


def grams(text: str) -> str:
    """The distinct one- and two-character grams of the letters and digits in ``text``, lower-case.

    Punctuation and spaces break runs: "抽检、快检" gives 抽 检 快 抽检 快检 but not 检快.
    """
    found: set[str] = set()
    previous = ""
    for char in text.lower():
        if unicodedata.category(char)[0] in "LN":
            found.add(char)
            if previous:
                found.add(previous + char)
            previous = char
        else:
            previous = ""
    return " ".join(sorted(found))


def _entry(kind: str, source_id: int, task: Any, title: str, parts: Iterable[str | None]) -> Entry:
    """An entry whose document is the title, then ``parts`` (the text first: excerpts show the first match)."""
    document = "\n".join(part for part in (title, *parts) if part)
    return {
        "kind": kind, "source_id": source_id, "plan_task_id": task.task_id, "task_number": task.task_number,
        "plan_year": task.plan_year, "title": title[:500], "document": document, "grams": grams(document),
    }


def _with_task(query: AnySelect, task_id_column: Any) -> AnySelect:
    """``query`` with the task's id, number and plan year beside each row."""
    task = aliased(PlanTask)
    return query.add_columns(
        task.id.label("task_id"), task.number.label("task_number"), Plan.year.label("plan_year"),
    ).join(task, task.id == task_id_column).join(Plan, Plan.id == task.plan_id)


def _grouped(conn: Connection, query: AnySelect) -> dict[int, list[str]]:
    """(owner id, text) rows -> owner id -> texts in order."""
    found: dict[int, list[str]] = defaultdict(list)
    for owner_id, text in conn.execute(query):
        found[owner_id].append(text)
    return found


def _restrict(query: AnySelect, column: Any, ids: set[int] | None) -> AnySelect:
    return query if ids is None else query.where(column.in_(ids))


def _tasks(conn: Connection, ids: set[int] | None) -> Iterator[Entry]:
    holder = select(TaskResponsibility.task_id, Unit.name, UnitGroup.name, TaskResponsibility.written_as) \
        .outerjoin(Unit, Unit.id == TaskResponsibility.unit_id) \
        .outerjoin(UnitGroup, UnitGroup.id == TaskResponsibility.group_id).order_by(TaskResponsibility.position)
    units: dict[int, list[str]] = defaultdict(list)
    for task_id, unit, group, written in conn.execute(_restrict(holder, TaskResponsibility.task_id, ids)):
        units[task_id].append(unit or group or written)
    query = _with_task(select(PlanTask.title, PlanTask.text, PlanTask.supervision_number), PlanTask.id)
    for row in conn.execute(_restrict(query, PlanTask.id, ids)):
        yield _entry("task", row.task_id, row, row.title, [row.text, row.supervision_number, *units[row.task_id]])


def _milestones(conn: Connection, ids: set[int] | None) -> Iterator[Entry]:
    query = _with_task(select(Milestone.id, Milestone.title, Milestone.deliverable, Unit.name.label("unit"))
                       .join(Unit, Unit.id == Milestone.unit_id), Milestone.plan_task_id)
    for row in conn.execute(_restrict(query, Milestone.id, ids)):
        yield _entry("milestone", row.id, row, row.title, [row.deliverable, row.unit])


def _reports(conn: Connection, ids: set[int] | None) -> Iterator[Entry]:
    contributions = _grouped(conn, _restrict(
        select(CooperatingContribution.report_id, CooperatingContribution.text).order_by(CooperatingContribution.id),
        CooperatingContribution.report_id, ids))
    query = _with_task(select(MilestoneReport.id, MilestoneReport.number, MilestoneReport.progress,
                              MilestoneReport.problems, MilestoneReport.next_steps, MilestoneReport.coordination,
                              Milestone.title.label("milestone"), Unit.name.label("unit"))
                       .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
                       .join(Unit, Unit.id == Milestone.unit_id), Milestone.plan_task_id)
    for row in conn.execute(_restrict(query, MilestoneReport.id, ids)):
        title = f"{row.milestone} 第{row.number}次进展报告"
        yield _entry("report", row.id, row, title, [row.progress, row.problems, row.next_steps, row.coordination,
                                                   *contributions[row.id], row.unit])


def _reviews(conn: Connection, ids: set[int] | None) -> Iterator[Entry]:
    query = _with_task(select(ReviewRecord.id, ReviewRecord.step, ReviewRecord.decision, ReviewRecord.comments)
                       .where(ReviewRecord.comments.is_not(None), ReviewRecord.comments != ""),
                       ReviewRecord.plan_task_id)
    for row in conn.execute(_restrict(query, ReviewRecord.id, ids)):
        title = f"{step_label(row.step)}{ReviewDecision(row.decision).label}意见"
        yield _entry("review", row.id, row, title, [row.comments])


def _rectifications(conn: Connection, ids: set[int] | None) -> Iterator[Entry]:
    problems = _grouped(conn, _restrict(
        select(RectificationProblem.rectification_id, RectificationProblem.text)
        .order_by(RectificationProblem.position), RectificationProblem.rectification_id, ids))
    submissions = _grouped(conn, _restrict(
        select(RectificationSubmission.rectification_id, RectificationSubmission.text)
        .order_by(RectificationSubmission.id), RectificationSubmission.rectification_id, ids))
    query = _with_task(select(Rectification.id, Rectification.requirement, Unit.name.label("unit"))
                       .join(Unit, Unit.id == Rectification.unit_id), Rectification.plan_task_id)
    for row in conn.execute(_restrict(query, Rectification.id, ids)):
        title = f"{row.unit}整改"
        yield _entry("rectification", row.id, row, title,
                     [*problems[row.id], row.requirement, *submissions[row.id]])


def _comments(conn: Connection, ids: set[int] | None) -> Iterator[Entry]:
    query = _with_task(select(TaskComment.id, TaskComment.body), TaskComment.plan_task_id)
    for row in conn.execute(_restrict(query, TaskComment.id, ids)):
        yield _entry("comment", row.id, row, "任务留言", [row.body])


BUILDERS: dict[str, Callable[[Connection, set[int] | None], Iterator[Entry]]] = {
    "task": _tasks, "milestone": _milestones, "report": _reports, "review": _reviews,
    "rectification": _rectifications, "comment": _comments,
}

#: Which entry an indexed row feeds: model -> (kind, the attribute holding that entry's source id).
FEEDS: dict[type, tuple[str, str]] = {
    PlanTask: ("task", "id"),
    TaskResponsibility: ("task", "task_id"),
    Milestone: ("milestone", "id"),
    MilestoneReport: ("report", "id"),
    CooperatingContribution: ("report", "report_id"),
    Rectification: ("rectification", "id"),
    RectificationProblem: ("rectification", "rectification_id"),
    RectificationSubmission: ("rectification", "rectification_id"),
    ReviewRecord: ("review", "id"),
    TaskComment: ("comment", "id"),
}


def refresh(conn: Connection, keys: dict[str, set[int]]) -> None:
    """Rewrite the entries of ``keys`` (kind -> source ids) from their sources; gone sources lose theirs."""
    for kind, ids in keys.items():
        if not ids:
            continue
        conn.execute(delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.source_id.in_(ids)))
        rows = list(BUILDERS[kind](conn, ids))
        if rows:
            conn.execute(insert(SearchEntry), rows)


#: Each kind's source ids within some tasks (``refresh_tasks``).
_OF_TASKS: dict[str, Callable[[set[int]], AnySelect]] = {
    "task": lambda tasks: select(PlanTask.id).where(PlanTask.id.in_(tasks)),
    "milestone": lambda tasks: select(Milestone.id).where(Milestone.plan_task_id.in_(tasks)),
    "report": lambda tasks: select(MilestoneReport.id).join(Milestone, Milestone.id == MilestoneReport.milestone_id)
    .where(Milestone.plan_task_id.in_(tasks)),
    "review": lambda tasks: select(ReviewRecord.id).where(ReviewRecord.plan_task_id.in_(tasks)),
    "rectification": lambda tasks: select(Rectification.id).where(Rectification.plan_task_id.in_(tasks)),
    "comment": lambda tasks: select(TaskComment.id).where(TaskComment.plan_task_id.in_(tasks)),
}


def refresh_tasks(conn: Connection, task_ids: set[int]) -> None:
    """Rewrite every entry of the tasks ``task_ids`` (what a deferred step flush left to the fan-out)."""
    if not task_ids:
        return
    conn.execute(delete(SearchEntry).where(SearchEntry.plan_task_id.in_(task_ids)))
    rows = [row for kind, builder in BUILDERS.items()
            for row in builder(conn, set(conn.scalars(_OF_TASKS[kind](task_ids))))]
    if rows:
        conn.execute(insert(SearchEntry), rows)


def defer_task(session: Session, task_id: int) -> None:
    """Until the transaction ends, the session's flushes leave the task's entries to ``refresh_tasks`` (a step's
    fan-out re-indexes its task), so the step itself writes none; other tasks' rows are indexed as they flush."""
    session.info.setdefault(_DEFERRED, set()).add(task_id)


def rebuild(conn: Connection, batch: int = 2000) -> int:
    """Write every entry anew; returns how many there are."""
    conn.execute(delete(SearchEntry))
    count = 0
    for builder in BUILDERS.values():
        rows: list[Entry] = []
        for row in builder(conn, None):
            rows.append(row)
            if len(rows) >= batch:
                conn.execute(insert(SearchEntry), rows)
                count, rows = count + len(rows), []
        if rows:
            conn.execute(insert(SearchEntry), rows)
            count += len(rows)
    return count


_DEFERRED = "search_index_deferred_tasks"

#: How to find, without a query, the task of a row that feeds the index: its own column, or the task of a
#: parent row the session holds (None when it holds none: the row is then indexed at once, to be safe).
_TASK_OF: dict[type, Callable[[Session, Any], int | None]] = {
    PlanTask: lambda session, row: row.id,
    TaskResponsibility: lambda session, row: row.task_id,
    Milestone: lambda session, row: row.plan_task_id,
    ReviewRecord: lambda session, row: row.plan_task_id,
    Rectification: lambda session, row: row.plan_task_id,
    TaskComment: lambda session, row: row.plan_task_id,
    MilestoneReport: lambda session, row: _held_task(session, Milestone, row.milestone_id),
    CooperatingContribution: lambda session, row: _held_task(session, MilestoneReport, row.report_id),
    RectificationProblem: lambda session, row: _held_task(session, Rectification, row.rectification_id),
    RectificationSubmission: lambda session, row: _held_task(session, Rectification, row.rectification_id),
}


def _held_task(session: Session, model: type, row_id: int | None) -> int | None:
    parent = session.identity_map.get(session.identity_key(model, row_id)) if row_id is not None else None
    return _TASK_OF[model](session, parent) if parent is not None else None


def _changed_keys(session: Session) -> dict[str, set[int]]:
    deferred: set[int] = session.info.get(_DEFERRED, set())
    keys: dict[str, set[int]] = defaultdict(set)
    for obj in (*session.new, *session.dirty, *session.deleted):
        feed = FEEDS.get(type(obj))
        if feed is None or (deferred and _TASK_OF[type(obj)](session, obj) in deferred):
            continue
        source_id = getattr(obj, feed[1])
        if source_id is not None:
            keys[feed[0]].add(source_id)
    return keys


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    keys = _changed_keys(session)
    if keys:
        refresh(session.connection(), keys)


def install() -> None:
    """Keep the index in step with every session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_transaction_end", _forget_deferral)


def _forget_deferral(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint within it
        session.info.pop(_DEFERRED, None)
