"""The 期号 of a 督查通报: 第N期, numbered per organisation and year; a plan and day keep the number they were given."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import BulletinIssue, Plan

#: Two people issuing at the same moment: the loser takes the next number (or the winner's, for the same day).
ATTEMPTS = 5


def issue_number(plan: Plan, as_of: date) -> int:
    """The 期号 of the bulletin on ``plan`` as of ``as_of``: the one it was given, else the next of its year."""
    for _ in range(ATTEMPTS):
        issued = db.session.scalar(select(BulletinIssue.number).filter_by(plan_id=plan.id, as_of=as_of))
        if issued is not None:
            return issued
        last = db.session.scalar(select(func.max(BulletinIssue.number)).filter_by(
            organisation_id=plan.organisation_id, year=as_of.year))
        try:
            with db.session.begin_nested():
                db.session.add(BulletinIssue(organisation_id=plan.organisation_id, plan_id=plan.id, year=as_of.year,
                                             number=(last or 0) + 1, as_of=as_of))
        except IntegrityError:
            continue
        return (last or 0) + 1
    raise RuntimeError("bulletin number still taken after retries")  # pragma: no cover - needs 5 lost races
