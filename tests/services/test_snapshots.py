"""The suite's seeded copies: each test sees exactly the seeded rows, and a copy never wipes a write."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PlanTask, Role, User
from app.services.infrastructure import accounts


def test_a_copy_holds_exactly_the_seeded_rows_and_sequence_positions(app, plan_2023, snapshots):
    titles = list(db.session.scalars(select(PlanTask.title).order_by(PlanTask.id)))
    seeded_state = snapshots.current
    first = new_user("first")
    db.session.execute(PlanTask.__table__.update().values(title="改过的标题"))
    db.session.commit()

    snapshots.reset(seeded_state)
    assert list(db.session.scalars(select(PlanTask.title).order_by(PlanTask.id))) == titles
    assert len(titles) == 39 and "改过的标题" not in titles
    assert db.session.scalar(select(User).where(User.username == "first")) is None
    assert new_user("again").id == first.id     # the id sequence is back where the seed left it


def test_a_seeded_fixture_refuses_to_wipe_what_was_written_before_it(app, request):
    new_user("early")
    with pytest.raises(RuntimeError, match="written to before this seeded fixture"):
        request.getfixturevalue("demo")
    assert db.session.scalar(select(User.username).where(User.username == "early")) == "early"


def test_a_test_starts_without_the_rows_of_the_test_before(app, demo):
    leftovers = select(func.count(User.id)).where(User.username.in_(["first", "again", "early"]))
    assert db.session.scalar(leftovers) == 0


def new_user(username: str) -> User:
    user = accounts.create_user(username, "测试用户", "Duban-test-2023", [Role.LEADER])
    db.session.commit()
    return user
