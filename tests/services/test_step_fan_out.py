"""The tick's fan-out of completed steps: a kill in the middle loses nothing and doubles nothing."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SearchEntry, WorkItem
from app.services.lifecycle import discussion, step_notices
from scheduler import jobs, tick
from tests.conftest import fan_out
from tests.services.test_step_notices import decomposed, titles


class Killed(Exception):
    """The scheduler process died between two batches."""


def test_a_fan_out_killed_between_batches_is_finished_by_the_next_tick_exactly_once(task7, people):
    zhuce = people["zhuce"]
    decomposed(task7, people)                     # four steps: submitted, returned, submitted, approved
    db.session.commit()
    batches = []

    def commit_then_die() -> None:
        if batches:
            raise Killed
        batches.append(1)
        db.session.commit()

    with pytest.raises(Killed):
        step_notices.fan_out(commit_then_die, batch=2)
    db.session.rollback()                         # the second batch's notices and clearing went with it
    pending = db.session.scalars(select(WorkItem.id).where(WorkItem.fan_out.is_not(None))).all()
    assert len(pending) == 2
    assert fan_out(commit=True) == 2
    assert fan_out(commit=True) == 0
    assert [t.split(":")[0] for t in titles(zhuce)] == ["分解方案被退回", "分解方案审核通过"]


def test_the_scheduler_tick_runs_the_fan_out(task7, people):
    decomposed(task7, people)
    assert titles(people["zhuce"]) == []
    tick.run(datetime.now(UTC))                   # (its deadline sweep adds the milestone's own notices)
    told = [t.split(":")[0] for t in titles(people["zhuce"])]
    assert [t for t in told if t.startswith("分解方案")] == ["分解方案被退回", "分解方案审核通过"]


def test_the_scheduler_job_fans_out_and_commits(task7, people):
    decomposed(task7, people)
    db.session.commit()
    jobs.fan_out_steps()
    db.session.rollback()                         # what the job wrote was committed by it
    assert [t.split(":")[0] for t in titles(people["zhuce"])] == ["分解方案被退回", "分解方案审核通过"]
    assert db.session.scalars(select(WorkItem.id).where(WorkItem.fan_out.is_not(None))).all() == []


def test_only_the_steps_task_waits_for_the_fan_out_to_be_searchable(task7, plan_2023, people):
    """In the step's transaction, another task's new comment is indexed at its flush; the step's task waits."""
    dushen = people["dushen"]
    other = next(task for task in plan_2023.tasks if task.number == 8)
    decomposed(task7, people)                     # the verdicts on task 7 carry comments (请细化节点)
    discussion.add_comment(task7, "任务七的留言", dushen)
    discussion.add_comment(other, "任务八的留言", dushen)
    db.session.flush()

    def indexed(text: str) -> int:
        return len(db.session.scalars(select(SearchEntry.id).where(SearchEntry.document.contains(text))).all())

    assert (indexed("任务七的留言"), indexed("请细化节点"), indexed("任务八的留言")) == (0, 0, 1)
    db.session.commit()
    fan_out(commit=True)
    assert (indexed("任务七的留言"), indexed("请细化节点"), indexed("任务八的留言")) == (1, 1, 1)
