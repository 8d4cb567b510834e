"""The one place a request's or a command's transaction commits.

Services only flush; the change, its audit rows and (later) workflow state
are committed together here, or rolled back together. A request commits only
when no refusal or error was answered (``app.errors.answer_refusal`` marks it),
whatever its status code.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import answer_refusal, lost_race, refused
from app.extensions import db


def commit_request(response: Response) -> Response:
    """after_request hook: commit unless the request was refused; a race lost at commit is a refusal too."""
    if refused():
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (IntegrityError, OperationalError, StaleDataError) as error:
        if not lost_race(error):
            raise
        return current_app.make_response(answer_refusal(error))
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
