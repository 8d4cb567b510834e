"""The plan import through the real forms: upload or paste, review, resolve, confirm, archive."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Plan, PlanStatus, Unit
from tests.conftest import ROOT, csrf_token

PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"


def upload(client, data: bytes, filename: str, year: str = ""):
    return client.post("/plans/import", data={
        "csrf_token": csrf_token(client, "/plans/import"), "document": (io.BytesIO(data), filename), "year": year,
    }, content_type="multipart/form-data")


def confirm(client, review_url: str, choices: dict[str, str] | None = None):
    html = client.get(review_url).get_data(as_text=True)
    fields = dict(re.findall(r'<label class="form-label" for="(resolve_[0-9a-f]+)">([^<]+)</label>', html))
    data = {"csrf_token": csrf_token(client, review_url)}
    for field, name in fields.items():
        data[field] = (choices or {})[name]
    return client.post(review_url, data=data)


def test_upload_review_and_confirm_the_2023_plan(signed_in):
    client = signed_in("dushen")
    response = upload(client, PLAN_2023.read_bytes(), "2023年工作要点.txt")
    assert response.status_code == 302
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2023年全省市场监管工作要点" in review and 'data-testid="task-count">39<' in review
    assert '<mark class="duban-target">' in review and "所有单位和单位组名称均已在单位目录中找到" in review
    done = confirm(client, response.headers["Location"])
    assert done.status_code == 302
    detail = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已导入计划《2023年全省市场监管工作要点》,共 39 项任务。" in detail
    assert detail.count('data-testid="plan-task"') == 39


def test_an_unknown_name_is_resolved_in_the_review(signed_in):
    client = signed_in("dushen")
    text = PLAN_2023.read_text("utf-8").replace("(反垄断处负责)", "(反垄断处牵头,公平竞争审查处分工负责)")
    response = upload(client, text.encode("gb18030"), "plan-gbk.txt")
    review_url = response.headers["Location"]
    refused = client.post(review_url, data={"csrf_token": csrf_token(client, review_url)})
    assert "请为“公平竞争审查处”选择处理方式。" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Plan.id))) == 0
    done = confirm(client, review_url, {"公平竞争审查处": "new-unit:department"})
    assert done.status_code == 302
    assert db.session.scalar(select(Unit).where(Unit.name == "公平竞争审查处")) is not None


def test_second_confirmation_goes_to_the_plan_without_a_copy(signed_in):
    client = signed_in("dushen")
    review_url = upload(client, PLAN_2023.read_bytes(), "a.txt").headers["Location"]
    token = csrf_token(client, review_url)
    first = client.post(review_url, data={"csrf_token": token})
    second = client.post(review_url, data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def test_reimport_is_detected_and_shows_the_existing_plan(signed_in):
    client = signed_in("dushen")
    confirm(client, upload(client, PLAN_2023.read_bytes(), "a.txt").headers["Location"])
    again = upload(client, PLAN_2023.read_bytes(), "copy.txt")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "完全相同,未重复导入" in page
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def test_bad_upload_shows_a_chinese_error_next_to_the_field(signed_in):
    client = signed_in("dushen")
    response = upload(client, b"%PDF-1.4 binary", "plan.pdf")
    assert response.status_code == 200
    assert "PDF" in response.get_data(as_text=True) and "invalid-feedback" in response.get_data(as_text=True)
    nothing = upload(client, b"", "empty.txt")
    assert "请上传工作要点文件" in nothing.get_data(as_text=True) or "空" in nothing.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_the_chinese_413_page(migrated_app, database_url, demo):
    from tests.conftest import login, make_test_app

    small = make_test_app(database_url, MAX_CONTENT_LENGTH=1024, MAX_FORM_MEMORY_SIZE=1024, WTF_CSRF_ENABLED=False)
    client = small.test_client()
    login(client, "dushen")
    response = client.post("/plans/import", data={"document": (io.BytesIO(b"1." * 4096), "big.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "上传的文件超过了允许的大小" in response.get_data(as_text=True)


def test_pasted_text_is_imported(signed_in):
    client = signed_in("dushen")
    response = client.post("/plans/import", data={
        "csrf_token": csrf_token(client, "/plans/import"), "pasted": PLAN_2023.read_text("utf-8"), "year": "2023",
    })
    assert response.status_code == 302 and "/plans/import/" in response.headers["Location"]


def test_archive_keeps_the_plan(signed_in):
    client = signed_in("dushen")
    plan_url = confirm(client, upload(client, PLAN_2023.read_bytes(), "a.txt").headers["Location"]).headers["Location"]
    plan_id = int(plan_url.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/plans/{plan_id}/archive", data={"csrf_token": csrf_token(client, plan_url)})
    assert db.session.get(Plan, plan_id).status is PlanStatus.ARCHIVED
    assert "已归档" in client.get(plan_url).get_data(as_text=True)


def test_a_new_group_is_expanded_to_the_members_ticked_in_the_review(signed_in):
    from app.plans.forms import field_name, members_field_name
    from app.services.plans import directory

    client = signed_in("dushen")
    name = "省局反不正当竞争联席会议各成员单位"
    text = PLAN_2023.read_text("utf-8").replace("(价监竞争处负责)", f"(价监竞争处牵头,{name}分工负责)")
    review_url = upload(client, text.encode("utf-8"), "g.txt").headers["Location"]
    members = [db.session.scalar(select(Unit).where(Unit.name == n)).id for n in ("稽查处", "网监合同处")]
    response = client.post(review_url, data={
        "csrf_token": csrf_token(client, review_url), field_name(name): "new-group",
        members_field_name(name): [str(m) for m in members],
    })
    assert response.status_code == 302
    group = directory.resolve_name(directory.home_organisation(None), name)
    assert [u.name for u in directory.group_members(group)] == ["稽查处", "网监合同处"]
