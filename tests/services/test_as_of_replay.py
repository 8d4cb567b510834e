"""As-of, replayed: task 7 is worked day by day (real services and engine, the clock moved with time_machine);
each evening the figures are taken as they stand, and at the end each past day's figures, computed as of
that day, must equal that evening's snapshot — states, headline totals, targets, scores and ranks."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Milestone, PlanTask
from app.services.dashboards import overview, targets
from app.services.dashboards.facts import beijing_today
from app.services.lifecycle import decomposition, reporting
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.scoring import assessment, closure
from app.services.timing.workdays import BEIJING
from tests.services.test_evaluation import APPROVE, RETURN, item, unit


def figures(plan_id: int, day: date) -> dict[str, object]:
    """Every figure the dashboards, the assessment and the exports build on, as of ``day``."""
    return {
        "states": overview.state_counts(plan_id, day),
        "totals": overview.totals(plan_id, day),
        "targets": [t for t in targets.target_progress(plan_id, day) if t.reported or t.unapproved],
        "scores": [(s.unit_name, s.score, s.rank, s.final, s.overdue_open)
                   for s in assessment.unit_scores(plan_id, day) if s.assessed],
        "lines": [(t.task_number, t.result.score, t.result.assessed, [line.points for line in t.result.line_items])
                  for t in assessment.explain_unit(plan_id, unit("注册处").id, day).tasks],
    }


def test_every_past_day_shows_what_that_day_showed(plan_2023, people, tmp_path):
    task7 = next(task for task in plan_2023.tasks if task.number == 7)
    zhuce, dushen, kexin = people["zhuce"], people["dushen"], people["kexin"]
    target = task7.targets[0]
    policy = UploadPolicy(tmp_path, 1024)
    first = beijing_today() + timedelta(days=1)
    days = [first + timedelta(days=n) for n in range(6)]
    plan_2023.year = first.year   # worked this year (milestones fall in the plan's year)
    db.session.commit()

    def milestones() -> list[Milestone]:
        return list(db.session.scalars(select(Milestone).where(Milestone.plan_task_id == task7.id)
                                       .order_by(Milestone.position)))

    def decompose() -> None:
        plans = [MilestonePlan("扩大改革行业范围", "改革行业清单", days[2], zhuce.id, (unit("科信处").id,),
                               (target.id,)),
                 MilestonePlan("总结评估", "总结报告", days[4], zhuce.id)]
        decomposition.submit_decomposition(item(zhuce, "decomposition", task7), plans, None, zhuce)

    def confirm() -> None:
        decomposition.review_decomposition(item(dushen, "decomposition_review", task7), APPROVE, None, dushen)

    def report(actual: str) -> None:
        m1 = milestones()[0]
        reporting.submit_report(item(zhuce, "milestone_report", task7, m1), f"已扩展到{actual}个行业", 80,
                                {target.id: Decimal(actual)}, [], policy, zhuce)
        reporting.contribute(item(kexin, "cooperating_contribution", task7), "系统已支持", [], policy, kexin)

    def return_and_report_again() -> None:
        reporting.review_report(item(dushen, "report_review", task7, milestones()[0]), RETURN, "行业数不足", None,
                                dushen)
        report("24")

    def approve_and_report_last() -> None:
        m1, m2 = milestones()
        reporting.review_report(item(dushen, "report_review", task7, m1), APPROVE, None, "excellent", dushen)
        # The final actual goes with the task's last milestone, though only the first was linked to the target.
        reporting.submit_report(item(zhuce, "milestone_report", task7, m2), "已完成总结", 100,
                                {target.id: Decimal("26")}, [], policy, zhuce)

    def approve_and_close() -> None:
        reporting.review_report(item(dushen, "report_review", task7, milestones()[1]), APPROVE, None, "good", dushen)
        closure.close_part(item(dushen, "task_closure", task7), "按期完成", dushen)

    snapshots = {}
    for day, step in zip(days, [decompose, confirm, lambda: report("18"), return_and_report_again,
                                approve_and_report_last, approve_and_close], strict=True):
        with time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=BEIJING), tick=False):
            step()
            db.session.commit()
        with time_machine.travel(datetime(day.year, day.month, day.day, 23, tzinfo=BEIJING), tick=False):
            snapshots[day] = figures(plan_2023.id, day)

    later = days[-1] + timedelta(days=3)
    with time_machine.travel(datetime(later.year, later.month, later.day, 10, tzinfo=BEIJING), tick=False):
        for day in days:
            assert figures(plan_2023.id, day) == snapshots[day], day
    # The story did move the figures: closed at the end, and the returned 18 never shown as the actual.
    assert [snapshots[d]["totals"].closed_tasks for d in days] == [0, 0, 0, 0, 0, 1]
    assert [(t.reported, t.unapproved, t.unapproved_state) for t in snapshots[days[2]]["targets"]] == \
        [(None, Decimal(18), "待审核")]
    assert [(t.reported, t.unapproved, t.unapproved_state) for t in snapshots[days[3]]["targets"]] == \
        [(None, Decimal(24), "待审核")]
    assert [t.reported for t in snapshots[days[5]]["targets"]] == [Decimal(26)]
    assert snapshots[days[0]]["scores"] == [] and snapshots[days[5]]["scores"]
    assert db.session.get(PlanTask, task7.id) is not None
