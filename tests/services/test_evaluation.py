"""Task evaluation and the annual assessment, reproduced exactly from a hand-computed example.

Task 7 of the real 2023 plan runs its whole lifecycle through the services (real SpiffWorkflow):
注册处 leads, 科信处 and 信息中心 cooperate, the target is “25个行业以上” (≥ 25). The work items'
due and completion times are then set to fixed 2023 dates (the run itself happens today), and
催办/整改 rows are inserted directly, as the brief asks. Default policy (app/data/scoring_policy.toml).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Milestone,
    PlanTask,
    Priority,
    Rectification,
    RectificationSource,
    RectificationStatus,
    ResponsibilityRole,
    ReviewDecision,
    TaskEvaluation,
    Unit,
    Urge,
    User,
    WorkflowInstance,
    WorkItem,
)
from app.models.user import UNIT_ROLES
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.scoring import assessment, closure, evaluation, scoring_policy
from app.services.timing.workdays import BEIJING

APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN


def unit(name: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == name))


def item(user: User, form_key: str, task: PlanTask, milestone: Milestone | None = None) -> WorkItem:
    (found,) = [i for i in work_items.inbox(user) if i.form_key == form_key and i.context.get("plan_task_id") == task.id
                and (milestone is None or i.context.get("milestone_id") == milestone.id)]
    return found


def bj(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BEIJING)


def run_task7(task7: PlanTask, people: dict[str, User], tmp_path) -> dict[str, object]:
    """Drive task 7 to just before closure; returns the milestones and the two items made late."""
    zhuce, dushen, kexin = people["zhuce"], people["dushen"], people["kexin"]
    target = task7.targets[0]
    plans = [MilestonePlan("扩大改革行业范围", "改革行业清单", date(2023, 9, 29), zhuce.id, (unit("科信处").id,),
                           (target.id,), past_date_reason="补录"),
             MilestonePlan("总结评估", "总结报告", date(2023, 11, 30), zhuce.id, past_date_reason="补录")]
    decomposition.submit_decomposition(item(zhuce, "decomposition", task7), plans, None, zhuce)
    decomposition.review_decomposition(item(dushen, "decomposition_review", task7), RETURN, "请细化", dushen)
    decomposition.submit_decomposition(item(zhuce, "decomposition", task7), plans, None, zhuce)
    decomposition.review_decomposition(item(dushen, "decomposition_review", task7), APPROVE, None, dushen)
    m1, m2 = db.session.scalars(select(Milestone).where(Milestone.plan_task_id == task7.id)
                                .order_by(Milestone.position))
    policy = UploadPolicy(tmp_path, 1024)

    late_report = item(zhuce, "milestone_report", task7, m1)
    reporting.submit_report(late_report, "已扩展到18个行业", 70, {target.id: Decimal("18")}, [], policy, zhuce)
    late_contribution = item(kexin, "cooperating_contribution", task7)
    reporting.contribute(late_contribution, "系统已支持", [], policy, kexin)
    reporting.review_report(item(dushen, "report_review", task7, m1), RETURN, "行业数不足", None, dushen)
    reporting.submit_report(item(zhuce, "milestone_report", task7, m1), "已扩展到24个行业", 100,
                            {target.id: Decimal("24")}, [], policy, zhuce)
    reporting.contribute(item(kexin, "cooperating_contribution", task7), "系统已上线", [], policy, kexin)
    reporting.review_report(item(dushen, "report_review", task7, m1), APPROVE, None, "excellent", dushen)
    reporting.submit_report(item(zhuce, "milestone_report", task7, m2), "已完成总结", 100, {}, [], policy, zhuce)
    reporting.review_report(item(dushen, "report_review", task7, m2), APPROVE, None, "good", dushen)
    _set_history(task7, late_report, late_contribution)
    _insert_urges_and_rectification(task7, dushen)
    task7.priority = Priority.URGENT
    db.session.commit()
    return {"m1": m1, "m2": m2, "late_report": late_report, "late_contribution": late_contribution}


def _set_history(task: PlanTask, late_report: WorkItem, late_contribution: WorkItem) -> None:
    """Every unit item done on time, but two: the dates a real 2023 would have recorded."""
    items = db.session.scalars(select(WorkItem).join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
                               .where(WorkflowInstance.plan_task_id == task.id, WorkItem.role.in_(UNIT_ROLES)))
    for work_item in items:
        work_item.due_at = bj(2023, 12, 29, 18)
        work_item.completed_at = bj(2023, 3, 1, 10) if work_item.completed_at else None
    # 2023 National Day: 9-29..10-6 off, Saturday 10-7 and Sunday 10-8 are make-up working days (调休).
    late_report.due_at, late_report.completed_at = bj(2023, 9, 29, 18), bj(2023, 10, 9, 10)
    late_contribution.due_at, late_contribution.completed_at = bj(2023, 6, 30, 18), bj(2023, 7, 4, 9)


def _insert_urges_and_rectification(task: PlanTask, dushen: User) -> None:
    zhuce_unit, kexin_unit = unit("注册处"), unit("科信处")
    any_item = db.session.scalar(select(WorkItem).join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
                                 .where(WorkflowInstance.plan_task_id == task.id))
    for unit_id, day in ((zhuce_unit.id, 10), (zhuce_unit.id, 11), (kexin_unit.id, 12)):
        db.session.add(Urge(work_item_id=any_item.id, plan_task_id=task.id, unit_id=unit_id, message="请抓紧办理",
                            sent_by_id=dushen.id, sent_at=bj(2023, 7, day, 9)))
    db.session.add(Rectification(
        plan_task_id=task.id, unit_id=zhuce_unit.id, source=RectificationSource.INSPECTION, requirement="补齐行业清单",
        due_date=date(2023, 8, 31), status=RectificationStatus.VERIFIED, opened_by_id=dushen.id,
        opened_at=bj(2023, 8, 1, 9), closed_at=bj(2023, 8, 30, 9)))


def points(score: evaluation.UnitTaskScore) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in score.line_items:
        totals[line.category] = totals.get(line.category, Decimal(0)) + line.points
    return totals


def test_hand_computed_example_is_reproduced_exactly_and_frozen_at_closure(task7, people, tmp_path):
    run_task7(task7, people, tmp_path)
    closure.close_part(item(people["dushen"], "task_closure", task7), "按期完成", people["dushen"])
    db.session.commit()

    result = evaluation.evaluation_of(task7)
    assert result.final and result.policy_version == 1
    by_name = {u.unit_name: u for u in result.units}
    zhuce, kexin, center = by_name["注册处"], by_name["科信处"], by_name["信息中心"]
    # 注册处 (lead):
    #   base                                                        100
    #   overdue: M1 report due Fri 2023-09-29, done Mon 10-09; working days in (09-29, 10-09]
    #            are Sat 10-07, Sun 10-08 (调休) and Mon 10-09 = 3 × 1 point               −3
    #   quality: M1 优 (5) and M2 良 (2) averaged over 2 rated milestones: 2.5 + 1          +3.5
    #   attainment: latest actual 24 of ≥ 25 → 96% → band “≥ 90%”                           −2
    #   returns: decomposition returned once (1) + M1 report returned once (2)               −3
    #   rectification: one, verified, still counts (3)                                      −3
    #   催办: two (1 each)                                                                   −2
    #   = 100 − 3 + 3.5 − 2 − 3 − 3 − 2                                                     = 90.5
    assert zhuce.score == Decimal("90.5")
    assert zhuce.role is ResponsibilityRole.LEAD
    assert points(zhuce) == {"base": 100, "timeliness": -3, "quality": Decimal("3.5"), "attainment": -2,
                             "returns": -3, "rectification": -3, "urge": -2}
    # 科信处 (cooperating): contribution due Fri 06-30, done Tue 07-04 → Mon 07-03, Tue 07-04 = −2;
    #   quality: M1 (it cooperates on it) 优 alone = +5; attainment −2; one 催办 −1
    #   = 100 − 2 + 5 − 2 − 1 = 100
    assert kexin.score == Decimal("100")
    assert points(kexin) == {"base": 100, "timeliness": -2, "quality": 5, "attainment": -2, "urge": -1}
    # 信息中心 (cooperating, no milestone of its own): 100 − 2 (the task's target) = 98
    assert center.score == Decimal("98")
    # weights: 急办 1.5 × role (牵头 1.0, 配合 0.5)
    assert (zhuce.weight, kexin.weight) == (Decimal("1.5"), Decimal("0.75"))

    rows = db.session.scalars(select(TaskEvaluation).where(TaskEvaluation.plan_task_id == task7.id)).all()
    assert sorted(str(r.score) for r in rows) == ["100.00", "90.50", "98.00"]
    late = next(line for line in zhuce.line_items if line.category == "timeliness")
    assert (late.event_kind, late.event_date) == ("work_item", date(2023, 9, 29))
    assert "逾期 3 个工作日" in late.explanation


def test_annual_score_weights_tasks_and_marks_open_ones_provisional(task7, people, tmp_path):
    run_task7(task7, people, tmp_path)
    closure.close_part(item(people["dushen"], "task_closure", task7), "按期完成", people["dushen"])
    db.session.commit()
    zhuce_unit = unit("注册处")
    # 注册处 leads tasks 5 and 6 too (一般, no targets), but nothing of them is due yet (未到考核节点): listed,
    # not counted — a task with nothing due does not lift the score with a free 100.
    # 90.5 × 1.5 ÷ 1.5 = 90.5, not final (tasks 5 and 6 are open).
    (score,) = [s for s in assessment.unit_scores(task7.plan_id) if s.unit_id == zhuce_unit.id]
    assert (score.score, score.lead_task_count, score.cooperating_task_count, score.final) == \
        (Decimal("90.50"), 3, 0, False)
    explanation = assessment.explain_unit(task7.plan_id, zhuce_unit.id)
    assert [(t.task_number, t.result.score, t.result.weight, t.result.final, t.result.assessed)
            for t in explanation.tasks] == [
        (5, Decimal(100), Decimal(1), False, False), (6, Decimal(100), Decimal(1), False, False),
        (7, Decimal("90.5"), Decimal("1.5"), True, True)]
    assert [t.task_number for t in explanation.counted] == [7]
    assert (explanation.weighted_sum, explanation.weight_total, explanation.score) == \
        (Decimal("135.75"), Decimal("1.5"), Decimal("90.50"))
    scores = assessment.unit_scores(task7.plan_id)
    ranked = [s for s in scores if s.rank is not None]
    # Only the three units of task 7 had anything due: every other unit is listed after them, unranked.
    assert [(s.unit_name, s.rank) for s in ranked] == [("科信处", 1), ("信息中心", 2), ("注册处", 3)]
    assert scores[:3] == ranked and all(s.score is None for s in scores[3:]) and len(scores) > 3
    # One unit scored alone (the unit page) is scored exactly as among all (a rank needs the others).
    for every in scores:
        assert assessment.unit_score(task7.plan_id, every.unit_id) == replace(every, rank=None)


def test_a_frozen_score_keeps_its_policy_while_open_tasks_follow_the_new_one(task7, people, tmp_path):
    run_task7(task7, people, tmp_path)
    closure.close_part(item(people["dushen"], "task_closure", task7), "按期完成", people["dushen"])
    db.session.commit()
    harsher = scoring_policy.default_text().replace("per_overdue_working_day = 1", "per_overdue_working_day = 2")
    scoring_policy.save_policy(task7.plan, harsher, "加重逾期扣分", 1, people["dushen"])
    db.session.commit()
    frozen = {u.unit_name: u.score for u in evaluation.evaluation_of(task7).units}
    assert frozen["注册处"] == Decimal("90.5")
    task5 = next(t for t in task7.plan.tasks if t.number == 5)
    assert evaluation.evaluation_of(task5).policy_version == 2
    assert not evaluation.evaluation_of(task5).final


def test_caps_and_floor_become_visible_line_items(task7, people):
    policy = scoring_policy.parse_policy(scoring_policy.default_text().replace("per_urge = 1", "per_urge = 40")
                                         .replace("cap = 5", "cap = 200"))
    zhuce_unit = unit("注册处")
    dushen = people["dushen"]
    any_item = db.session.scalar(select(WorkItem).join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
                                 .where(WorkflowInstance.plan_task_id == task7.id))
    for day in (1, 2, 3):
        db.session.add(Urge(work_item_id=any_item.id, plan_task_id=task7.id, unit_id=zhuce_unit.id, message="催",
                            sent_by_id=dushen.id, sent_at=bj(2023, 7, day, 9)))
    db.session.flush()
    from app.services.scoring.evaluation_events import load_events
    events = load_events([task7.id])[task7.id]
    # The task has no milestone: its target's period is the plan's year.
    assert events.targets[0].period_end == date(2023, 12, 31)
    provisional = evaluation.score_lines(zhuce_unit.id, events, policy, final=False, as_of=date(2023, 7, 3))
    # 暂评 within the period: the unreported target is not charged yet (0): 100 − 3 × 40 = −20 → floor 0: +20
    assert [(line.category, line.points) for line in provisional] == [
        ("base", 100), ("attainment", 0), ("urge", -40), ("urge", -40), ("urge", -40), ("bounds", 20)]
    # 暂评 once the period has ended: charged as never reported, as at closure
    late = evaluation.score_lines(zhuce_unit.id, events, policy, final=False, as_of=date(2024, 1, 1))
    assert [(line.category, line.points) for line in late][:2] == [("base", 100), ("attainment", -10)]
    lines = evaluation.score_lines(zhuce_unit.id, events, policy)
    # at closure: 100 − 10 (target never reported) − 3 × 40 (催办, cap 200) = −30 → floor 0: +30
    assert [(line.category, line.points) for line in lines] == [
        ("base", 100), ("attainment", -10), ("urge", -40), ("urge", -40), ("urge", -40), ("bounds", 30)]
    capped = scoring_policy.parse_policy(scoring_policy.default_text().replace("per_urge = 1", "per_urge = 4"))
    lines = evaluation.score_lines(zhuce_unit.id, events, capped)
    # three 催办 × 4 = 12 > cap 5 → +7 back
    assert [line.points for line in lines if line.category == "urge"] == [-4, -4, -4, 7]
