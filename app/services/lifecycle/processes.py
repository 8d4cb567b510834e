"""流程管理: the administrator's view of the deployed diagrams, and uploading a new version.

An uploaded diagram is checked completely (app/workflow/upload.py) before anything is stored;
a refused one leaves the database as it was. The newest version of a process is its current one:
new instances start on it, running ones stay on the version they started on.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.models import ProcessSpecVersion, User, WorkflowInstance, WorkflowStatus
from app.services.infrastructure import audit
from app.workflow.specs import check_upload, process_name, store_diagram
from app.workflow.upload import DiagramCheck

__all__ = ["DiagramCheck", "ProcessSummary", "VersionSummary", "check_upload", "deploy_upload",
           "process_overview", "version_of"]


@dataclass(frozen=True)
class VersionSummary:
    """One stored version with the number of its unfinished instances."""

    row: ProcessSpecVersion
    live: int
    current: bool


@dataclass(frozen=True)
class ProcessSummary:
    """One process with its versions, newest first."""

    process_id: str
    name: str
    versions: list[VersionSummary]

    @property
    def current(self) -> VersionSummary:
        return self.versions[0]


def process_overview() -> list[ProcessSummary]:
    """Every deployed process, its versions and how many instances still run on each."""
    live = dict(db.session.execute(
        select(WorkflowInstance.spec_version_id, func.count())
        .where(WorkflowInstance.status != WorkflowStatus.COMPLETED)
        .group_by(WorkflowInstance.spec_version_id)).all())
    rows = db.session.scalars(
        select(ProcessSpecVersion).order_by(ProcessSpecVersion.process_id, ProcessSpecVersion.version.desc()))
    grouped: dict[str, list[ProcessSpecVersion]] = {}
    for row in rows:
        grouped.setdefault(row.process_id, []).append(row)
    return [
        ProcessSummary(pid, process_name(versions[0]),
                       [VersionSummary(row, live.get(row.id, 0), index == 0) for index, row in enumerate(versions)])
        for pid, versions in grouped.items()
    ]


def version_of(process_id: str, version: int) -> ProcessSpecVersion:
    """One stored version.

    :raises NotFound: when there is no such version.
    """
    row = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id=process_id, version=version))
    if row is None:
        raise NotFound(f"流程 {process_id} 没有第 {version} 版。")
    return row


def deploy_upload(data: bytes, source: str, actor: User | None) -> list[tuple[ProcessSpecVersion, bool]]:
    """Check and store an uploaded diagram; each stored version with whether it is new (audited).

    :raises ValidationFailed: listing every problem found; nothing is stored then.
    """
    parsed = check_upload(data, source).raise_if_refused()
    stored = store_diagram(parsed, data, source)
    for row, new in stored:
        if new:
            audit.record(actor, "process_spec_version", row.id, "deploy", None,
                         {"process_id": row.process_id, "version": row.version, "sha256": row.sha256,
                          "source_name": row.source_name})
    return stored
