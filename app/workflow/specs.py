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

from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.models.user import Role
from app.models.workflow import ProcessSpecVersion
from app.workflow.diagrams import check_human_steps, parse_diagram, viewable_xml

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
    digest = sha256(data).hexdigest()
    text = data.decode(_declared_encoding(data))
    return [_store(pid, digest, text, source) for pid in parsed.process_ids]


def _store(process_id: str, digest: str, text: str, source: str) -> ProcessSpecVersion:
    """The version with this content, created as the next version number when it is new."""
    found = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id=process_id, sha256=digest))
    if found is not None:
        return found
    newest = db.session.scalar(select(func.max(ProcessSpecVersion.version)).filter_by(process_id=process_id))
    row = ProcessSpecVersion(
        process_id=process_id, version=(newest or 0) + 1, sha256=digest, source_name=source, bpmn_xml=text
    )
    db.session.add(row)
    db.session.flush()
    return row


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
