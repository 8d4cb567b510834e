"""中止 and 阶段性办结: the lead unit asks, 督审处 decides; light, state, reminders and score follow, as of a day."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    Attachment,
    AuditEvent,
    Decomposition,
    ExtensionStatus,
    HoldKind,
    NoticeMailChoice,
    NoticeTopic,
    Notification,
    PlanTask,
    ScoringPolicyVersion,
    TaskEvaluation,
    TaskHoldRequest,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models.lifecycle import task_is_closed
from app.services.dashboards import facts
from app.services.dashboards.lights import Light, LightVerdict
from app.services.dashboards.lights import task_lights as lights_of_tasks
from app.services.lifecycle import progress_reports
from app.services.lifecycle.reporting import Upload, UploadPolicy
from app.services.scoring import assessment, scoring_policy, task_holds
from app.services.timing import deadlines
from tests.services.test_lights import at, decompose, on, plan, task  # noqa: F401

SUSPEND, STAGE_CLOSE = HoldKind.SUSPEND, HoldKind.STAGE_CLOSE


@pytest.fixture
def task7(plan, people):  # noqa: F811
    """注册处 leads task 7 (科信处 cooperates): one milestone due 9 October 2023, one at the year's end."""
    seven = task(plan, 7)
    decompose(seven, people, ("完成试点", date(2023, 10, 9)), ("扩大行业范围", date(2023, 12, 29)))
    return seven


def ask(seven, people, kind=SUSPEND, who="zhuce", reason="相关工作已由国家局统一部署,本项不再单独推进"):
    with on(10, 11):
        return task_holds.request_hold(seven, kind, reason, people[who])


def notices(user, step: str) -> list[Notification]:
    """The user's notices of hold requests at ``step`` (requested, approved, refused)."""
    return [n for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))
            if n.key.startswith("task_hold_request:") and n.key.endswith(f":{step}")]


def open_items(seven) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).join(WorkflowInstance, WorkItem.instance_id == WorkflowInstance.id)
                                   .where(WorkflowInstance.plan_task_id == seven.id,
                                          WorkItem.state == WorkItemState.OPEN)))


def state_on(plan, seven, day: date) -> str:  # noqa: F811
    rows = facts.task_facts(plan.id, day)
    return db.session.scalar(select(rows.c.state).where(rows.c.task_id == seven.id))


def counted_milestones(plan, seven, day: date) -> int:  # noqa: F811
    rows = facts.milestone_facts(plan.id, day)
    return db.session.scalar(select(func.count()).select_from(rows).where(rows.c.task_id == seven.id))


def test_a_request_waits_for_the_supervisor_and_tells_it(task7, people):
    request = ask(task7, people)
    assert request.status is ExtensionStatus.PENDING and request.unit_id == people["zhuce"].unit_id
    bureau = task7.plan.organisation_id
    assert task_holds.pending(bureau) == [request] and task_holds.pending_count(bureau) == 1
    assert task7.held_at is None and open_items(task7)
    (notice,) = notices(people["dushen"], "requested")
    assert "中止申请" in notice.body and "国家局统一部署" in notice.body and notice.link == f"/holds/{request.id}"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity == "plan_task",
                                                             AuditEvent.entity_id == str(task7.id))) == "hold_requested"


def test_bad_requests_are_refused_and_store_nothing(task7, plan, people):  # noqa: F811
    with pytest.raises(PermissionDenied, match="只有承担该任务的牵头"):  # 科信处 only cooperates on task 7
        ask(task7, people, who="kexin")
    with pytest.raises(PermissionDenied):
        ask(task7, people, who="dushen")
    with pytest.raises(PermissionDenied):  # 注册处 has no part of task 23
        ask(task(plan, 23), people)
    with pytest.raises(ValidationFailed, match="请填写申请的理由"):
        ask(task7, people, reason="  ")
    with pytest.raises(ValidationFailed, match="请选择"):
        ask(task7, people, kind="pause")
    db.session.rollback()
    assert db.session.scalar(select(func.count(TaskHoldRequest.id))) == 0
    ask(task7, people)
    with pytest.raises(InvalidTransition, match="已有待审批"):
        ask(task7, people, kind=STAGE_CLOSE)


def test_a_request_keeps_its_supporting_files_and_a_refused_file_keeps_nothing(task7, people, tmp_path):
    policy = UploadPolicy(tmp_path, 1024 * 1024)
    with pytest.raises(ValidationFailed, match="格式不受支持"), on(10, 11):  # no commit on the way out
        task_holds.request_hold(task7, SUSPEND, "国家局统一部署", people["zhuce"],
                                [Upload("a.txt", b"<html><script>x</script>")], policy)
    db.session.rollback()
    assert db.session.scalar(select(func.count(TaskHoldRequest.id))) == 0
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    with on(10, 11):
        request = task_holds.request_hold(task7, SUSPEND, "国家局统一部署", people["zhuce"],
                                          [Upload("通知.txt", "国家局通知全文。".encode())], policy)
    db.session.commit()
    (file,) = task_holds.evidence(request)
    assert file.owner == ("task_hold_request", request.id) and file.plan_task_id == task7.id
    assert (tmp_path / f"task-{task7.id}" / file.stored_name).read_bytes() == "国家局通知全文。".encode()
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "hold_requested"))
    assert audit.after["attachments"] == 1


def test_the_database_keeps_one_pending_request_per_task(task7, people):
    ask(task7, people)
    db.session.execute(update(TaskHoldRequest).values(status=ExtensionStatus.PENDING))
    twin = TaskHoldRequest(plan_task_id=task7.id, unit_id=people["zhuce"].unit_id, kind=STAGE_CLOSE, reason="x",
                           requested_by_id=people["zhuce"].id)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_suspension_greys_the_task_ends_its_steps_and_leaves_reminders_and_scores(task7, plan, people):  # noqa: F811
    zhuce_unit = people["zhuce"].unit_id
    assert assessment.explain_unit(plan.id, zhuce_unit, date(2023, 10, 12)).tasks  # counted while supervised
    request = ask(task7, people)
    with on(10, 11, 15):
        task_holds.approve(request, "同意中止", people["dushen"])
    assert request.status is ExtensionStatus.APPROVED and task7.hold_kind is SUSPEND and task7.held_at is not None
    ended = list(db.session.scalars(select(WorkItem).join(WorkflowInstance, WorkItem.instance_id == WorkflowInstance.id)
                                    .where(WorkflowInstance.plan_task_id == task7.id,
                                           WorkItem.state == WorkItemState.CANCELLED)))
    assert ended and open_items(task7) == []  # ended, kept

    # Lights and states as of each day: red (the 9 October milestone overdue) before, grey after.
    before, after = lights_of_tasks(at(10, 10), task_ids=[task7.id]), lights_of_tasks(at(10, 12), task_ids=[task7.id])
    assert before[task7.id].light is Light.RED
    assert after[task7.id] == LightVerdict(Light.GREY, "已中止")
    assert (state_on(plan, task7, date(2023, 10, 10)), state_on(plan, task7, date(2023, 10, 12))) == \
        ("in_progress", "suspended")
    assert (counted_milestones(plan, task7, date(2023, 10, 10)), counted_milestones(plan, task7, date(2023, 10, 12))) \
        == (2, 0)

    # No reminder, escalation or periodic report for it any more.
    sent = deadlines.sweep(at(10, 20))
    assert not [s for s in sent if s.work_item in {i.id for i in ended}]
    assert all(task_id != task7.id for task_id, _ in progress_reports.open_parts(plan))

    # Out of the assessment from that day (the default policy), in it the day before.
    assert task7.number in {line.task_number for line in
                            assessment.explain_unit(plan.id, zhuce_unit, date(2023, 10, 10)).tasks}
    assert task7.number not in {line.task_number for line in
                                assessment.explain_unit(plan.id, zhuce_unit, date(2023, 10, 12)).tasks}
    assert db.session.scalar(select(func.count(TaskEvaluation.id)).where(TaskEvaluation.plan_task_id == task7.id)) == 0

    (notice,) = notices(people["zhuce"], "approved")
    assert "中止申请已批准" in notice.body and "同意中止" in notice.body
    with pytest.raises(InvalidTransition, match="已审批（已批准）"):
        task_holds.refuse(request, "重复", people["dushen"])
    with pytest.raises(InvalidTransition, match="已中止"):
        ask(task7, people, kind=STAGE_CLOSE)


def test_the_policy_may_freeze_a_suspended_tasks_score(task7, plan, people):  # noqa: F811
    version = scoring_policy.ensure_version(plan.id, people["dushen"])
    scoring_policy.save_policy(plan, version.text.replace("suspended_scored = false", "suspended_scored = true"),
                               "中止任务计分", version.version, people["dushen"])
    request = ask(task7, people)
    with on(10, 11, 15):
        task_holds.approve(request, None, people["dushen"])
    frozen = db.session.scalars(select(TaskEvaluation).where(TaskEvaluation.plan_task_id == task7.id)).all()
    assert frozen and frozen[0].policy_version_id != version.id
    assert task7.number in {line.task_number for line in
                            assessment.explain_unit(plan.id, people["zhuce"].unit_id, date(2023, 10, 12)).tasks}
    assert db.session.scalar(select(func.count(ScoringPolicyVersion.id))
                             .where(ScoringPolicyVersion.plan_id == plan.id)) == 2


def test_stage_closure_closes_the_task_with_its_own_label_and_scores_it(task7, plan, people):  # noqa: F811
    request = ask(task7, people, kind=STAGE_CLOSE, reason="试点已完成,转入常态化推进")
    with on(10, 11, 15):
        task_holds.approve(request, None, people["dushen"])
    assert task7.hold_kind is STAGE_CLOSE and open_items(task7) == []
    assert db.session.scalar(select(task_is_closed(task7.id)))
    assert all(d.closed_at is not None for d in db.session.scalars(
        select(Decomposition).where(Decomposition.plan_task_id == task7.id)))
    assert lights_of_tasks(at(10, 12), task_ids=[task7.id])[task7.id] == LightVerdict(Light.GREEN, "阶段性办结")
    assert state_on(plan, task7, date(2023, 10, 12)) == "closed"
    assert facts.state_label("closed", "stage_close") == "阶段性办结"
    assert db.session.scalar(select(func.count(TaskEvaluation.id)).where(TaskEvaluation.plan_task_id == task7.id)) > 0
    (notice,) = notices(people["zhuce"], "approved")
    assert "阶段性办结申请已批准" in notice.body


def test_a_refusal_needs_a_note_and_the_task_goes_on(task7, people):
    request = ask(task7, people)
    with pytest.raises(ValidationFailed, match="请填写审批意见"):
        task_holds.refuse(request, " ", people["dushen"])
    with pytest.raises(PermissionDenied):
        task_holds.approve(request, None, people["zhuce"])
    assert request.status is ExtensionStatus.PENDING
    task_holds.refuse(request, "任务仍需推进", people["dushen"])
    assert request.status is ExtensionStatus.REFUSED and task7.held_at is None and open_items(task7)
    (notice,) = notices(people["zhuce_head"], "refused")
    assert "未获批准" in notice.body and "任务仍需推进" in notice.body
    assert ask(task7, people, kind=STAGE_CLOSE).status is ExtensionStatus.PENDING  # a new request may follow


def test_a_task_cancelled_meanwhile_is_not_held(task7, people):
    request = ask(task7, people)
    db.session.execute(update(PlanTask).where(PlanTask.id == task7.id).values(cancelled_at=at(10, 11, 12),
                                                                              cancel_reason="随计划修订取消"))
    with pytest.raises(InvalidTransition, match="已随计划修订取消"):
        task_holds.approve(request, None, people["dushen"])
    db.session.rollback()
    db.session.refresh(task7)
    assert task7.held_at is None


def test_a_person_may_take_the_new_notices_by_mail_or_not(people):
    """The migration widened the topics the database accepts."""
    for topic in (NoticeTopic.HOLD_REQUESTED, NoticeTopic.HOLD_DECIDED):
        db.session.add(NoticeMailChoice(user_id=people["zhuce"].id, topic=topic, by_mail=False))
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(NoticeMailChoice)) == 2
