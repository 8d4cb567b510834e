"""One task of the 2023 plan from import to closure, with a return on each review, through the services."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import FieldRefused, InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    Decomposition,
    DecompositionStatus,
    MilestoneStatus,
    PlanTask,
    ReviewDecision,
    ReviewRecord,
    Unit,
    User,
    WorkItem,
)
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.scoring import closure

APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN


def item_for(user: User, form_key: str, task: PlanTask) -> WorkItem:
    items = [i for i in work_items.inbox(user) if i.form_key == form_key and i.context.get("plan_task_id") == task.id]
    assert len(items) == 1, [(i.step_name, i.context) for i in work_items.inbox(user)]
    return items[0]


def unit(name: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == name))


def test_import_numbers_every_task_and_opens_one_decomposition_per_decomposing_unit(task7, people):
    plan = task7.plan
    assert task7.supervision_number == "督〔2023〕7号"
    decompositions = db.session.scalars(select(Decomposition)).all()
    task16 = next(t for t in plan.tasks if t.number == 16)
    task19 = next(t for t in plan.tasks if t.number == 19)
    assert [d.unit.name for d in decompositions if d.plan_task_id == task16.id] == ["质量发展处", "计量处", "认检处"]
    assert len([d for d in decompositions if d.plan_task_id == task19.id]) == 4   # no lead: each of the four
    own = [i.context["plan_task_id"] for i in work_items.inbox(people["zhuce"]) if i.form_key == "decomposition"]
    assert sorted(t.number for t in plan.tasks if t.id in own) == [5, 6, 7]


def test_task_from_decomposition_to_closure_with_returns(task7, people, tmp_path):
    zhuce, dushen, kexin = people["zhuce"], people["dushen"], people["kexin"]
    target = task7.targets[0]
    plan = MilestonePlan("扩大“一业一证”改革行业范围", "改革行业清单及实施方案", date(2023, 9, 30), zhuce.id,
                         (unit("科信处").id,), (target.id,), past_date_reason="补录")

    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [plan], "按季度推进", zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), RETURN, "请细化节点", dushen)
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [plan], "已细化", zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), APPROVE, None, dushen)
    db.session.commit()
    (milestone,) = db.session.scalars(
        select(Decomposition).where(Decomposition.plan_task_id == task7.id)).one().milestones
    assert milestone.status is MilestoneStatus.IN_PROGRESS

    policy = UploadPolicy(tmp_path, 1024 * 1024)
    from app.services.lifecycle.reporting import Upload
    report_item = item_for(zhuce, "milestone_report", task7)
    assert report_item.due_at.isoformat() == "2023-09-30T10:00:00+00:00"
    reporting.submit_report(report_item, "已扩展到18个行业", 60, {target.id: Decimal("18")},
                            [Upload("进展.pdf", b"%PDF-1.4 x")], policy, zhuce)
    reporting.contribute(item_for(kexin, "cooperating_contribution", task7), "系统已支持", [], policy, kexin)
    reporting.review_report(item_for(dushen, "report_review", task7), RETURN, "请补充行业清单", None, dushen)
    assert milestone.status is MilestoneStatus.IN_PROGRESS
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "已扩展到26个行业", 100,
                            {target.id: Decimal("26")}, [], policy, zhuce)
    reporting.contribute(item_for(kexin, "cooperating_contribution", task7), "系统已上线", [], policy, kexin)
    reporting.review_report(item_for(dushen, "report_review", task7), APPROVE, None, "good", dushen)
    db.session.commit()

    assert milestone.status is MilestoneStatus.APPROVED
    assert [r.percent_done for r in milestone.reports] == [60, 100]
    assert [len(r.contributions) for r in milestone.reports] == [1, 1]
    steps = db.session.scalars(select(ReviewRecord.step).where(ReviewRecord.plan_task_id == task7.id)
                               .order_by(ReviewRecord.id)).all()
    assert steps == ["decomposition_review"] * 2 + ["report_review"] * 2
    assert not closure.is_closed(task7)
    closure.close_part(item_for(dushen, "task_closure", task7), "按期完成", dushen)
    db.session.commit()
    assert closure.is_closed(task7)
    assert (tmp_path / f"task-{task7.id}").is_dir()


def test_another_unit_cannot_act_and_a_double_submit_is_refused(task7, people):
    zhuce, kexin = people["zhuce"], people["kexin"]
    item = item_for(zhuce, "decomposition", task7)
    plan = MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id, past_date_reason="补录")
    with pytest.raises(PermissionDenied):
        decomposition.submit_decomposition(item, [plan], None, kexin)
    decomposition.submit_decomposition(item, [plan], None, zhuce)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        decomposition.submit_decomposition(db.session.get(WorkItem, item.id), [plan], None, zhuce)
    assert db.session.scalar(select(Decomposition).where(Decomposition.plan_task_id == task7.id)).rounds_submitted == 1


def test_a_milestone_outside_the_plan_year_is_refused(task7, people):
    zhuce = people["zhuce"]
    late = MilestonePlan("节点", "成果", date(2021, 1, 1), zhuce.id)
    with pytest.raises(ValidationFailed, match="完成时限应在 2023 年内"):
        decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [late], None, zhuce)


def test_a_past_milestone_date_needs_a_reason_and_the_year_end_is_the_limit():
    rule = decomposition.milestone_date_refusal
    today = date(2023, 3, 1)
    assert rule(date(2023, 3, 1), 2023, today, None) is None and rule(date(2023, 12, 31), 2023, today, None) is None
    assert "早于今天" in rule(date(2023, 2, 28), 2023, today, None)
    assert "早于今天" in rule(date(2023, 2, 28), 2023, today, "  ")
    assert rule(date(2023, 2, 28), 2023, today, "补录已完成的节点") is None
    assert "应在 2023 年内" in rule(date(2024, 1, 1), 2023, today, "补录")
    assert "应在 2023 年内" in rule(date(2022, 12, 31), 2023, today, "补录")


def test_a_negative_actual_is_refused_by_the_service_on_its_row(task7, people, tmp_path):
    zhuce, dushen = people["zhuce"], people["dushen"]
    target = task7.targets[0]
    plan = MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id, (), (target.id,), past_date_reason="补录")
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [plan], None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), ReviewDecision.APPROVE,
                                       None, dushen)
    with pytest.raises(FieldRefused, match="实际完成值不能为负数") as refused:
        reporting.submit_report(item_for(zhuce, "milestone_report", task7), "进展", 50, {target.id: Decimal("-1")},
                                [], UploadPolicy(tmp_path, 1024), zhuce)
    assert refused.value.field == "actuals-0-actual"


def test_an_owner_from_another_unit_is_refused(task7, people):
    zhuce = people["zhuce"]
    foreign = MilestonePlan("节点", "成果", date(2023, 5, 1), people["kexin"].id, past_date_reason="补录")
    with pytest.raises(ValidationFailed, match="责任人必须是本单位"):
        decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [foreign], None, zhuce)


def test_a_return_needs_comments(task7, people):
    zhuce, dushen = people["zhuce"], people["dushen"]
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7),
                                       [MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id,
                                                      past_date_reason="补录")], None, zhuce)
    with pytest.raises(ValidationFailed, match="退回时必须填写意见"):
        decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), RETURN, " ", dushen)
    assert db.session.scalar(select(Decomposition).where(Decomposition.plan_task_id == task7.id)).status \
        is DecompositionStatus.SUBMITTED


def test_a_unit_that_requires_it_has_its_head_sign_reports_off(task7, people, tmp_path):
    zhuce, head, dushen, kexin = people["zhuce"], people["zhuce_head"], people["dushen"], people["kexin"]
    unit("注册处").requires_head_signoff = True
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7),
                                       [MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id,
                                                      past_date_reason="补录")], None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), APPROVE, None, dushen)
    policy = UploadPolicy(tmp_path, 1024)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "初稿", 50, {}, [], policy, zhuce)
    with pytest.raises(PermissionDenied):
        reporting.sign_off(item_for(head, "head_signoff", task7), APPROVE, None, kexin)
    reporting.sign_off(item_for(head, "head_signoff", task7), RETURN, "数据有误", head)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "修改稿", 80, {}, [], policy, zhuce)
    reporting.sign_off(item_for(head, "head_signoff", task7), APPROVE, None, head)
    reporting.review_report(item_for(dushen, "report_review", task7), APPROVE, None, None, dushen)
    steps = db.session.scalars(select(ReviewRecord.step).where(ReviewRecord.milestone_report_id.is_not(None))
                               .order_by(ReviewRecord.id)).all()
    assert steps == ["head_signoff", "head_signoff", "report_review"]


def test_a_refused_report_leaves_no_file_behind(task7, people, tmp_path):
    from app.services.lifecycle.reporting import Upload

    zhuce, dushen = people["zhuce"], people["dushen"]
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7),
                                       [MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id,
                                                      past_date_reason="补录")], None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), APPROVE, None, dushen)
    db.session.commit()
    uploads = [Upload("进展.pdf", b"%PDF-1.4 fine"), Upload("病毒.exe", b"MZ\x90\x00" + bytes(64))]
    with pytest.raises(ValidationFailed, match="格式不受支持"):
        reporting.submit_report(item_for(zhuce, "milestone_report", task7), "进展", 50, {}, uploads,
                                UploadPolicy(tmp_path, 1024 * 1024), zhuce)
    db.session.rollback()
    assert list(tmp_path.rglob("*.pdf")) == []
