"""A fair assessment on the demo: only what was due counts, overdue ranks last, ties share a rank, and the day
before the demo ran shows no closed task and no score."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine

from app import demo_activity
from app.services.dashboards import overview
from app.services.dashboards.facts import TaskState, beijing_today
from app.services.plans import items
from app.services.scoring import assessment, scoring_policy
from app.services.scoring.evaluation import policy_in_force
from app.services.timing.workdays import BEIJING
from tests.snapshots import seeded


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def test_only_units_with_something_due_are_ranked_and_overdue_ones_rank_last(activity):
    scores = assessment.unit_scores(activity.id)
    ranked = [s for s in scores if s.rank is not None]
    unranked = [s for s in scores if s.rank is None]
    # The demo drives eight tasks of 注册处 and 科信处; the other units have nothing due yet.
    assert {s.unit_name for s in ranked} <= {"注册处", "科信处", "信息中心"} and len(unranked) > 30
    assert all(s.score is not None for s in ranked) and all(s.score is None for s in unranked)
    assert scores == ranked + unranked
    # 科信处 has task 23's report overdue and unreported: it ranks after every unit without an overdue step.
    kexin = next(s for s in ranked if s.unit_name == "科信处")
    assert kexin.overdue_open
    assert all(s.rank < kexin.rank for s in ranked if not s.overdue_open)
    # An undecomposed task with nothing due is no free 100: no unit's score counts it.
    for s in unranked:
        explanation = assessment.explain_unit(activity.id, s.unit_id)
        assert explanation.score is None and not explanation.counted


def test_equal_standing_shares_a_rank(activity):
    def score(name: str, points: str | None, late: bool = False) -> assessment.UnitScore:
        return assessment.UnitScore(0, name, Decimal(points) if points else None, 1, 0, False, None, late)

    scores = [score("戊", None), score("丁", "100", late=True), score("丙", "98"), score("乙", "99"), score("甲", "99")]
    policy, _ = policy_in_force(activity.id)
    assert [(s.unit_name, s.rank) for s in assessment.ranked(scores, policy)] == [
        ("乙", 1), ("甲", 1), ("丙", 3), ("丁", 4), ("戊", None)]
    by_score = replace(policy, overdue_ranks_last=False)
    assert [(s.unit_name, s.rank) for s in assessment.ranked(scores, by_score)] == [
        ("丁", 1), ("乙", 2), ("甲", 2), ("丙", 4), ("戊", None)]


def test_the_day_before_the_demo_ran_shows_nothing_closed_and_no_scores(activity):
    yesterday = beijing_today() - timedelta(days=1)
    assert overview.state_counts(activity.id, beijing_today())[TaskState.CLOSED] == 1
    assert overview.state_counts(activity.id, yesterday)[TaskState.CLOSED] == 0
    assert overview.totals(activity.id, yesterday).closed_tasks == 0
    assert overview.totals(activity.id, yesterday).approved == 0
    assert all(s.score is None and s.rank is None for s in assessment.unit_scores(activity.id, yesterday))
    zhuce = next(s for s in assessment.unit_scores(activity.id) if s.unit_name == "注册处")
    assert zhuce.rank is not None
    assert assessment.explain_unit(activity.id, zhuce.unit_id, yesterday).score is None


def test_an_undecomposed_task_past_its_deadline_is_charged_not_a_free_100(activity):
    later = datetime.now(BEIJING) + timedelta(days=90)
    with time_machine.travel(later, tick=False):
        scores = {s.unit_name: s for s in assessment.unit_scores(activity.id)}
        # The units that lead tasks they never decomposed: past the deadline, the tasks count and are charged.
        idle = [s for s in scores.values() if s.unit_name not in ("注册处", "科信处") and s.lead_task_count]
        assert idle and all(s.rank is not None and s.score < 100 and s.overdue_open for s in idle)
        explanation = assessment.explain_unit(activity.id, idle[0].unit_id)
        lines = [line for t in explanation.counted for line in t.result.line_items if line.category == "timeliness"]
        assert lines and all(line.event_kind == "work_item" and "至今未办理" in line.explanation
                             for line in lines if line.points < 0)


def test_a_scope_of_several_plans_ranks_fairly_and_each_plan_keeps_its_own_ranking_rule(activity, demo, people):
    from tests.services.test_items import instruction

    today = beijing_today()
    item = items.register_item(demo, instruction(document_date=today, final_deadline=today + timedelta(days=40)),
                               people["dushen"], today)
    both = [activity.id, item.id]
    ranked = [s for s in assessment.unit_scores(both) if s.rank is not None]
    kexin = next(s for s in ranked if s.unit_name == "科信处")
    assert kexin.overdue_open and all(s.rank < kexin.rank for s in ranked if not s.overdue_open)
    # Nothing of the item is due yet: the day before, no unit of either plan is ranked.
    assert all(s.rank is None for s in assessment.unit_scores(both, today - timedelta(days=1)))

    by_score = scoring_policy.default_text().replace("overdue_ranks_last = true", "overdue_ranks_last = false")
    scoring_policy.save_policy(item, by_score, "只按得分排名", 0, people["dushen"])
    # The item's rule does not overrule the plan's on its own page; over both, nobody is sent last.
    assert [s.rank for s in assessment.unit_scores(activity.id) if s.unit_name == "科信处"] == [kexin.rank]
    mixed = [s for s in assessment.unit_scores(both) if s.rank is not None]
    assert [s.score for s in mixed] == sorted((s.score for s in mixed), reverse=True)
