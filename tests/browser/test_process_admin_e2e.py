"""流程管理 in Chromium: a 分管局领导审核 version for 特急 items, its diff, binding, migration, the report going
through the new step; suspending and resuming an instance; retrying an incident. Screenshots in test-artifacts/."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import PlanTask, WorkflowInstance, WorkItem, WorkItemState
from app.services.timing.workdays import BEIJING
from app.workflow import complete_work_item, start_instance
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_lifecycle_e2e import decide, person
from tests.conftest import ROOT, make_test_app

pytestmark = pytest.mark.browser

LEADER_REVIEW = ROOT / "tests" / "fixtures" / "processes" / "milestone_leader_review.bpmn"


def open_step(page, live_server, step: str) -> None:
    page.goto(f"{live_server}/work/inbox")
    page.get_by_role("link", name=step).first.click()


def register_urgent_item(page, live_server) -> None:
    today = datetime.now(BEIJING).date()
    page.goto(f"{live_server}/plans/")
    page.get_by_role("link", name="督办事项立项").click()
    page.get_by_label("来源", exact=True).select_option(label="领导批示")
    page.get_by_label("督办内容").fill("请注册处一个月内完成个体工商户年报提醒服务上线。")
    page.get_by_label("牵头单位").fill("注册处")
    page.get_by_label("办结时限").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("紧急程度").select_option(label="特急")
    page.get_by_role("button", name="立项").click()
    page.wait_for_load_state("load")


def decompose(zhuce, dushen, live_server) -> None:
    due = (datetime.now(BEIJING).date() + timedelta(days=20)).isoformat()
    open_step(zhuce, live_server, "分解任务")
    zhuce.get_by_label("节点名称").fill("年报提醒服务上线")
    zhuce.get_by_label("交付成果").fill("上线运行的提醒服务")
    zhuce.get_by_label("完成时限").fill(due)
    zhuce.get_by_label("责任人").select_option(label="注册处 李联络")
    zhuce.get_by_role("button", name="提交分解方案").click()
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "通过")


def report(zhuce, live_server) -> None:
    open_step(zhuce, live_server, "报送进展")
    zhuce.get_by_label("工作进展").fill("提醒服务已上线")
    zhuce.get_by_label("完成进度(%)").fill("100")
    zhuce.get_by_role("button", name="报送").click()


def test_a_leader_review_version_for_urgent_items(browser, live_server, database_url):
    dushen = person(browser, live_server, "dushen")
    register_urgent_item(dushen, live_server)
    zhuce = person(browser, live_server, "zhuce")
    decompose(zhuce, dushen, live_server)

    admin = person(browser, live_server, "admin")
    admin.goto(f"{live_server}/admin/processes")
    admin.get_by_label("流程图文件").set_input_files(str(LEADER_REVIEW))
    admin.get_by_role("button", name="检查").click()
    assert "检查通过,可以部署" in admin.get_by_test_id("verdict").inner_text()
    changes = admin.get_by_test_id("changes").inner_text()
    assert "新增步骤" in changes and "分管局领导审核" in changes and "网关条件变化" in changes
    expect(admin.get_by_test_id("diagram-new")).to_have_attribute("data-rendered", "true")
    expect(admin.get_by_test_id("diagram-current")).to_have_attribute("data-rendered", "true")
    assert admin.locator("[data-testid=diagram-new] .duban-added[data-element-id='leader_review']").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "process-diff.png"), full_page=True)
    admin.get_by_label("部署后设为当前版本").uncheck()
    admin.get_by_role("button", name="确认部署").click()
    assert "第 2 版已部署" in admin.content()
    assert "当前" in admin.get_by_test_id("version-milestone-1").inner_text()

    admin.get_by_role("link", name="版本绑定").click()
    admin.get_by_label("流程版本").select_option(value="milestone:2")
    admin.get_by_label("适用范围").select_option(label="紧急程度:特急")
    admin.get_by_role("button", name="绑定", exact=True).click()
    assert "紧急程度:特急" in admin.get_by_test_id("bindings").inner_text()

    admin.goto(f"{live_server}/admin/processes/migrate?from=milestone:1&to=2")
    admin.get_by_label("只迁移").select_option(label="紧急程度:特急")
    admin.get_by_role("button", name="试运行").click()
    verdict = admin.get_by_test_id("verdict")
    assert verdict.count() == 1 and "可迁移" in verdict.inner_text() and "报送进展" in verdict.inner_text()
    admin.screenshot(path=str(ARTIFACTS / "process-migrate.png"), full_page=True)
    admin.get_by_test_id("migrate").click()
    assert "已迁移 1 个" in admin.get_by_test_id("migration-results").inner_text()

    # Suspend: the unit cannot report; resume: it can.
    admin.get_by_test_id("verdict").get_by_role("link").click()
    admin.get_by_test_id("suspend").click()
    assert "流程已暂停" in admin.content()
    report(zhuce, live_server)
    assert "已被管理员暂停" in zhuce.content()
    admin.get_by_test_id("resume").click()
    assert "流程已恢复" in admin.content()
    report(zhuce, live_server)
    assert "进展已报送" in zhuce.content()

    open_step(dushen, live_server, "督审处审核")
    dushen.get_by_label("完成质量评价").select_option(label="良")
    decide(dushen, "通过")
    open_step(dushen, live_server, "分管局领导审核")
    dushen.get_by_label("完成质量评价").select_option(label="优")
    decide(dushen, "通过")
    dushen.goto(f"{live_server}/work/inbox")
    assert dushen.get_by_role("link", name="办结任务").count() == 1  # the milestone was approved at the last step


def test_an_incident_is_retried_with_the_missing_data(browser, live_server, database_url):
    app = make_test_app(database_url)
    with app.app_context():
        task_id = db.session.scalar(select(PlanTask.id).order_by(PlanTask.id))
        # No head_signoff_required: the gateway after the report cannot decide.
        instance = start_instance("milestone", {"unit_id": 1, "cooperating_unit_ids": []}, plan_task_id=task_id)
        db.session.commit()
        item = db.session.scalar(select(WorkItem).filter_by(instance_id=instance.id, state=WorkItemState.OPEN))
        complete_work_item(item.id, None, {})
        db.session.commit()
        instance_id = instance.id
        db.session.remove()
    admin = person(browser, live_server, "admin")
    admin.goto(f"{live_server}/admin/processes/instances")
    incident = admin.get_by_test_id("incident").filter(has_text=f"#{instance_id}")
    assert "head_signoff_required" in incident.inner_text()
    incident.get_by_role("link", name="处理").click()
    admin.get_by_label("补充流程数据").fill("head_signoff_required = false")
    admin.get_by_role("button", name="重试").click()
    assert "已重试出错的步骤" in admin.content()
    assert admin.get_by_test_id("incident-message").count() == 0
    # Then back to the report: the review is withdrawn, the report reopened.
    admin.get_by_label("退回到").select_option(label="报送进展")
    admin.get_by_label("退回原因").fill("报送内容需补充佐证材料")
    admin.get_by_role("button", name="退回", exact=True).click()
    assert "已退回到「报送进展」" in admin.content()
    admin.screenshot(path=str(ARTIFACTS / "process-move-back.png"), full_page=True)
    with app.app_context():
        assert db.session.get(WorkflowInstance, instance_id).incident_at is None
        steps = db.session.execute(select(WorkItem.step_id, WorkItem.state).filter_by(instance_id=instance_id)
                                   .order_by(WorkItem.id)).all()
        assert steps[-2:] == [("review", WorkItemState.CANCELLED), ("report", WorkItemState.OPEN)]
        db.session.remove()
