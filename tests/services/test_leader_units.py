"""分管 leaders: a unit's escalations go to the leaders in charge of it; every leader only where none is."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Role, Unit, User
from app.services.infrastructure import accounts
from app.services.timing import deadlines
from tests.services.test_deadlines import at, imported_in_2023  # noqa: F401  (the seeded fixture)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def unit(name: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == name))


def test_a_leader_linked_to_two_units_receives_only_their_escalations(imported_in_2023):  # noqa: F811
    admin = user("admin")
    second = accounts.create_user("leader2", "王副局长", "Leader2pass2023", roles=[Role.LEADER], unit=None,
                                  email=None, actor=admin)
    accounts.set_units_in_charge(second, [unit("注册处").id, unit("科信处").id], admin)
    sent = deadlines.sweep(at(date(2023, 10, 24)))
    escalations = [s for s in sent if s.kind == "escalation" and s.tier == 2]
    assert escalations
    units_of = {item.id: item.unit_id for item in db.session.scalars(select(deadlines.WorkItem))}
    linked = {unit("注册处").id, unit("科信处").id}
    mine = [s for s in escalations if units_of[s.work_item] in linked]
    others = [s for s in escalations if units_of[s.work_item] not in linked]
    assert mine and others
    assert all(s.recipients == ["leader2"] for s in mine)             # only the 分管 leader
    assert all(sorted(s.recipients) == ["leader", "leader2"] for s in others)  # no 分管 leader: every leader
    received = {s.work_item for s in escalations if "leader2" in s.recipients}
    assert {s.work_item for s in mine} <= received


def test_only_leaders_have_units_in_charge(imported_in_2023):  # noqa: F811
    with pytest.raises(ValidationFailed):
        accounts.set_units_in_charge(user("zhuce"), [unit("注册处").id], user("admin"))
    leader = user("leader")
    with pytest.raises(ValidationFailed):
        accounts.set_units_in_charge(leader, [10**6], user("admin"))
    accounts.set_units_in_charge(leader, [unit("注册处").id], user("admin"))
    assert accounts.units_in_charge(leader) == [unit("注册处").id]
