"""Facts beside a decision: the last return's reason, what changed between rounds, the reviewer's warnings, the
report's optional notes and the cooperating unit's last contribution prefilled."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Decomposition, Milestone, MilestoneReport, ReviewDecision, User, WorkItem
from app.services.follow_up import rectification
from app.services.lifecycle import decomposition, reporting, review_facts, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.report_checks import check_report
from app.services.lifecycle.reporting import ReportNotes, Upload, UploadPolicy
from app.services.lifecycle.review_facts import Segment, text_diff
from app.steps import build_form
from tests.services.test_demo_activity import activity  # noqa: F401  (the seeded demo activity)
from tests.services.test_lifecycle import item_for, unit

APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN


def step(user: User, form_key: str, milestone: Milestone) -> WorkItem:
    """The user's open step of that kind on one milestone."""
    (item,) = [i for i in work_items.inbox(user)
               if i.form_key == form_key and i.context.get("milestone_id") == milestone.id]
    return item


@pytest.fixture
def policy(tmp_path):
    return UploadPolicy(tmp_path, 1024 * 1024)


@pytest.fixture
def two_milestones(task7, people):
    """Task 7 decomposed into two milestones (the second, the last, reports the 个行业 target), 科信处 cooperating;
    the decomposition was returned once, then confirmed."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    target = task7.targets[0]
    first = MilestonePlan("扩展到15个行业", "行业清单", date(2023, 6, 30), zhuce.id, (unit("科信处").id,), (target.id,),
                          past_date_reason="补录")
    second = MilestonePlan("扩展到25个行业", "行业清单及实施方案", date(2023, 12, 31), zhuce.id, (unit("科信处").id,),
                           (target.id,), past_date_reason="补录")
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [second], "一个节点", zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), RETURN, "请分两个阶段", dushen)
    item = item_for(zhuce, "decomposition", task7)
    assert review_facts.last_return(item).comments == "请分两个阶段"
    decomposition.submit_decomposition(item, [first, second], "分两个阶段", zhuce)
    review = item_for(dushen, "decomposition_review", task7)
    facts = review_facts.facts_of(review)
    assert facts.reviewed.number == 2 and facts.changes.previous == "第 1 次提交"
    texts = {t.label: t.segments for t in facts.changes.texts}
    assert texts["说明"] == [Segment("del", "一个节点"), Segment("ins", "分两个阶段")]
    assert any(s.kind == "ins" and "扩展到15个行业" in s.text for s in texts["分解方案"])
    decomposition.review_decomposition(review, APPROVE, None, dushen)
    db.session.commit()
    return target, *db.session.scalars(select(Milestone).where(Milestone.plan_task_id == task7.id)
                                       .order_by(Milestone.position))


def test_text_diff_marks_what_was_added_and_removed():
    assert text_diff("已扩展到18个行业", "已扩展到22个行业") == [
        Segment("same", "已扩展到"), Segment("del", "18"), Segment("ins", "22"), Segment("same", "个行业")]
    assert text_diff("", "新") == [Segment("ins", "新")]
    assert text_diff("相同", "相同") == [Segment("same", "相同")]
    # A short kept run between two changes joins them into one replacement.
    assert text_diff("一个节点", "分两个阶段") == [Segment("del", "一个节点"), Segment("ins", "分两个阶段")]


def test_a_returned_report_shows_its_reason_the_changes_and_a_number_mismatch(app, two_milestones, people, policy):
    zhuce, dushen, kexin = people["zhuce"], people["dushen"], people["kexin"]
    target, first, second = two_milestones
    reporting.submit_report(step(zhuce, "milestone_report", first), "已扩展到15个行业", 100,
                            {target.id: Decimal(15)}, [], policy, zhuce)
    reporting.contribute(step(kexin, "cooperating_contribution", first), "系统已支持15个行业", [], policy, kexin)
    review = step(dushen, "report_review", first)
    assert review_facts.facts_of(review).changes is None  # a first report has nothing to compare with
    assert review_facts.facts_of(review).warnings == []
    reporting.review_report(review, APPROVE, None, "good", dushen)

    reporting.submit_report(step(zhuce, "milestone_report", second), "已扩展到18个行业", 60,
                            {target.id: Decimal(18)}, [Upload("清单.pdf", b"%PDF-1.4 a")], policy, zhuce)
    reporting.contribute(step(kexin, "cooperating_contribution", second), "系统改造进行中", [], policy, kexin)
    reporting.review_report(step(dushen, "report_review", second), RETURN, "请补充新增行业清单", None, dushen)
    db.session.commit()

    report_item = step(zhuce, "milestone_report", second)
    returned = review_facts.last_return(report_item)
    assert returned.comments == "请补充新增行业清单" and returned.reviewer == dushen
    reporting.submit_report(report_item, "已扩展到22个行业,年底前扩展到25个行业", 50, {target.id: Decimal(20)},
                            [Upload("清单-修订.pdf", b"%PDF-1.4 b")], policy, zhuce,
                            ReportNotes("审批系统对接滞后", "11月底前完成对接", "  "))
    contribution_item = step(kexin, "cooperating_contribution", second)
    # The cooperating unit sees the return too and revises its last part, prefilled.
    assert review_facts.last_return(contribution_item).comments == "请补充新增行业清单"
    with app.test_request_context():
        assert build_form(contribution_item).contribution.data == "系统改造进行中"
    reporting.contribute(contribution_item, "系统改造已完成", [], policy, kexin)
    db.session.commit()

    report = db.session.scalars(select(MilestoneReport).order_by(MilestoneReport.id.desc())).first()
    assert (report.problems, report.next_steps, report.coordination) == ("审批系统对接滞后", "11月底前完成对接", None)
    facts = review_facts.facts_of(step(dushen, "report_review", second))
    assert facts.reviewed == report and facts.returned.comments == "请补充新增行业清单"
    changes = facts.changes
    assert changes.previous == "第 1 次报送"
    values = {v.label: (v.before, v.after) for v in changes.values}
    assert values["完成进度"] == ("60%", "50%")
    assert values[f"指标“{target.phrase}”实际完成"] == (f"18{target.unit}", f"20{target.unit}")
    texts = {t.label: t.segments for t in changes.texts}
    assert Segment("del", "18") in texts["工作进展"] and Segment("ins", "22") in texts["工作进展"]
    assert texts["存在问题"] == [Segment("ins", "审批系统对接滞后")]
    assert Segment("ins", "已完成") in texts["协办(科信处)"]
    assert (changes.added, changes.removed) == (["清单-修订.pdf"], ["清单.pdf"])
    rules = {w.rule: w.message for w in facts.warnings}
    # 22 written, 20 reported; the plan's own 25 is no mismatch.
    assert set(rules) == {"text_number", "percent_back"}
    assert rules["text_number"] == (f"报送内容写的是 22{target.unit},与填报的指标“{target.phrase}”实际完成值 "
                                    f"20{target.unit} 不一致,请核实。")
    assert rules["percent_back"] == "完成进度由第 1 次报送的 60% 降为 50%。"


def test_an_actual_below_the_approved_one_and_a_copied_report_are_flagged(two_milestones, people, policy):
    zhuce, dushen, kexin = people["zhuce"], people["dushen"], people["kexin"]
    target, first, second = two_milestones
    text = "本月召开推进会,梳理行业清单,完成系统改造需求分析,已扩展到15个行业。"
    reporting.submit_report(step(zhuce, "milestone_report", first), text, 100, {target.id: Decimal(15)}, [],
                            policy, zhuce)
    reporting.contribute(step(kexin, "cooperating_contribution", first), "已支持", [], policy, kexin)
    reporting.review_report(step(dushen, "report_review", first), APPROVE, None, None, dushen)
    reporting.submit_report(step(zhuce, "milestone_report", second), text.replace("15", "12"), 40,
                            {target.id: Decimal(12)}, [], policy, zhuce)
    db.session.commit()
    report = db.session.scalars(select(MilestoneReport).order_by(MilestoneReport.id.desc())).first()
    rules = {w.rule: w.message for w in check_report(report)}
    assert set(rules) == {"below_approved", "similar"}  # text and actual agree; another milestone's percent
    assert rules["below_approved"] == (f"指标“{target.phrase}”本次实际完成值 12{target.unit} "
                                       f"低于上次审核通过的 15{target.unit}。")
    assert rules["similar"].startswith("本次工作进展与节点1「扩展到15个行业」第 1 次报送几乎相同(相似度 9")


def test_steps_without_a_return_show_none(two_milestones, task7, people):
    item = step(people["zhuce"], "milestone_report", two_milestones[1])
    assert review_facts.facts_of(item) == review_facts.StepFacts(None)
    assert db.session.scalar(select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task7.id)) == 2


def test_a_returned_rectification_plan_shows_its_reason_and_what_changed(activity, people, policy):  # noqa: F811
    """The demo's rectification on task 7: its plan waits for 督审处; returned once and revised."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    (review,) = [i for i in work_items.inbox(dushen) if i.form_key == "rectification_plan_review"]
    facts = review_facts.facts_of(review)
    assert facts.reviewed.text == "按月扩展行业,12月底前覆盖25个行业。" and facts.changes is None
    rectification.review_plan(review, RETURN, "请写明每月扩展的行业", dushen)
    (plan_item,) = [i for i in work_items.inbox(zhuce) if i.form_key == "rectification_plan"]
    assert review_facts.last_return(plan_item).comments == "请写明每月扩展的行业"
    rectification.submit_plan(plan_item, "按月扩展行业(10月食品、11月药品),12月底前覆盖25个行业。",
                              [Upload("扩展计划.pdf", b"%PDF-1.4 c")], policy, zhuce)
    (review,) = [i for i in work_items.inbox(dushen) if i.form_key == "rectification_plan_review"]
    facts = review_facts.facts_of(review)
    assert facts.returned.comments == "请写明每月扩展的行业" and facts.warnings == []
    assert facts.changes.previous == "第 1 次整改方案" and facts.changes.added == ["扩展计划.pdf"]
    assert [t.label for t in facts.changes.texts] == ["整改方案"]
    assert Segment("ins", "(10月食品、11月药品)") in facts.changes.texts[0].segments
