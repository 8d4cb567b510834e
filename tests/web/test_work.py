"""Working a task through the real pages: inbox, step forms, drafts, 签收/转办, task history."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.extensions import db
from app.models import FormDraft, Milestone, MilestoneReport, PlanTask, Unit, User, WorkItem, WorkItemHandling
from tests.conftest import csrf_token, login


def open_item(client, form_key: str, task: PlanTask) -> str:
    """The URL of the signed-in user's open item of that kind on the task."""
    items = db.session.scalars(select(WorkItem).where(WorkItem.form_key == form_key, WorkItem.state == "open")).all()
    ids = {i.id for i in items if i.context.get("plan_task_id") == task.id}
    inbox = client.get("/work/inbox").get_data(as_text=True)
    found = [int(i) for i in re.findall(r'href="/work/items/(\d+)"', inbox) if int(i) in ids]
    assert len(found) == 1, (form_key, found)
    return f"/work/items/{found[0]}"


def post(client, url: str, data: dict, files: dict | None = None):
    payload = {"csrf_token": csrf_token(client, url), **data}
    if files:
        payload.update(files)
        return client.post(url, data=payload, content_type="multipart/form-data")
    return client.post(url, data=payload)


def as_user(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def ids(model, **where):
    return db.session.scalar(select(model.id).filter_by(**where))


def test_a_task_from_decomposition_to_closure_through_the_pages(app, task7):
    zhuce, dushen, kexin = as_user(app, "zhuce"), as_user(app, "dushen"), as_user(app, "kexin")
    owner, target = ids(User, username="zhuce"), task7.targets[0].id
    row = {"milestones-0-title": "扩大一业一证行业范围", "milestones-0-deliverable": "行业清单",
           "milestones-0-due_date": "2023-09-30",
           "milestones-0-past_date_reason": "补录", "milestones-0-owner": str(owner),
           "milestones-0-cooperating_units": [str(ids(Unit, name="科信处"))], "milestones-0-targets": [str(target)]}

    url = open_item(zhuce, "decomposition", task7)
    page = post(zhuce, url, {**row, "add_milestone": "1"}).get_data(as_text=True)
    assert page.count('data-testid="milestone-row"') == 2 and "扩大一业一证行业范围" in page
    second = {"milestones-1-title": "多余的节点"}
    page = post(zhuce, url, {**row, **second, "remove_milestone": "1"}).get_data(as_text=True)
    assert page.count('data-testid="milestone-row"') == 1 and "多余的节点" not in page
    assert post(zhuce, url, {**row, "submit": "1"}).status_code == 302
    assert post(dushen, open_item(dushen, "decomposition_review", task7),
                {"decision": "return", "comments": "请明确季度目标"}).status_code == 302
    revision = open_item(zhuce, "decomposition", task7)
    assert 'value="扩大一业一证行业范围"' in zhuce.get(revision).get_data(as_text=True)   # revised, not retyped
    assert post(zhuce, revision, {**row, "note": "已明确", "submit": "1"}).status_code == 302
    post(dushen, open_item(dushen, "decomposition_review", task7), {"decision": "approve"})

    report = open_item(zhuce, "milestone_report", task7)
    assert "一业一证" in zhuce.get(report).get_data(as_text=True)
    done = post(zhuce, report, {"progress": "已扩展到18个行业", "percent_done": "60",
                                "actuals-0-target_id": str(target),
                                "actuals-0-actual": "18", "submit": "1"},
                {"attachments": (io.BytesIO(b"%PDF-1.4 progress"), "进展报告.pdf")})
    assert done.status_code == 302
    post(kexin, open_item(kexin, "cooperating_contribution", task7), {"contribution": "系统已支持", "submit": "1"})
    post(dushen, open_item(dushen, "report_review", task7), {"decision": "return", "comments": "请附行业清单"})
    resubmission = open_item(zhuce, "milestone_report", task7)
    assert "已扩展到18个行业" in zhuce.get(resubmission).get_data(as_text=True)
    post(zhuce, resubmission,
         {"progress": "已扩展到26个行业", "percent_done": "100", "actuals-0-target_id": str(target),
          "actuals-0-actual": "26", "submit": "1"})
    post(kexin, open_item(kexin, "cooperating_contribution", task7), {"contribution": "已上线", "submit": "1"})
    post(dushen, open_item(dushen, "report_review", task7), {"decision": "approve", "quality": "excellent"})
    post(dushen, open_item(dushen, "task_closure", task7), {"summary": "按期完成", "submit": "1"})

    history = dushen.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert 'data-testid="task-state">已办结' in history
    assert history.count('data-testid="verdict"') == 4 and "请明确季度目标" in history and "请附行业清单" in history
    assert history.count('data-testid="report"') == 2 and "进展报告.pdf" in history
    assert "审核退回" in history and "办结" in history
    attachment = re.search(r'href="(/attachments/\d+)"', history).group(1)
    with dushen.get(attachment) as download:
        assert download.data == b"%PDF-1.4 progress"
    with as_user(app, "leader").get(attachment) as download:
        assert download.status_code == 200


def test_a_user_of_another_unit_gets_403_on_the_item_task_and_attachment(app, task7):
    other = as_user(app, "kexin")
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "decomposition", task7)
    assert other.get(url).status_code == 403
    assert other.post(url, data={"csrf_token": csrf_token(other, "/work/inbox")}).status_code == 403
    task1 = db.session.scalar(select(PlanTask).where(PlanTask.number == 1, PlanTask.plan_id == task7.plan_id))
    assert other.get(f"/tasks/{task1.id}").status_code == 403
    assert zhuce.get(f"/tasks/{task7.id}").status_code == 200


def test_a_stale_second_submission_is_refused_and_changes_nothing(app, task7):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "decomposition", task7)
    data = {"milestones-0-title": "节点", "milestones-0-deliverable": "成果", "milestones-0-due_date": "2023-06-30",
            "milestones-0-past_date_reason": "补录",
            "milestones-0-owner": str(ids(User, username="zhuce")), "submit": "1"}
    token = csrf_token(zhuce, url)
    assert zhuce.post(url, data={"csrf_token": token, **data}).status_code == 302
    again = zhuce.post(url, data={"csrf_token": token, **data}, follow_redirects=True)
    assert "「分解任务」已办理完毕,不能重复办理。" in again.get_data(as_text=True)
    assert len(task7.plan.tasks) == 39
    from app.models import Decomposition
    assert db.session.scalar(select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task7.id)) == 1


def test_validation_errors_keep_what_was_typed(app, task7):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "decomposition", task7)
    page = post(zhuce, url, {"milestones-0-title": "我的节点标题", "milestones-0-due_date": "2023-13-45",
                             "submit": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "请填写交付成果。" in html and "我的节点标题" in html


def test_a_draft_is_saved_and_resumed(app, task7):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "decomposition", task7)
    post(zhuce, url, {"milestones-0-title": "草稿中的节点", "note": "未完成", "save_draft": "1"})
    assert db.session.scalar(select(FormDraft)) is not None
    assert "草稿中的节点" in zhuce.get(url).get_data(as_text=True)


def test_sign_for_and_hand_over_are_recorded(app, task7):
    zhuce = as_user(app, "zhuce")
    url = open_item(zhuce, "decomposition", task7)
    item_id = int(url.rsplit("/", 1)[1])
    assert post(zhuce, f"{url}/sign", {}).status_code == 302
    assert db.session.get(WorkItem, item_id).signed_at is not None
    head = ids(User, username="zhuce_head")
    refused = post(zhuce, f"{url}/hand-over", {"to_user_id": str(head)}, )
    assert refused.status_code == 302   # the head is no liaison: refused with a message
    assert db.session.get(WorkItem, item_id).assignee_id is None
    actions = [h.action.value for h in db.session.scalars(select(WorkItemHandling))]
    assert actions == ["sign_for"]


def test_a_milestone_report_may_say_0_percent(app, task7):
    zhuce, dushen = as_user(app, "zhuce"), as_user(app, "dushen")
    row = {"milestones-0-title": "调研", "milestones-0-deliverable": "调研报告", "milestones-0-due_date": "2023-09-30",
           "milestones-0-past_date_reason": "补录",
           "milestones-0-owner": str(ids(User, username="zhuce")), "submit": "1"}
    assert post(zhuce, open_item(zhuce, "decomposition", task7), row).status_code == 302
    post(dushen, open_item(dushen, "decomposition_review", task7), {"decision": "approve"})
    report = open_item(zhuce, "milestone_report", task7)
    done = post(zhuce, report, {"progress": "尚未启动", "percent_done": "0", "submit": "1"})
    assert done.status_code == 302, done.get_data(as_text=True)
    stored = db.session.scalar(select(MilestoneReport).join(Milestone).where(Milestone.plan_task_id == task7.id))
    assert (stored.progress, stored.percent_done) == ("尚未启动", 0)
