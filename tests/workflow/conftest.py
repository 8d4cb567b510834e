"""Fixtures for the workflow layer: deployed processes, demo units and a user to act."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Unit, User
from app.workflow import deploy_processes

BPMN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"


def bpmn_fixture(name: str) -> bytes:
    """The bytes of tests/fixtures/bpmn/<name>."""
    return (BPMN_FIXTURES / name).read_bytes()


@pytest.fixture
def deployed(app):
    """processes/*.bpmn deployed and committed."""
    versions = deploy_processes()
    db.session.commit()
    return {v.process_id: v for v in versions}


@pytest.fixture
def unit_ids(demo) -> list[int]:
    """Ids of a few demo units."""
    return list(db.session.scalars(select(Unit.id).order_by(Unit.id).limit(4)))


@pytest.fixture
def actor_id(demo) -> int:
    """A demo user who completes the work items."""
    return db.session.scalar(select(User.id).order_by(User.id).limit(1))
