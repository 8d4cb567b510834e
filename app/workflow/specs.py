"""Diagram versions: deploy ``processes/*.bpmn`` once per content hash, and cache parsed specs.

A version row is immutable, so a parsed spec is cached in-process under
(process_id, sha256): the content, not the row id, so the cache can never serve
another diagram for a reused id, and every process agrees without invalidation.
The BPMN text is a deferred column: a step reads the version row without it and
loads it only when this process has not parsed that content yet.
"""
from __future__ import annotations

import re
import threading
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, case, cast, func, or_, select

from app.errors import NotFound
from app.extensions import db
from app.models.plan import Plan, PlanTask
from app.models.user import Role
from app.models.workflow import BindingScope, ProcessBinding, ProcessSpecVersion
from app.workflow.diagrams import ParsedDiagram, check_human_steps, parse_diagram, viewable_xml
from app.workflow.diff import SpecChanges, diff_specs
from app.workflow.upload import DiagramCheck, check_diagram

#: The repository's diagrams.
PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
#: Roles a human step may name in its ``role`` property.
STEP_ROLES = {Role.LIAISON.value, Role.SUPERVISOR.value, Role.UNIT_HEAD.value}

_CACHE: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}
_CACHE_LOCK = threading.Lock()
_ENCODING = re.compile(r"""^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def deploy_processes(directory: Path = PROCESSES_DIR) -> list[ProcessSpecVersion]:
    """Store every ``*.bpmn`` of ``directory`` whose content is new (idempotent); returns the current versions."""
    versions: list[ProcessSpecVersion] = []
    for path in sorted(directory.glob("*.bpmn")):
        versions.extend(deploy_diagram(path.read_bytes(), path.name))
    return versions


def deploy_diagram(data: bytes, source: str) -> list[ProcessSpecVersion]:
    """Validate a diagram and store each executable process in it once; a changed file becomes a new version.

    :raises ValidationFailed: when the diagram is not valid or not usable by Duban.
    """
    parsed = parse_diagram(data, source)
    check_human_steps(parsed, source, STEP_ROLES)
    return [row for row, _ in store_diagram(parsed, data, source)]


def check_upload(data: bytes, source: str) -> DiagramCheck:
    """Every check an uploaded diagram must pass, stage by stage; only new versions of deployed processes."""
    deployed = db.session.scalars(select(ProcessSpecVersion.process_id).distinct())
    return check_diagram(data, source, deployed, STEP_ROLES)


def store_diagram(parsed: ParsedDiagram, data: bytes, source: str) -> list[tuple[ProcessSpecVersion, bool]]:
    """Store each executable process of a checked diagram; each version with whether it is new."""
    digest = sha256(data).hexdigest()
    text = data.decode(_declared_encoding(data))
    return [_store(pid, digest, text, source) for pid in parsed.process_ids]


def _store(process_id: str, digest: str, text: str, source: str) -> tuple[ProcessSpecVersion, bool]:
    """The version with this content, created as the next version number when it is new."""
    found = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id=process_id, sha256=digest))
    if found is not None:
        return found, False
    newest = db.session.scalar(select(func.max(ProcessSpecVersion.version)).filter_by(process_id=process_id))
    row = ProcessSpecVersion(
        process_id=process_id, version=(newest or 0) + 1, sha256=digest, source_name=source, bpmn_xml=text
    )
    db.session.add(row)
    db.session.flush()
    return row, True


def latest_version(process_id: str) -> ProcessSpecVersion:
    """The newest deployed version of ``process_id``.

    :raises NotFound: when the process was never deployed.
    """
    row = db.session.scalar(
        select(ProcessSpecVersion).filter_by(process_id=process_id).order_by(ProcessSpecVersion.version.desc()).limit(1)
    )
    if row is None:
        raise NotFound(f"流程 {process_id} 尚未部署。")
    return row


def version_for(process_id: str, plan_task_id: int | None = None) -> ProcessSpecVersion:
    """The version a new instance of ``process_id`` (for ``plan_task_id``) starts on, in one statement.

    A version bound to the task's plan wins, then one bound to its plan's source (领导批示 …), then one
    bound to its priority (特急 …), then the process's default binding; without any, the newest version.

    :raises NotFound: when the process was never deployed.
    """
    candidates = [_default_binding(process_id)]
    if plan_task_id is not None:
        candidates.insert(0, _scope_binding(process_id, plan_task_id))
    newest = (select(ProcessSpecVersion.id).where(ProcessSpecVersion.process_id == process_id)
              .order_by(ProcessSpecVersion.version.desc()).limit(1).scalar_subquery())
    row = db.session.scalar(select(ProcessSpecVersion)
                            .where(ProcessSpecVersion.id == func.coalesce(*candidates, newest)))
    if row is None:
        raise NotFound(f"流程 {process_id} 尚未部署。")
    return row


def _default_binding(process_id: str) -> Any:
    return (select(ProcessBinding.spec_version_id)
            .where(ProcessBinding.process_id == process_id, ProcessBinding.scope_kind == BindingScope.DEFAULT)
            .scalar_subquery())


def scope_tasks(kind: str, value: str) -> Any:
    """SELECT of the ids of the plan tasks in a scope (a plan id, an item source, a priority)."""
    column = {BindingScope.PLAN: cast(Plan.id, String), BindingScope.SOURCE: cast(Plan.kind, String),
              BindingScope.PRIORITY: cast(PlanTask.priority, String)}[BindingScope(kind)]
    return select(PlanTask.id).join(Plan, Plan.id == PlanTask.plan_id).where(column == value)


def _scope_binding(process_id: str, plan_task_id: int) -> Any:
    rank = case((ProcessBinding.scope_kind == BindingScope.PLAN, 0),
                (ProcessBinding.scope_kind == BindingScope.SOURCE, 1), else_=2)
    return (select(ProcessBinding.spec_version_id)
            .join(PlanTask, PlanTask.id == plan_task_id).join(Plan, Plan.id == PlanTask.plan_id)
            .where(ProcessBinding.process_id == process_id, or_(
                and_(ProcessBinding.scope_kind == BindingScope.PLAN,
                     ProcessBinding.scope_value == cast(Plan.id, String)),
                and_(ProcessBinding.scope_kind == BindingScope.SOURCE,
                     ProcessBinding.scope_value == cast(Plan.kind, String)),
                and_(ProcessBinding.scope_kind == BindingScope.PRIORITY,
                     ProcessBinding.scope_value == cast(PlanTask.priority, String))))
            .order_by(rank).limit(1).scalar_subquery())


def spec_for(version: ProcessSpecVersion) -> tuple[Any, dict[str, Any]]:
    """The parsed (spec, subprocess specs) of a stored version, parsed once per process."""
    key = (version.process_id, version.sha256)
    cached = _CACHE.get(key)
    if cached is None:
        parsed = parse_diagram(_xml_bytes(version.bpmn_xml), version.source_name)
        cached = (parsed.specs[version.process_id], parsed.subprocess_specs[version.process_id])
        with _CACHE_LOCK:
            _CACHE.setdefault(key, cached)
    return cached


def diff_with_current(parsed: ParsedDiagram) -> list[tuple[ProcessSpecVersion, SpecChanges]]:
    """Each process of a parsed diagram against its current version (processes never deployed are left out)."""
    found = []
    for pid in parsed.process_ids:
        current = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id=pid)
                                    .order_by(ProcessSpecVersion.version.desc()).limit(1))
        if current is not None:
            found.append((current, diff_specs(pid, spec_for(current)[0], parsed.specs[pid])))
    return found


def process_name(version: ProcessSpecVersion) -> str:
    """The process's name in the diagram (its id when it has none)."""
    return str(spec_for(version)[0].description or version.process_id)


def _declared_encoding(data: bytes) -> str:
    """The encoding named in the XML declaration (UTF-8 when none is)."""
    match = _ENCODING.match(data[:200].decode("ascii", errors="replace"))
    return match.group(1) if match else "utf-8"


def diagram_xml(version: ProcessSpecVersion) -> bytes:
    """The version's diagram as the viewer shows it to users (``viewable_xml``)."""
    return viewable_xml(_xml_bytes(version.bpmn_xml))


def _xml_bytes(text: str) -> bytes:
    """The stored text as the bytes it was deployed from."""
    return text.encode(_declared_encoding(text.encode("utf-8", errors="replace")))
