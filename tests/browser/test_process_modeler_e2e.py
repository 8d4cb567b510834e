"""在线编辑 in Chromium: the bpmn-js modeler edits the current milestone version, Duban's panel shows its form
and role, saving goes through the upload checks and diff, and the edit is deployed. Screenshots in test-artifacts/."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessSpecVersion
from app.workflow import deploy_processes
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_lifecycle_e2e import person
from tests.conftest import make_test_app

pytestmark = pytest.mark.browser


def test_the_modeler_renames_a_step_and_deploys_it(browser, live_server, database_url):
    app = make_test_app(database_url)
    with app.app_context():
        deploy_processes()
        db.session.commit()
        db.session.remove()
    admin = person(browser, live_server, "admin")
    errors: list[str] = []
    admin.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    admin.goto(f"{live_server}/admin/processes")
    admin.get_by_test_id("version-milestone-1").get_by_role("link", name="在线编辑").click()
    expect(admin.get_by_test_id("modeler")).to_have_attribute("data-rendered", "true")
    assert admin.locator(".djs-palette .entry").count() > 5  # the modeler's tools, not the viewer

    admin.locator(".djs-element.djs-shape[data-element-id='review']").click()
    panel = admin.get_by_test_id("properties")
    expect(panel.get_by_label("表单(formKey)")).to_have_value("report_review")
    expect(panel.get_by_label("办理角色")).to_have_value("supervisor")
    panel.get_by_label("名称").fill("督审处复核")
    panel.get_by_label("表单(formKey)").select_option("report_review")
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "process-modeler.png"), full_page=True)
    admin.get_by_role("button", name="保存并检查").click()

    verdict = admin.get_by_test_id("verdict").inner_text()
    assert "检查通过,可以部署" in verdict, admin.locator("[data-testid=problems]").all_inner_texts()
    changes = admin.get_by_test_id("changes").inner_text()
    assert "督审处复核" in changes
    expect(admin.get_by_test_id("diagram-new")).to_have_attribute("data-rendered", "true")
    admin.screenshot(path=str(ARTIFACTS / "process-modeler-diff.png"), full_page=True)
    admin.get_by_role("button", name="确认部署").click()
    assert "第 2 版已部署" in admin.content()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    with app.app_context():
        stored = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id="milestone", version=2))
        assert 'name="督审处复核"' in stored.bpmn_xml and 'value="report_review"' in stored.bpmn_xml
        db.session.remove()
