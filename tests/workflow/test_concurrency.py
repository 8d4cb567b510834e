"""Two connections complete the same work item at once: exactly one wins (PostgreSQL row lock)."""
import threading

import pytest
from flask import Flask

from app.errors import InvalidTransition
from app.extensions import db
from app.workflow import complete_work_item, open_work_items, start_instance


@pytest.fixture
def item_id(deployed, unit_ids):
    """A committed open work item."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers itself)")
    instance = start_instance("milestone", {"unit_id": unit_ids[0], "cooperating_unit_ids": [],
                                            "head_signoff_required": False})
    db.session.commit()
    return open_work_items(instance.id)[0].id


def complete_in_thread(app: Flask, item_id: int, user_id: int, results: list, hold: threading.Event | None = None):
    """Complete the item on a connection of its own; optionally wait before committing."""
    with app.app_context():
        try:
            complete_work_item(item_id, user_id, {})
            if hold is not None:
                results.append("holding")
                hold.wait(5)
            db.session.commit()
            results.append("ok")
        except InvalidTransition:
            db.session.rollback()
            results.append("refused")
        finally:
            db.session.remove()


def test_second_completion_waits_for_the_lock_and_is_refused(app, item_id, actor_id):
    first, second, release = [], [], threading.Event()
    a = threading.Thread(target=complete_in_thread, args=(app, item_id, actor_id, first, release))
    a.start()
    while not first:
        threading.Event().wait(0.01)
    b = threading.Thread(target=complete_in_thread, args=(app, item_id, actor_id, second))
    b.start()
    b.join(0.5)
    assert b.is_alive(), "the second completion must block on the instance row lock"
    release.set()
    a.join(5)
    b.join(5)
    assert (first, second) == (["holding", "ok"], ["refused"])


def test_simultaneous_completions_one_wins(app, item_id, actor_id):
    results: list = []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        complete_in_thread(app, item_id, actor_id, results)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["ok", "refused"]
