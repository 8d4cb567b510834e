"""Traffic lights on the 2023 plan: each colour, its exact reason, working days over National Day, bounded queries."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Milestone, PlanTask, ReviewDecision, User, WorkItem, WorkItemState
from app.services.dashboards import lights
from app.services.dashboards.lights import Light, LightVerdict
from app.services.follow_up import extensions
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.plans import plan_import
from app.services.scoring import closure
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING
from tests.conftest import PLAN_2023, counted
from tests.snapshots import seeded

APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN
RED, YELLOW, BLUE, GREEN = Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN


def at(month: int, day: int, hour: int = 9) -> datetime:
    """An instant of 2023, Beijing time."""
    return datetime(2023, month, day, hour, tzinfo=BEIJING)


@contextmanager
def on(month: int, day: int, hour: int = 9) -> Iterator[None]:
    """Act at that instant (work items and reviews get their timestamps from the clock)."""
    with time_machine.travel(at(month, day, hour), tick=False):
        yield
    db.session.commit()


@seeded
def plan(demo):
    """The 2023 plan imported on Wednesday 20 September 2023: decompositions due 10 October."""
    with on(9, 20, 10):
        dushen = db.session.scalar(select(User).where(User.username == "dushen"))
        draft = plan_import.start_import(demo, dushen, None, data=PLAN_2023.read_bytes(), filename="2023.txt")
        return plan_import.confirm_import(draft, {}, dushen)


def task(plan, number: int) -> PlanTask:
    return next(t for t in plan.tasks if t.number == number)


def item_for(user: User, form_key: str, plan_task: PlanTask) -> WorkItem:
    (item,) = [i for i in work_items.inbox(user)
               if i.form_key == form_key and i.context.get("plan_task_id") == plan_task.id]
    return item


def decompose(plan_task: PlanTask, people, *milestones: tuple[str, date]) -> list[Milestone]:
    """注册处 decomposes on 21 September 09:00; 督审处 confirms at 18:00 the same day."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    targets = tuple(t.id for t in plan_task.targets)
    plans = [MilestonePlan(title, "成果", due, zhuce.id, (), targets) for title, due in milestones]
    with on(9, 21):
        decomposition.submit_decomposition(item_for(zhuce, "decomposition", plan_task), plans, None, zhuce)
    with on(9, 21, 18):
        decomposition.review_decomposition(item_for(dushen, "decomposition_review", plan_task), APPROVE, None, dushen)
    return list(db.session.scalars(select(Milestone).where(Milestone.plan_task_id == plan_task.id)
                                   .order_by(Milestone.position)))


def report(plan_task: PlanTask, people, percent: int, actual: int | None = None) -> None:
    target = plan_task.targets[0]
    actuals = {} if actual is None else {target.id: Decimal(actual)}
    policy = UploadPolicy(PLAN_2023.parent, 1024)
    reporting.submit_report(item_for(people["zhuce"], "milestone_report", plan_task), "进展", percent, actuals,
                            [], policy, people["zhuce"])


def review(plan_task: PlanTask, people, decision: ReviewDecision) -> None:
    dushen = people["dushen"]
    reporting.review_report(item_for(dushen, "report_review", plan_task), decision,
                            "请补充" if decision is RETURN else None, None, dushen)


def one_item(plan_task: PlanTask, form_key: str) -> WorkItem:
    (item,) = [i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key))
               if i.context.get("plan_task_id") == plan_task.id and i.state is WorkItemState.OPEN]
    return item


def test_an_untouched_task_turns_blue_then_red_counting_working_days_around_national_day(plan):
    task5 = task(plan, 5)
    item = one_item(task5, "decomposition")
    expect = {
        at(9, 28): LightVerdict(GREEN, "正常推进（应于 2023年10月10日 完成）"),
        # A holiday: three working days ahead are 7 (调休), 8 (调休) and 9 October.
        at(10, 6): LightVerdict(GREEN, "正常推进（应于 2023年10月10日 完成）"),
        # The make-up Saturday is the day the reminder goes out.
        at(10, 7): LightVerdict(BLUE, "还有 3 个工作日到期（应于 2023年10月10日 完成）"),
        at(10, 10): LightVerdict(BLUE, "今日到期（应于 2023年10月10日 完成）"),
        at(10, 10, 19): LightVerdict(RED, "已逾期（应于 2023年10月10日 完成）"),
        at(10, 13): LightVerdict(RED, "已逾期 3 个工作日（应于 2023年10月10日 完成）"),
    }
    for as_of, verdict in expect.items():
        assert lights.work_item_lights([item.id], as_of) == {item.id: verdict}, as_of
        task_verdict = lights.task_lights(as_of, task_ids=[task5.id])[task5.id]
        assert task_verdict == LightVerdict(verdict.light, "「分解任务」" + verdict.reason), as_of


def test_an_overdue_milestone_makes_its_task_red(plan, people):
    task7 = task(plan, 7)
    first, second, third = decompose(task7, people, ("完成试点", date(2023, 9, 28)),
                                     ("扩大行业范围", date(2023, 12, 30)),
                                     ("中期评估", date(2023, 10, 9)))
    # Three working days ahead of Thursday 28 September is Monday 9 October, across the holiday.
    assert lights.milestone_lights(at(9, 27), milestone_ids=[third.id])[third.id].light is GREEN
    assert lights.milestone_lights(at(9, 28), milestone_ids=[third.id]) == \
        {third.id: LightVerdict(BLUE, "还有 3 个工作日到期（应于 2023年10月9日 完成）")}

    soon = lights.milestone_lights(at(9, 26), milestone_ids=[first.id, second.id])
    assert soon == {first.id: LightVerdict(BLUE, "还有 2 个工作日到期（应于 2023年9月28日 完成）"),
                    second.id: LightVerdict(GREEN, "正常推进（应于 2023年12月30日 完成）")}
    assert lights.task_lights(at(9, 26), task_ids=[task7.id])[task7.id] == \
        LightVerdict(BLUE, "节点「完成试点」还有 2 个工作日到期（应于 2023年9月28日 完成）")

    # 29 September – 6 October are holidays: the 3 working days late are 7, 8 and 9 October.
    late = LightVerdict(RED, "已逾期 3 个工作日（应于 2023年9月28日 完成）")
    assert lights.milestone_lights(at(10, 9), plan_id=plan.id)[first.id] == late
    assert lights.task_lights(at(10, 9), plan_id=plan.id)[task7.id] == \
        LightVerdict(RED, "节点「完成试点」已逾期 3 个工作日（应于 2023年9月28日 完成）")
    steps = {i.context["milestone_id"]: i.id for i in db.session.scalars(
        select(WorkItem).where(WorkItem.form_key == "milestone_report"))}
    assert lights.work_item_lights([steps[first.id], steps[second.id]], at(10, 9)) == \
        {steps[first.id]: late, steps[second.id]: LightVerdict(GREEN, "正常推进（应于 2023年12月30日 完成）")}


def behind_setup(plan, people, tolerance: int = 10) -> tuple[PlanTask, Milestone]:
    """One milestone from 21 Sep 18:00 to 30 Dec 18:00: 100 days, so 10 Nov 18:00 is 50% of the period."""
    task7 = task(plan, 7)
    policy = deadlines.policy_for(task7)
    policy.progress_tolerance, policy.review_within = tolerance, 60
    (milestone,) = decompose(task7, people, ("扩大行业范围", date(2023, 12, 30)))
    return task7, milestone


def test_reported_progress_behind_the_share_of_time_elapsed_is_yellow(plan, people):
    task7, milestone = behind_setup(plan, people)
    with on(11, 1):
        report(task7, people, 30)
    on_track = LightVerdict(GREEN, "正常推进（应于 2023年12月30日 完成）")
    assert lights.milestone_lights(at(10, 31, 18), milestone_ids=[milestone.id])[milestone.id] == on_track  # 40%
    behind = "进度滞后：报送完成进度 30%，低于序时进度 50% 超过 10 个百分点"
    assert lights.milestone_lights(at(11, 10, 18), milestone_ids=[milestone.id]) == \
        {milestone.id: LightVerdict(YELLOW, behind)}
    assert lights.task_lights(at(11, 10, 18), task_ids=[task7.id])[task7.id] == \
        LightVerdict(YELLOW, f"节点「扩大行业范围」{behind}")


def test_the_policy_tolerance_decides(plan, people):
    task7, milestone = behind_setup(plan, people, tolerance=20)
    with on(11, 1):
        report(task7, people, 30)
    assert lights.milestone_lights(at(11, 10, 18), milestone_ids=[milestone.id])[milestone.id].light is GREEN
    assert lights.milestone_lights(at(11, 15, 18), milestone_ids=[milestone.id])[milestone.id] == \
        LightVerdict(YELLOW, "进度滞后：报送完成进度 30%，低于序时进度 55% 超过 20 个百分点")


def test_an_actual_waiting_for_review_is_not_the_figure_a_light_judges(plan, people):
    """Was: the pending report's 9 of 25 (36%) made the milestone 黄. Only approved actuals are figures now;
    with none yet, the milestone is judged by its percent done (45%, not behind) and its date."""
    task7, milestone = behind_setup(plan, people)
    assert task7.targets[0].value == 25          # 25个行业以上
    with on(11, 1):
        report(task7, people, 45, actual=9)      # 45% done by its own account, 9 of 25 industries waiting for review
    assert lights.milestone_lights(at(11, 10, 18), milestone_ids=[milestone.id])[milestone.id] == \
        LightVerdict(GREEN, "正常推进（应于 2023年12月30日 完成）")


def test_target_attainment_is_judged_on_the_last_approved_actual_while_a_report_waits(plan, people):
    task7 = task(plan, 7)
    policy = deadlines.policy_for(task7)
    policy.progress_tolerance, policy.review_within = 10, 60
    first, second = decompose(task7, people, ("完成试点", date(2023, 10, 20)), ("扩大行业范围", date(2023, 12, 30)))
    def report_on(milestone: Milestone, percent: int, actual: int) -> None:
        zhuce = people["zhuce"]
        (item,) = [i for i in work_items.inbox(zhuce) if i.form_key == "milestone_report"
                   and i.context.get("milestone_id") == milestone.id]
        reporting.submit_report(item, "进展", percent, {task7.targets[0].id: Decimal(actual)}, [],
                                UploadPolicy(PLAN_2023.parent, 1024), zhuce)

    with on(10, 16):
        report_on(first, 100, 9)                 # 9 of 25 industries: 36%, approved
    with on(10, 17):
        review(task7, people, APPROVE)
    with on(11, 1):
        report_on(second, 45, 20)                # 80% by its own account, waiting for review
    behind = "进度滞后：指标完成率 36%（按最近审核通过的实际值；最新报送待审核），低于序时进度 50% 超过 10 个百分点"
    assert lights.milestone_lights(at(11, 10, 18), milestone_ids=[second.id]) == \
        {second.id: LightVerdict(YELLOW, behind)}
    assert lights.task_lights(at(11, 10, 18), task_ids=[task7.id])[task7.id] == \
        LightVerdict(YELLOW, f"节点「扩大行业范围」{behind}")
    # As of a day before the first approval, there was no approved actual: not behind on the target.
    assert lights.milestone_lights(at(10, 16, 18), milestone_ids=[second.id])[second.id].light is GREEN
    with on(11, 11):
        review(task7, people, APPROVE)           # 20 of 25 approved: the second milestone is done
    assert lights.milestone_lights(at(11, 12), milestone_ids=[second.id])[second.id] == \
        LightVerdict(GREEN, "已通过审核")


def test_a_returned_report_is_yellow_until_resubmitted(plan, people):
    task7, milestone = behind_setup(plan, people)
    with on(11, 1):
        report(task7, people, 60)
    with on(11, 2):
        review(task7, people, RETURN)
    returned = "报送已被退回修改，尚未重新报送"
    rework = one_item(task7, "milestone_report")
    assert lights.milestone_lights(at(11, 3), milestone_ids=[milestone.id])[milestone.id] == \
        LightVerdict(YELLOW, returned)
    assert lights.work_item_lights([rework.id], at(11, 3)) == {rework.id: LightVerdict(YELLOW, returned)}
    assert lights.task_lights(at(11, 3), task_ids=[task7.id])[task7.id] == \
        LightVerdict(YELLOW, f"节点「扩大行业范围」{returned}")

    with on(11, 6):
        report(task7, people, 60)
    assert lights.milestone_lights(at(11, 7), milestone_ids=[milestone.id])[milestone.id] == \
        LightVerdict(GREEN, "正常推进（应于 2023年12月30日 完成）")
    assert lights.work_item_lights([rework.id], at(11, 7)) == {rework.id: LightVerdict(GREEN, "已办结")}


def test_a_returned_decomposition_is_yellow(plan, people):
    task6, zhuce, dushen = task(plan, 6), people["zhuce"], people["dushen"]
    with on(9, 21):
        decomposition.submit_decomposition(item_for(zhuce, "decomposition", task6),
                                           [MilestonePlan("节点", "成果", date(2023, 11, 30), zhuce.id,
                                                          past_date_reason="补录")], None, zhuce)
    with on(9, 22):
        decomposition.review_decomposition(item_for(dushen, "decomposition_review", task6), RETURN, "请细化", dushen)
    rework = one_item(task6, "decomposition")
    assert lights.work_item_lights([rework.id], at(9, 25)) == \
        {rework.id: LightVerdict(YELLOW, "分解方案已被退回修改，尚未重新提交")}
    assert lights.task_lights(at(9, 25), task_ids=[task6.id])[task6.id] == \
        LightVerdict(YELLOW, "「分解任务」分解方案已被退回修改，尚未重新提交")


def test_finished_things_are_green(plan, people):
    task7 = task(plan, 7)
    (milestone,) = decompose(task7, people, ("扩大行业范围", date(2023, 10, 31)))
    with on(10, 9):
        report(task7, people, 100, actual=26)
    with on(10, 10):
        review(task7, people, APPROVE)
    with on(10, 11):
        closure.close_part(item_for(people["dushen"], "task_closure", task7), "按期完成", people["dushen"])
    assert closure.is_closed(task7)
    late = at(12, 29)
    assert lights.task_lights(late, task_ids=[task7.id]) == {task7.id: LightVerdict(GREEN, "已办结")}
    assert lights.milestone_lights(late, milestone_ids=[milestone.id]) == \
        {milestone.id: LightVerdict(GREEN, "已通过审核")}
    done = db.session.scalars(select(WorkItem.id).where(WorkItem.completed_by_id == people["dushen"].id)).all()
    assert set(lights.work_item_lights(done, late).values()) == {LightVerdict(GREEN, "已办结")}


def test_light_rows_group_by_colour_in_sql(plan, people):
    decompose(task(plan, 7), people, ("完成试点", date(2023, 9, 28)))
    rows = lights.task_light_rows(at(10, 7), [plan.id]).subquery()
    counts = dict(db.session.execute(select(rows.c.light, func.count()).group_by(rows.c.light)).all())
    # Task 7's milestone is late; every other task's decomposition is due on 10 October, 3 working days ahead.
    assert counts == {"red": 1, "blue": len(plan.tasks) - 1}
    verdicts = lights.task_lights(at(10, 7), plan_id=plan.id)
    assert {light: sum(v.light == light for v in verdicts.values()) for light in counts} == counts


def test_lists_take_a_fixed_number_of_queries(plan, people):
    decompose(task(plan, 7), people, ("完成试点", date(2023, 9, 28)), ("扩大行业范围", date(2023, 12, 30)))
    db.session.expire_all()
    all_items = db.session.scalars(select(WorkItem.id)).all()
    assert len(plan.tasks) > 30 and len(all_items) > 30
    with counted() as one:
        lights.task_lights(at(10, 9), task_ids=[task(plan, 7).id])
    with counted() as many:
        verdicts = lights.task_lights(at(10, 9), plan_id=plan.id)
    assert len(verdicts) == len(plan.tasks)
    assert len(many) == len(one) <= 4
    with counted() as items:
        assert len(lights.work_item_lights(all_items, at(10, 9))) == len(all_items)
    with counted() as milestones:
        lights.milestone_lights(at(10, 9), plan_id=plan.id)
    assert len(items) <= 3 and len(milestones) <= 3


def test_an_approved_extension_moves_the_milestone_so_it_is_no_longer_overdue(plan, people):
    task7 = task(plan, 7)
    (milestone,) = decompose(task7, people, ("完成试点", date(2023, 9, 28)))
    report_step = one_item(task7, "milestone_report")
    with on(9, 25):
        request = extensions.request_extension(report_step, date(2023, 10, 20), "需征求意见", people["zhuce"])
        extensions.approve(request, None, "同意", people["dushen"])
    db.session.commit()

    assert milestone.due_date == date(2023, 10, 20)
    on_time = LightVerdict(GREEN, "正常推进（应于 2023年10月20日 完成）")
    assert lights.milestone_lights(at(10, 9), milestone_ids=[milestone.id]) == {milestone.id: on_time}
    assert lights.task_lights(at(10, 9), task_ids=[task7.id])[task7.id].light is GREEN
