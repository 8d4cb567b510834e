"""Every registered route × every role: allowed or denied, exactly as this table says.

A route missing from EXPECTED fails the suite, so no view ships without a rule.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from app.demo import load_demo
from app.extensions import db
from app.models import (
    Appeal,
    Attachment,
    CalendarOverride,
    ExportJob,
    ExportStatus,
    ExtensionRequest,
    HoldKind,
    LeaderInstruction,
    MilestoneReport,
    Notification,
    Plan,
    PlanImportDraft,
    PlanTarget,
    PlanTask,
    ProcessBinding,
    Rectification,
    ReviewRecord,
    TaskChangeRequest,
    TaskHoldRequest,
    Unit,
    UnitGroup,
    User,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventKind,
    WebhookSubscription,
    WorkflowInstance,
    WorkItem,
)
from app.services.follow_up import extensions
from app.services.infrastructure import attachments, notices
from app.services.lifecycle import discussion
from app.services.plans import plan_import, task_edits
from app.services.scoring import task_holds
from app.services.timing import calendar_overrides
from tests.conftest import ROOT, empty_all_tables, login, make_test_app

FIXTURES = ROOT / "tests" / "fixtures" / "plans"
PLAN_2023 = FIXTURES / "hubei-amr-2023-work-points.txt"

ANONYMOUS = "anonymous"
USERS = ("admin", "dushen", "zhuce", "zhuce_head", "kexin", "leader")
EVERYONE = frozenset((ANONYMOUS, *USERS))
SIGNED_IN = frozenset(USERS)
ADMIN = frozenset({"admin"})

EXPECTED: dict[str, frozenset[str]] = {
    "main.health": EVERYONE,
    "auth.login": EVERYONE,
    "main.index": SIGNED_IN,
    "main.search": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.password": SIGNED_IN,
    "auth.pending": SIGNED_IN,
    "auth.sso_start": EVERYONE,
    "auth.oidc_callback": EVERYONE,
    "auth.cas_callback": EVERYONE,
    "main.my_unit": frozenset({"zhuce", "zhuce_head", "kexin"}),
    "directory.units": frozenset({"admin", "dushen", "leader"}),
    # 办公室: none of the unit-bound demo users belongs to it.
    "directory.unit": frozenset({"admin", "dushen", "leader"}),
    "directory.groups": frozenset({"admin", "dushen"}),
    "admin.unit_new": ADMIN,
    "admin.unit_edit": ADMIN,
    "admin.group_new": ADMIN,
    "admin.group_edit": ADMIN,
    "admin.users": ADMIN,
    "admin.user_new": ADMIN,
    "admin.user_edit": ADMIN,
    "admin.user_password": ADMIN,
    "admin.user_units": ADMIN,
    "admin.audit": frozenset({"admin", "dushen"}),
    "admin.processes_index": ADMIN,
    "admin.process_version": ADMIN,
    "admin.process_diagram": ADMIN,
    "admin.process_check": ADMIN,
    "admin.process_deploy": ADMIN,
    "admin.process_instances": ADMIN,
    "admin.process_instance": ADMIN,
    "admin.process_instance_suspend": ADMIN,
    "admin.process_instance_resume": ADMIN,
    "admin.process_instance_end": ADMIN,
    "admin.process_instance_move_back": ADMIN,
    "admin.process_edit": ADMIN,
    "admin.process_check_edited": ADMIN,
    "admin.process_instance_retry": ADMIN,
    "admin.process_bindings": ADMIN,
    "admin.process_binding_delete": ADMIN,
    "admin.process_migrate": ADMIN,
    "admin.webhooks": ADMIN,
    "admin.webhook_toggle": ADMIN,
    "admin.webhook_replay": ADMIN,
    "plans.index": frozenset({"admin", "dushen", "leader"}),
    "plans.detail": frozenset({"admin", "dushen", "leader"}),
    "plans.import_start": frozenset({"dushen"}),
    "plans.item_new": frozenset({"dushen"}),
    "assessment.combined": frozenset({"admin", "dushen", "leader"}),
    "plans.import_review": frozenset({"dushen"}),
    "plans.import_columns": frozenset({"dushen"}),
    "plans.archive": frozenset({"dushen"}),
    "plans.task_edit": frozenset({"dushen"}),
    "plans.task_new": frozenset({"dushen"}),
    "plans.approval_switch": frozenset({"dushen"}),
    # A change of task 1 waiting for a leader (the plan's changes need approval).
    "plans.changes": frozenset({"leader"}),
    "plans.change_decide": frozenset({"leader"}),
    "plans.dispatch_plan": frozenset({"dushen"}),
    # The province has no bureau above it: the page only says so.
    "directory.mapping": frozenset({"admin", "dushen"}),
    "work.inbox": SIGNED_IN,
    "work.done": SIGNED_IN,
    # 注册处's decomposition of task 7: only its liaison may work it.
    "work.item": frozenset({"zhuce"}),
    "work.sign": frozenset({"zhuce"}),
    "work.hand_over": frozenset({"zhuce"}),
    # Task 1 involves none of the unit-bound demo users' units.
    "tasks.detail": frozenset({"admin", "dushen", "leader"}),
    "tasks.diagram": frozenset({"admin", "dushen", "leader"}),
    "tasks.attachment": frozenset({"admin", "dushen", "leader"}),
    "tasks.mine": frozenset({"zhuce", "zhuce_head", "kexin"}),
    "tasks.comment": frozenset({"admin", "dushen", "leader"}),
    "tasks.instruct": frozenset({"leader"}),
    "tasks.priority": frozenset({"dushen"}),
    # The page opens for 督审处; task 1 is the province's own, so the service refuses to assign (a message).
    "tasks.assign": frozenset({"dushen"}),
    # A target of task 1 (not dispatched: no share to set): 督审处 and task 1's lead 处室 only.
    "tasks.split": frozenset({"dushen"}),
    # An instruction on task 7: 注册处 leads it and 科信处 cooperates.
    "tasks.acknowledge": frozenset({"zhuce", "zhuce_head", "kexin"}),
    "notifications.index": SIGNED_IN,
    # 延期申请 on 注册处's decomposition of task 7; approvals are 督审处's, the calendar the administrator's.
    "deadlines.request_extension": frozenset({"zhuce"}),
    "deadlines.pending": frozenset({"dushen"}),
    "deadlines.decide": frozenset({"dushen"}),
    "deadlines.policy": frozenset({"admin", "dushen"}),
    "deadlines.calendar": ADMIN,
    # 中止/阶段性办结: task 1 involves none of the unit-bound users, so nobody may ask on it; 督审处 decides
    # the request 注册处 made on task 7.
    "deadlines.request_hold": frozenset(),
    "deadlines.holds": frozenset({"dushen"}),
    "deadlines.decide_hold": frozenset({"dushen"}),
    "deadlines.calendar_delete": ADMIN,
    "notifications.mark_all_read": SIGNED_IN,
    "notifications.settings": SIGNED_IN,
    # The notice is zhuce's first: only its owner may mark it read.
    "notifications.mark_read": frozenset({"zhuce"}),
    "dashboards.supervision": frozenset({"admin", "dushen", "leader"}),
    "dashboards.leader": frozenset({"admin", "dushen", "leader"}),
    "dashboards.cities": frozenset({"admin", "dushen", "leader"}),
    # 办公室's dashboard: unit staff see only their own unit's.
    "dashboards.unit": frozenset({"admin", "dushen", "leader"}),
    "dashboards.my_unit": frozenset({"zhuce", "zhuce_head", "kexin"}),
    "dashboards.export": frozenset({"admin", "dushen", "leader"}),
    # A document prepared for dushen: only the one who asked for it sees it.
    "dashboards.export_job": frozenset({"dushen"}),
    "dashboards.export_file": frozenset({"dushen"}),
    "rectification.new": frozenset({"dushen"}),
    "rectification.new_from_review": frozenset({"dushen"}),
    # A rectification of 注册处 on task 5: the bureau-wide roles and 注册处's own people.
    "rectification.detail": frozenset({"admin", "dushen", "leader", "zhuce", "zhuce_head"}),
    "rectification.index": frozenset({"dushen"}),
    "rectification.export": frozenset({"dushen"}),
    "rectification.open_items": frozenset({"dushen"}),
    "rectification.urge": frozenset({"dushen"}),
    "rectification.urge_many": frozenset({"dushen"}),
    "assessment.overview": frozenset({"admin", "dushen", "leader"}),
    # 办公室's score: unit staff see only their own unit's, and appeal only its lines.
    "assessment.unit": frozenset({"admin", "dushen", "leader"}),
    "assessment.appeal": frozenset(),
    "assessment.policy": frozenset({"admin", "dushen"}),
    "assessment.appeals_waiting": frozenset({"dushen"}),
    # An appeal of 注册处 (on task 5): the bureau-wide roles and 注册处's own people.
    "assessment.appeal_detail": frozenset({"admin", "dushen", "leader", "zhuce", "zhuce_head"}),
}


@pytest.fixture(scope="module")
def matrix_app(migrated_app, database_url, snapshots):
    """An app on the demo data with CSRF off: this test is about access, not forms."""
    app = make_test_app(database_url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        snapshots.reset()
        org = load_demo()
        plan_import.confirm_import(
            plan_import.start_import(org, None, None, pasted=PLAN_2023.read_text("utf-8")), {}, None)
        plan_import.start_import(org, None, None, data=(FIXTURES / "gb18030-plan.txt").read_bytes(), filename="g.txt")
        _instruction_on_task_7()
        _notice_for_zhuce()
        _rectification_on_task_5(app)
        _appeal_on_task_5()
        attachment_file = _attachment_on_task_1(app)
        _extension_request_and_calendar_override()
        _document_for_dushen()
        _binding_of_milestone()
        _webhook_delivery()
        _target_on_task_1()
        db.session.commit()
        yield app
        db.session.remove()
        empty_all_tables()
        attachment_file.unlink()


def _attachment_on_task_1(app):
    """A stored attachment on task 1 (of task 5's report, the one there is), so everyone can try its download."""
    task = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    stored = attachments.store(Path(app.config["ATTACHMENT_DIR"]) / f"task-{task.id}", b"%PDF-1.4 matrix",
                               "说明.pdf", 1024)
    report = db.session.scalar(select(MilestoneReport))
    db.session.add(Attachment(plan_task_id=task.id, milestone_report_id=report.id,
                              original_name=stored.original_name, stored_name=stored.stored_name,
                              content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                              uploaded_by=admin))
    return stored.path


def _target_on_task_1() -> None:
    task = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    db.session.add(PlanTarget(task_id=task.id, value=10, unit="个", comparator=">=", phrase="建设党支部10个以上",
                              span_start=0, span_end=1))


def _instruction_on_task_7() -> None:
    task = db.session.scalar(select(PlanTask).where(PlanTask.number == 7))
    leader = db.session.scalar(select(User).where(User.username == "leader"))
    discussion.add_instruction(task, "请加快推进", leader)


def _notice_for_zhuce() -> None:
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    notices.notify(zhuce, "info", "matrix:1", "测试通知", "访问矩阵用的通知。", "/work/inbox")


def _rectification_on_task_5(app) -> None:
    """Task 5's report returned by 督审处, and a rectification of 注册处 opened from that review."""
    from datetime import date, datetime, timedelta

    from app.models import ReviewDecision
    from app.services.follow_up import rectification
    from app.services.lifecycle import decomposition, reporting
    from app.services.lifecycle.decomposition import MilestonePlan
    from app.services.lifecycle.reporting import UploadPolicy
    from app.services.timing.workdays import BEIJING
    task = db.session.scalar(select(PlanTask).where(PlanTask.number == 5))
    zhuce, dushen = (db.session.scalar(select(User).where(User.username == name)) for name in ("zhuce", "dushen"))

    def step(form_key: str) -> WorkItem:
        return next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key,
                                                                         WorkItem.state == "open"))
                    if i.context.get("plan_task_id") == task.id)
    decomposition.submit_decomposition(step("decomposition"),
                                       [MilestonePlan("节点", "成果", date(2023, 6, 30), zhuce.id,
                                                      past_date_reason="补录")],
                                       None, zhuce)
    decomposition.review_decomposition(step("decomposition_review"), ReviewDecision.APPROVE, None, dushen)
    policy = UploadPolicy(Path(app.config["ATTACHMENT_DIR"]), 1024)
    reporting.submit_report(step("milestone_report"), "进展", 50, {}, [], policy, zhuce)
    review = reporting.review_report(step("report_review"), ReviewDecision.RETURN, "不完整", None, dushen)
    due = datetime.now(BEIJING).date() + timedelta(days=30)
    rectification.open_from_review(review, rectification.RectificationOrder(None, "", ["不完整"], "补齐", due), dushen)


def _appeal_on_task_5() -> None:
    """注册处 contests the rectification line of its score on task 5."""
    task = db.session.scalar(select(PlanTask).where(PlanTask.number == 5))
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    db.session.add(Appeal(plan_task_id=task.id, unit_id=zhuce.unit_id, category="rectification",
                          event_kind="rectification", event_id=db.session.scalar(select(Rectification.id)),
                          line_points=-3, line_text="督审处开出整改", reason="访问矩阵用的申诉", filed_by_id=zhuce.id))


def _extension_request_and_calendar_override() -> None:
    task7 = db.session.scalar(select(PlanTask).where(PlanTask.number == 7))
    item = next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task7.id)
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    extensions.request_extension(item, item.due_at.date() + timedelta(days=30), "访问矩阵用的延期申请", zhuce)
    calendar_overrides.add_override(date(2030, 1, 2), False, "访问矩阵用的设置", admin)
    task_holds.request_hold(task7, HoldKind.STAGE_CLOSE, "访问矩阵用的阶段性办结申请", zhuce)
    task1 = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    dushen = db.session.scalar(select(User).where(User.username == "dushen"))
    task1.plan.changes_need_approval = True
    task_edits.cancel(task1, "访问矩阵用的任务变更", task_edits.version_of(task1), dushen)


def _document_for_dushen() -> None:
    dushen = db.session.scalar(select(User).where(User.username == "dushen"))
    db.session.add(ExportJob(kind="ledger", plan_id=db.session.scalar(select(Plan.id)), as_of=date(2023, 10, 9),
                             requested_by_id=dushen.id, status=ExportStatus.READY, progress=100,
                             filename="督查台账.xlsx", mimetype="application/octet-stream", data=b"xlsx"))


def _binding_of_milestone() -> None:
    from app.services.lifecycle import processes

    processes.bind("milestone", 1, "priority", "critical", None)


def _webhook_delivery() -> None:
    event = WebhookEvent(key="step.returned:matrix", kind=WebhookEventKind.RETURNED, payload={})
    subscription = WebhookSubscription(url="http://127.0.0.1:9/hook", secret="matrix-secret-0123456",
                                       kinds=["step.returned"])
    db.session.add(WebhookDelivery(event=event, subscription=subscription))


def _url_arguments() -> dict[str, int]:
    office = db.session.scalar(select(Unit).where(Unit.name == "办公室"))
    group = db.session.scalar(select(UnitGroup).order_by(UnitGroup.id))
    user = db.session.scalar(select(User).where(User.username == "zhuce"))
    plan = db.session.scalar(select(Plan))
    draft = db.session.scalar(select(PlanImportDraft).where(PlanImportDraft.plan_id.is_(None)))
    task1 = db.session.scalar(select(PlanTask).where(PlanTask.number == 1))
    task7 = db.session.scalar(select(PlanTask).where(PlanTask.number == 7))
    item = next(i for i in db.session.scalars(select(WorkItem).where(WorkItem.form_key == "decomposition"))
                if i.context["plan_task_id"] == task7.id)
    instance = db.session.scalar(select(WorkflowInstance).where(WorkflowInstance.plan_task_id == task1.id))
    return {"unit_id": office.id, "group_id": group.id, "user_id": user.id, "plan_id": plan.id, "draft_id": draft.id,
            "item_id": item.id, "task_id": task1.id, "instance_id": instance.id,
            "attachment_id": db.session.scalar(select(Attachment.id)),
            "instruction_id": db.session.scalar(select(LeaderInstruction.id)),
            "notification_id": db.session.scalar(select(Notification.id).where(Notification.user_id == user.id)
                                                 .order_by(Notification.id)),
            "review_id": db.session.scalar(select(ReviewRecord.id).where(ReviewRecord.decision == "return")),
            "rectification_id": db.session.scalar(select(Rectification.id)),
            "request_id": db.session.scalar(select(ExtensionRequest.id)),
            "appeal_id": db.session.scalar(select(Appeal.id)),
            "hold_id": db.session.scalar(select(TaskHoldRequest.id)),
            "change_id": db.session.scalar(select(TaskChangeRequest.id)),
            "job_id": db.session.scalar(select(ExportJob.id)),
            "subscription_id": db.session.scalar(select(WebhookSubscription.id)),
            "delivery_id": db.session.scalar(select(WebhookDelivery.id)),
            # The administrator's delete (run first) removes the override; the others are refused before any lookup.
            "override_id": db.session.scalar(select(CalendarOverride.id)) or 0, "kind": "ledger",
            "process_id": "milestone", "version": 1, "provider": "oidc",
            # The administrator's delete (run first) removes the binding; the others are refused before any lookup.
            "binding_id": db.session.scalar(select(ProcessBinding.id)) or 0,
            "target_id": db.session.scalar(select(PlanTarget.id).where(PlanTarget.task_id == task1.id))}


def _registered_endpoints(app) -> set[str]:
    """Every page endpoint; the JSON API (api.*) has its own matrix in tests/api/."""
    return {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("api.")
    }


def test_every_route_has_an_expectation(migrated_app):
    assert _registered_endpoints(migrated_app) == set(EXPECTED)


@pytest.mark.parametrize("who", sorted(EVERYONE))
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_route_access(matrix_app, endpoint, who):
    client = matrix_app.test_client()
    if who != ANONYMOUS:
        assert login(client, who).status_code == 302
    rule = next(r for r in matrix_app.url_map.iter_rules() if r.endpoint == endpoint)
    with matrix_app.test_request_context():
        url = url_for(endpoint, **{k: v for k, v in _url_arguments().items() if k in rule.arguments})
    response = client.get(url) if "GET" in rule.methods else client.post(url)
    response.close()

    if who in EXPECTED[endpoint]:
        assert response.status_code in (200, 302), response.status_code
        assert "next=" not in response.headers.get("Location", "")
    elif who == ANONYMOUS:
        assert response.status_code == 302
        assert "/auth/login?next=" in response.headers["Location"]
    else:
        assert response.status_code == 403
        assert "无权访问" in response.get_data(as_text=True)


def test_unit_staff_see_their_own_unit(matrix_app):
    client = matrix_app.test_client()
    login(client, "zhuce")
    own = db.session.scalar(select(User).where(User.username == "zhuce")).unit_id
    assert client.get(f"/directory/units/{own}").status_code == 200
    assert client.get("/my-unit").headers["Location"].endswith(f"/directory/units/{own}")
