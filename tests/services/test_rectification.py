"""整改 through the services: from a returned report to 销号, rounds, closure, access, stale submits, bad input."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    AuditEvent,
    InstanceKind,
    Notification,
    Rectification,
    RectificationStatus,
    ReviewDecision,
    ReviewRecord,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.services.follow_up import rectification, rectification_view
from app.services.follow_up.rectification import RectificationOrder
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import Upload, UploadPolicy
from app.services.scoring import closure
from app.services.timing.workdays import BEIJING, end_of_day
from tests.services.test_lifecycle import item_for, unit

APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN
EVIDENCE = [Upload("整改佐证.pdf", b"%PDF-1.4 evidence")]


def in_days(days: int) -> date:
    return datetime.now(BEIJING).date() + timedelta(days=days)


@pytest.fixture
def policy(tmp_path):
    return UploadPolicy(tmp_path, 1024 * 1024)


@pytest.fixture
def returned(task7, people, policy) -> ReviewRecord:
    return return_a_report(task7, people, policy)


def return_a_report(task7, people, policy) -> ReviewRecord:
    """Task 7 decomposed into one milestone whose first report 督审处 returned with two comments."""
    zhuce, dushen = people["zhuce"], people["dushen"]
    plan = MilestonePlan("扩大改革行业范围", "行业清单", date(2023, 9, 30), zhuce.id, past_date_reason="补录")
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [plan], None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), APPROVE, None, dushen)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "已扩展到18个行业", 60, {}, [], policy, zhuce)
    record = reporting.review_report(item_for(dushen, "report_review", task7), RETURN,
                                     "行业清单不完整\n缺少实施方案", None, dushen)
    db.session.commit()
    return record


def order(unit_id: int, **changes) -> RectificationOrder:
    values = {"unit_id": unit_id, "source": "inspection", "problems": ["台账不全"], "requirement": "补齐台账",
              "due_date": in_days(30), "milestone_id": None}
    return RectificationOrder(**{**values, **changes})


def step(rect: Rectification, form_key: str) -> WorkItem:
    """The rectification's one open item of ``form_key``."""
    query = select(WorkItem).where(WorkItem.state == WorkItemState.OPEN, WorkItem.form_key == form_key)
    (item,) = [i for i in db.session.scalars(query) if i.context.get("rectification_id") == rect.id]
    return item


def run_to_verified(rect: Rectification, people, policy) -> None:
    zhuce, dushen = people["zhuce"], people["dushen"]
    rectification.submit_plan(step(rect, "rectification_plan"), "整改方案", [], policy, zhuce)
    rectification.review_plan(step(rect, "rectification_plan_review"), APPROVE, None, dushen)
    rectification.submit_result(step(rect, "rectification_result"), "已整改", EVIDENCE, policy, zhuce)
    rectification.verify(step(rect, "rectification_verify"), APPROVE, None, dushen)


def test_from_a_returned_report_to_verification_with_a_return_of_plan_and_result(returned, people, policy):
    zhuce, dushen = people["zhuce"], people["dushen"]
    assert rectification.problems_from_review(returned) == ["行业清单不完整", "缺少实施方案"]
    rect = rectification.open_from_review(
        returned, order(0, problems=rectification.problems_from_review(returned), due_date=in_days(20)), dushen)
    db.session.commit()
    assert (rect.unit.name, rect.source.value, rect.review_record_id) == ("注册处", "report_review", returned.id)
    assert rect.milestone is not None and [p.text for p in rect.problems] == ["行业清单不完整", "缺少实施方案"]
    assert rect.status is RectificationStatus.PLANNING
    instance = db.session.scalar(select(WorkflowInstance).where(WorkflowInstance.rectification_id == rect.id))
    assert instance.plan_task_id == rect.plan_task_id
    plan_item = step(rect, "rectification_plan")
    assert plan_item.unit_id == rect.unit_id and plan_item.due_at is not None

    rectification.submit_plan(plan_item, "第一版方案", [], policy, zhuce)
    assert rect.status is RectificationStatus.PLAN_REVIEW
    rectification.review_plan(step(rect, "rectification_plan_review"), RETURN, "措施不具体", dushen)
    assert rect.status is RectificationStatus.PLANNING
    rectification.submit_plan(step(rect, "rectification_plan"), "第二版方案", [], policy, zhuce)
    rectification.review_plan(step(rect, "rectification_plan_review"), APPROVE, None, dushen)
    assert rect.status is RectificationStatus.EXECUTING
    result_item = step(rect, "rectification_result")
    assert result_item.due_at == end_of_day(in_days(20))
    rectification.submit_result(result_item, "已补充清单", EVIDENCE, policy, zhuce)
    rectification.verify(step(rect, "rectification_verify"), RETURN, "佐证不足", dushen)
    assert rect.status is RectificationStatus.EXECUTING and rect.closed_at is None
    rectification.submit_result(step(rect, "rectification_result"), "已补充实施方案", EVIDENCE, policy, zhuce)
    rectification.verify(step(rect, "rectification_verify"), APPROVE, None, dushen)
    db.session.commit()

    assert rect.status is RectificationStatus.VERIFIED and rect.closed_at is not None
    rounds = rectification_view.rounds(rect)
    assert [(r.submission.kind.value, r.submission.number) for r in rounds] == [
        ("plan", 1), ("plan", 2), ("result", 1), ("result", 2)]
    assert [[v.decision.value for v in r.verdicts] for r in rounds] == [
        ["return"], ["approve"], ["return"], ["approve"]]
    assert [len(r.attachments) for r in rounds] == [0, 0, 1, 1]
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity == "rectification", AuditEvent.entity_id == str(rect.id)).order_by(AuditEvent.id)).all()
    assert actions == ["opened", "plan_submitted", "rectification_plan_review_return", "plan_submitted",
                       "rectification_plan_review_approve", "result_submitted", "rectification_verify_return",
                       "result_submitted", "rectification_verify_approve"]
    assert db.session.get(WorkflowInstance, instance.id).status.value == "completed"
    told = db.session.scalars(select(Notification.key).where(Notification.user_id == zhuce.id,
                                                             Notification.key.like("rectification:%"))).all()
    assert len(told) == 5   # opened + four verdicts


def test_several_rectifications_run_at_once_and_the_task_cannot_close_until_all_are_verified(
        returned, task7, people, policy):
    zhuce, dushen = people["zhuce"], people["dushen"]
    first = rectification.open_from_review(returned, order(0), dushen)
    second = rectification.open_rectification(
        task7, order(unit("注册处").id, source="internal_audit", requirement="完善内审台账"), dushen)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "已扩展到26个行业", 100, {}, [], policy, zhuce)
    reporting.review_report(item_for(dushen, "report_review", task7), APPROVE, None, None, dushen)
    db.session.commit()
    assert {r.id for r in rectification_view.open_rectifications(task7)} == {first.id, second.id}
    assert len([i for i in work_items.inbox(zhuce) if i.form_key == "rectification_plan"]) == 2

    closing = item_for(dushen, "task_closure", task7)
    with pytest.raises(ValidationFailed, match=f"整改 #{first.id}.*整改 #{second.id}"):
        closure.close_part(closing, None, dushen)
    db.session.rollback()
    run_to_verified(first, people, policy)
    db.session.commit()
    with pytest.raises(ValidationFailed, match=f"尚有 1 项整改未销号:整改 #{second.id}"):
        closure.close_part(db.session.get(WorkItem, closing.id), None, dushen)
    db.session.rollback()
    run_to_verified(db.session.get(Rectification, second.id), people, policy)
    closure.close_part(db.session.get(WorkItem, closing.id), "按期完成", dushen)
    db.session.commit()
    assert closure.is_closed(task7)


def test_another_unit_cannot_act_and_only_supervisors_open(returned, task7, people, policy):
    zhuce, kexin, dushen = people["zhuce"], people["kexin"], people["dushen"]
    with pytest.raises(PermissionDenied):
        rectification.open_rectification(task7, order(unit("注册处").id), zhuce)
    rect = rectification.open_from_review(returned, order(0), dushen)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        rectification.submit_plan(step(rect, "rectification_plan"), "别的单位", [], policy, kexin)
    with pytest.raises(PermissionDenied):
        rectification.submit_plan(step(rect, "rectification_plan"), "别的单位", [], policy, people["zhuce_head"])
    with pytest.raises(PermissionDenied):
        rectification_view.ensure_can_view(kexin, rect)
    rectification_view.ensure_can_view(zhuce, rect)


def test_a_stale_or_double_submit_is_refused(returned, people, policy):
    zhuce, dushen = people["zhuce"], people["dushen"]
    rect = rectification.open_from_review(returned, order(0), dushen)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        rectification.open_from_review(returned, order(0), dushen)
    db.session.rollback()
    audit_order = order(rect.unit_id, source="internal_audit", requirement="内审发现的问题")
    rectification.open_rectification(rect.task, audit_order, dushen)
    with pytest.raises(InvalidTransition, match="请勿重复提交"):
        rectification.open_rectification(rect.task, audit_order, dushen)
    db.session.rollback()
    item = step(rect, "rectification_plan")
    rectification.submit_plan(item, "方案", [], policy, zhuce)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        rectification.submit_plan(db.session.get(WorkItem, item.id), "方案", [], policy, zhuce)
    db.session.rollback()
    assert len(db.session.get(Rectification, rect.id).submissions) == 1


@pytest.mark.parametrize("changes, message", [
    ({"unit": "科信处"}, "牵头或责任单位"),
    ({"problems": ["  ", ""]}, "至少列出一个"),
    ({"requirement": " "}, "整改要求"),
    ({"due_date": "today"}, "今天以后"),
    ({"due_date": None}, "今天以后"),
    ({"source": "rumour"}, "问题来源"),
    ({"milestone_id": -1}, "所选节点"),
])
def test_bad_input_is_refused_and_changes_nothing(task7, people, changes, message):
    changes = dict(changes)
    unit_id = unit(changes.pop("unit", "注册处")).id
    if changes.get("due_date") == "today":
        changes["due_date"] = in_days(0)
    with pytest.raises(ValidationFailed, match=message):
        rectification.open_rectification(task7, order(unit_id, **changes), people["dushen"])
    db.session.rollback()
    assert db.session.scalar(select(func.count(Rectification.id))) == 0
    assert db.session.scalar(select(func.count(WorkflowInstance.id)).where(
        WorkflowInstance.kind == InstanceKind.RECTIFICATION)) == 0


def test_a_result_needs_evidence_and_only_a_returned_report_opens_one(returned, task7, people, policy):
    zhuce, dushen = people["zhuce"], people["dushen"]
    rect = rectification.open_rectification(task7, order(unit("注册处").id), dushen)
    rectification.submit_plan(step(rect, "rectification_plan"), "方案", [], policy, zhuce)
    rectification.review_plan(step(rect, "rectification_plan_review"), APPROVE, None, dushen)
    with pytest.raises(ValidationFailed, match="佐证材料"):
        rectification.submit_result(step(rect, "rectification_result"), "已整改", [], policy, zhuce)
    rectification.submit_result(step(rect, "rectification_result"), "已整改", EVIDENCE, policy, zhuce)
    with pytest.raises(ValidationFailed, match="退回时必须填写意见"):
        rectification.verify(step(rect, "rectification_verify"), RETURN, " ", dushen)
    decomposition_review = db.session.scalar(select(ReviewRecord).where(ReviewRecord.step == "decomposition_review"))
    with pytest.raises(ValidationFailed, match="退回的报送审核意见"):
        rectification.open_from_review(decomposition_review, order(0), dushen)
