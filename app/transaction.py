"""The one place a request's or a command's transaction commits.

Services only flush; the change, its audit rows and (later) workflow state
are committed together here, or rolled back together.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Response
from wtforms import Field

from app.errors import ValidationFailed
from app.extensions import db

T = TypeVar("T")


def commit_request(response: Response) -> Response:
    """after_request hook: commit when the request succeeded, roll back otherwise."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll it all back if it raised (CLI and jobs)."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def apply_or_report(field: Field, change: Callable[[], T]) -> T | None:
    """Run a form's change; if a rule refuses it, undo everything and show why on ``field``.

    Returns the change's result, or None when it was refused (the form is shown again
    with what the user typed, and nothing of the attempt remains in the database).
    """
    try:
        return change()
    except ValidationFailed as refusal:
        db.session.rollback()
        field.errors = [*field.errors, refusal.message]
        return None
