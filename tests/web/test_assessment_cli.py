"""`duban assessment`: scores as JSON lines, and scoring tasks closed before scoring existed."""
from __future__ import annotations

import json

from sqlalchemy import delete, select

from app.extensions import db
from app.models import TaskEvaluation
from tests.web.test_assessment import closed_task7  # noqa: F401 (a fixture)


def test_freeze_closed_scores_a_task_closed_without_a_score_once(app, closed_task7):  # noqa: F811
    plan_id = str(closed_task7.plan_id)
    db.session.execute(delete(TaskEvaluation))   # as if closed before migration 0009
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assessment", "freeze-closed", plan_id])
    assert result.exit_code == 0 and result.output.strip() == "已补评 1 项任务:第 7 项。"
    db.session.remove()
    scores = sorted(str(s) for s in db.session.scalars(select(TaskEvaluation.score)))
    assert scores == ["100.00", "90.50", "98.00"]
    again = runner.invoke(args=["assessment", "freeze-closed", plan_id])
    assert again.output.strip() == "已补评 0 项任务。"


def test_scores_prints_one_json_line_per_unit_highest_first(app, closed_task7):  # noqa: F811
    result = app.test_cli_runner().invoke(args=["assessment", "scores", str(closed_task7.plan_id)])
    rows = [json.loads(line) for line in result.output.splitlines()]
    ranked = [r for r in rows if r["rank"] is not None]
    assert [float(r["score"]) for r in ranked] == sorted((float(r["score"]) for r in ranked), reverse=True)
    assert rows[:len(ranked)] == ranked and all(r["score"] is None for r in rows[len(ranked):])
    assert {"unit": "注册处", "rank": 3, "score": "90.50", "lead_tasks": 3, "cooperating_tasks": 0,
            "final": False}.items() <= next(r for r in rows if r["unit"] == "注册处").items()


def test_an_unknown_plan_is_refused_in_chinese(app, demo):
    result = app.test_cli_runner().invoke(args=["assessment", "scores", "999"])
    assert result.exit_code != 0 and "找不到编号为 999 的计划" in result.output
