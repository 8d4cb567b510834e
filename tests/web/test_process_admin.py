"""流程管理: the administrator sees every process and version and uploads new versions, checked before storing."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ProcessSpecVersion
from app.services.lifecycle import processes
from app.workflow import deploy_processes
from tests.conftest import csrf_token, login
from tests.workflow.test_diagrams import ACCEPT, REJECT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEADER_REVIEW = FIXTURES / "processes" / "milestone_leader_review.bpmn"
ENGINE_STAGES = ["文件与 XML 安全检查", "BPMN 2.0 规范(XSD)", "流程引擎解析"]


@pytest.fixture
def deployed(demo):
    versions = deploy_processes()
    db.session.commit()
    return {v.process_id: v for v in versions}


@pytest.fixture
def admin(signed_in, deployed):
    return signed_in("admin")


def versions() -> int:
    return db.session.scalar(select(func.count(ProcessSpecVersion.id)))


def check(client, data: bytes, name: str):
    """Upload ``data`` to the check page; the response and the stages it marks passed."""
    from io import BytesIO

    response = client.post("/admin/processes/check", data={
        "csrf_token": csrf_token(client, "/admin/processes"), "diagram": (BytesIO(data), name),
    }, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    passed = re.findall(r'<span>([^<]+)</span>\s*<span class="badge text-bg-success" data-testid="stage-passed"',
                        html)
    return response, html, passed


def deploy_from(client, html: str):
    """Press 确认部署 on a check page."""
    fields = dict(re.findall(r'name="(content|filename|csrf_token)"[^>]*value="([^"]*)"', html))
    return client.post("/admin/processes/deploy", data=fields)


def test_only_administrators_see_process_pages(app, deployed):
    for username in ("dushen", "leader", "zhuce"):
        client = app.test_client()
        login(client, username)
        assert client.get("/admin/processes").status_code == 403
        assert client.get("/admin/processes/milestone/v1/diagram.bpmn").status_code == 403
        assert client.post("/admin/processes/deploy", data={}).status_code in (400, 403)


def test_overview_lists_processes_versions_and_the_diagram(admin, deployed):
    html = admin.get("/admin/processes").get_data(as_text=True)
    for pid in ("milestone", "task_lifecycle", "progress_report", "rectification"):
        assert f'data-testid="process-{pid}"' in html
    assert "节点报送与审核" in html and "当前" in html
    page = admin.get("/admin/processes/milestone/v1").get_data(as_text=True)
    assert "/admin/processes/milestone/v1/diagram.bpmn" in page
    xml = admin.get("/admin/processes/milestone/v1/diagram.bpmn")
    assert xml.mimetype == "application/xml" and b'id="milestone"' in xml.data
    assert admin.get("/admin/processes/milestone/v9").status_code == 404


@pytest.mark.parametrize("name", sorted(ACCEPT))
def test_samples_the_engine_accepts_pass_its_stages_and_only_dubans_rules_refuse(admin, name):
    before = versions()
    response, html, passed = check(admin, (FIXTURES / "bpmn" / name).read_bytes(), name)
    assert response.status_code == 200
    assert passed == ENGINE_STAGES
    assert "督办没有这个流程" in html and "未保存任何内容" in html
    assert versions() == before


@pytest.mark.parametrize("name", sorted(REJECT))
def test_samples_the_engine_refuses_are_refused_with_line_and_element(admin, name):
    before = versions()
    response, html, passed = check(admin, (FIXTURES / "bpmn" / name).read_bytes(), name)
    assert response.status_code == 200 and "检查未通过" in html
    assert len(passed) < len(ENGINE_STAGES)
    for fragment in REJECT[name]:
        assert fragment in html.replace("&#34;", '"').replace("&#39;", "'")
    assert versions() == before


def test_a_new_milestone_version_is_checked_then_deployed_and_audited(admin, deployed):
    data = LEADER_REVIEW.read_bytes()
    _, html, passed = check(admin, data, "milestone_leader_review.bpmn")
    assert "检查通过,可以部署" in html and len(passed) == 4
    assert db.session.scalar(select(func.max(ProcessSpecVersion.version)).filter_by(process_id="milestone")) == 1
    deployed_page = deploy_from(admin, html)
    assert deployed_page.status_code == 302
    new = db.session.scalar(select(ProcessSpecVersion).filter_by(process_id="milestone", version=2))
    assert new is not None and new.source_name == "milestone_leader_review.bpmn"
    event = db.session.scalar(select(AuditEvent).filter_by(entity="process_spec_version", entity_id=str(new.id)))
    assert event.action == "deploy" and event.after["version"] == 2
    overview = admin.get("/admin/processes").get_data(as_text=True)
    assert "milestone_leader_review.bpmn" in overview
    again = deploy_from(admin, html)
    assert again.status_code == 302 and versions() == len(deployed) + 1


def test_tampered_deploy_content_is_checked_again(admin, deployed):
    import base64

    bad = base64.b64encode(b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'/>")
    token = csrf_token(admin, "/admin/processes")
    response = admin.post("/admin/processes/deploy", data={
        "csrf_token": token, "content": bad.decode(), "filename": "x.bpmn"})
    assert response.status_code == 200 and "检查未通过" in response.get_data(as_text=True)
    refused = admin.post("/admin/processes/deploy", data={"csrf_token": token, "content": "%%%", "filename": "x.bpmn"},
                         follow_redirects=True)
    assert "部署请求不完整" in refused.get_data(as_text=True)
    assert versions() == len(deployed)


def milestone_with(old: str, new: str) -> bytes:
    text = LEADER_REVIEW.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


HOSTILE = {
    "import": ('decision == "approve"', "__import__('os').system('id') == 0", "不允许调用"),
    "dunder": ('decision == "approve"', "().__class__ == 1", "Attribute"),
    "repetition": ("decision = None", "decision = 'a' * 4000000000", "乘法"),
    "unknown form": ('value="report_review"', 'value="free_text"', "free_text"),
    "unknown role": ('name="role" value="supervisor"', 'name="role" value="admin"', "role「admin」"),
    "unknown extension": ("<spiffworkflow:preScript>decision = None</spiffworkflow:preScript>",
                          '<camunda:formData xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>',
                          "不支持的扩展 formData"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_unknown_content_is_refused_with_line_and_element(admin, case):
    old, new, expected = HOSTILE[case]
    _, html, passed = check(admin, milestone_with(old, new), "hostile.bpmn")
    assert "检查未通过" in html and expected in html.replace("&#39;", "'").replace("&#34;", '"')
    assert re.search(r"hostile\.bpmn 第 \d+ 行", html)
    assert passed == ENGINE_STAGES


def test_entities_and_oversize_files_are_refused(admin, deployed):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>')
    external = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>')
    for data in (laughs, external):
        _, html, passed = check(admin, data, "evil.bpmn")
        assert "DOCTYPE" in html and passed == [] and "root:" not in html
    assert versions() == len(deployed)


def test_a_diagram_over_1_mb_is_refused_before_parsing(app, deployed):
    # Checked below the page: the test client spools uploads over 500 KB into a file it never closes.
    padding = b"<!--" + b"x" * (1024 * 1024) + b"--><bpmn:process "
    huge = LEADER_REVIEW.read_bytes().replace(b"<bpmn:process ", padding, 1)
    found = processes.check_upload(huge, "huge.bpmn")
    assert found.passed == [] and "超过 1 MB" in found.problems[0]


def test_cli_deploy_prints_json_and_refuses_with_problems(app, deployed, tmp_path):
    from app.process_commands import process_group

    runner = CliRunner()
    refused = tmp_path / "bad.bpmn"
    refused.write_bytes(milestone_with('value="report_review"', 'value="free_text"'))
    result = runner.invoke(process_group, ["deploy", str(refused)])
    assert result.exit_code == 1
    answer = json.loads(result.output)
    assert answer["ok"] is False and "free_text" in answer["problems"][0]
    assert versions() == len(deployed)
    result = runner.invoke(process_group, ["deploy", str(LEADER_REVIEW)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["versions"] == [{"process_id": "milestone", "version": 2, "sha256": answer["versions"][0]["sha256"],
                                   "new": True}]


def test_the_check_page_lists_what_the_new_version_changes_with_both_diagrams(admin):
    _, html, _ = check(admin, LEADER_REVIEW.read_bytes(), "milestone_leader_review.bpmn")
    assert 'data-testid="diff-milestone"' in html and "与当前版本(第 1 版)相比的变化" in html
    assert "新增步骤" in html and "分管局领导审核" in html and "网关条件变化" in html
    assert 'data-testid="diagram-current"' in html and 'data-bpmn-base64="deploy-content"' in html
    _, same, _ = check(admin, (Path(__file__).resolve().parents[2] / "processes" / "milestone.bpmn").read_bytes(),
                       "milestone.bpmn")
    assert 'data-testid="no-changes"' in same


def test_cli_diff_prints_the_changes_as_json(app, deployed):
    from app.process_commands import process_group

    result = CliRunner().invoke(process_group, ["diff", str(LEADER_REVIEW)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    [diff] = answer["diffs"]
    assert diff["process_id"] == "milestone" and diff["from_version"] == 1
    assert [(c["kind"], c["step_id"]) for c in diff["changes"]] == [("added", "leader_review"),
                                                                   ("condition", "gw_review")]
    assert versions() == len(deployed)


def test_the_modeler_page_and_saving_an_edited_diagram_goes_through_the_upload_checks(admin, deployed):
    page = admin.get("/admin/processes/milestone/v1/edit").get_data(as_text=True)
    assert "bpmn-modeler.production.min.js" in page and "milestone_report" in page and "单位负责人" in page
    assert "<script>" not in page  # the CSP allows no inline script: the modeler is our own file
    assert "/admin/processes/milestone/v1/edit" in admin.get("/admin/processes").get_data(as_text=True)
    token = csrf_token(admin, "/admin/processes/milestone/v1/edit")
    current = deployed["milestone"].bpmn_xml
    before = versions()

    edited = current.replace('name="督审处审核"', 'name="督审处复核"')
    html = admin.post("/admin/processes/check-edited", data={
        "csrf_token": token, "xml": edited, "filename": "milestone-v1-edited.bpmn"}).get_data(as_text=True)
    assert "检查通过,可以部署" in html and "督审处复核" in html and versions() == before
    assert deploy_from(admin, html).status_code == 302
    assert versions() == before + 1
    assert processes.version_of("milestone", 2).source_name == "milestone-v1-edited.bpmn"

    # A condition the restricted engine refuses, and a step without a known form: refused, nothing stored.
    broken = edited.replace('decision == "approve"', '__import__("os").system("id")', 1).replace(
        'value="report_review"', 'value="made_up"')
    html = admin.post("/admin/processes/check-edited", data={
        "csrf_token": token, "xml": broken, "filename": "milestone-v2-edited.bpmn"}).get_data(as_text=True)
    assert "检查未通过,未保存任何内容" in html and "made_up" in html and "__import__" in html
    assert versions() == before + 1
    missing = admin.post("/admin/processes/check-edited", data={"csrf_token": token, "xml": "", "filename": "x.bpmn"},
                         follow_redirects=True).get_data(as_text=True)
    assert "编辑内容未能提交" in missing and versions() == before + 1


def test_only_administrators_open_the_modeler(app, admin):
    assert admin.get("/admin/processes/milestone/v9/edit").status_code == 404
    client = app.test_client()
    login(client, "dushen")
    assert client.get("/admin/processes/milestone/v1/edit").status_code == 403
    assert client.post("/admin/processes/check-edited", data={}).status_code in (400, 403)
