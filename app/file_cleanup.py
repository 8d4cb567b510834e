"""Files written during a transaction are deleted if the transaction rolls back.

An attachment is written before the step's transaction commits; if anything after
it fails, the rows vanish with the rollback and so must the files.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "duban_new_files"


def remember_new_file(session: Session, path: Path) -> None:
    """Delete ``path`` if ``session``'s transaction rolls back."""
    session.info.setdefault(_KEY, []).append(path)


def _keep(session: Session) -> None:
    session.info.pop(_KEY, None)


def _delete(session: Session) -> None:
    for path in session.info.pop(_KEY, []):
        path.unlink(missing_ok=True)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_commit", _keep):
        event.listen(Session, "after_commit", _keep)
        event.listen(Session, "after_rollback", _delete)
