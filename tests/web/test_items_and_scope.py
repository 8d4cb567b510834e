"""Several plans and items at once: dashboards, unit pages and downloads cover them all; 督办事项立项 by page,
API and CLI."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import demo_activity
from app.extensions import db
from app.models import Plan, PlanKind, PlanTask, Unit, User
from app.services.plans import plan_import
from app.services.timing.workdays import BEIJING
from tests.conftest import csrf_token, login
from tests.snapshots import seeded
from tests.web.test_work import open_item


@seeded
def demo_loaded(demo):
    """The demo as `duban demo` leaves it: the plan of the year and the eight tasks' story."""
    return demo_activity.load_activity(demo)


def _today():
    return datetime.now(BEIJING).date()


def _second_plan(first: Plan) -> Plan:
    dushen = db.session.scalar(select(User).where(User.username == "dushen"))
    text = (f"{first.year}年知识产权保护专项工作要点\n\n一、强化知识产权保护\n\n"
            "1.开展商标侵权专项整治行动。(广告处牵头,稽查处配合)\n\n"
            "2.建设知识产权维权援助工作站10个以上。(消保处牵头)\n")
    draft = plan_import.start_import(first.organisation, dushen, first.year, pasted=text)
    plan = plan_import.confirm_import(draft, plan_import.automatic_decisions(plan_import.preview(draft).unresolved),
                                      dushen)
    db.session.commit()
    return plan


def _task(plan: Plan, number: int) -> PlanTask:
    return next(task for task in plan.tasks if task.number == number)


def _unit(name: str) -> Unit:
    return db.session.scalars(select(Unit).where(Unit.name == name)).one()


def test_a_second_plan_leaves_the_first_on_every_dashboard_and_download(signed_in, demo_loaded):
    first = demo_loaded
    overdue_task = _task(first, 23)   # 科信处's milestone five working days overdue, with a 催办
    second = _second_plan(first)
    assert [t.supervision_number for t in second.tasks] == [f"督〔{first.year}〕40号", f"督〔{first.year}〕41号"]
    client = signed_in("leader")

    leader = client.get("/dashboards/leader").get_data(as_text=True)
    assert "各部分、各单位均无逾期节点" not in leader
    assert overdue_task.supervision_number in leader and "科信处" in leader
    assert first.title in leader and second.title in leader       # the selector names both plans
    assert 'data-testid="total-tasks">41<' in leader

    board = client.get("/dashboards/").get_data(as_text=True)
    assert overdue_task.supervision_number in board and 'data-testid="total-tasks">41<' in board
    assert "所属计划或来源" in board

    kexin = _unit("科信处").id
    unit_page = client.get(f"/dashboards/units/{kexin}").get_data(as_text=True)
    assert overdue_task.supervision_number in unit_page and "已逾期" in unit_page

    ledger = load_workbook(io.BytesIO(client.get("/dashboards/export/ledger").data)).active
    numbers = [row[0] for row in ledger.iter_rows(min_row=3, values_only=True)]
    assert overdue_task.supervision_number in numbers and second.tasks[0].supervision_number in numbers
    sources = {row[0]: row[-1] for row in ledger.iter_rows(min_row=3, values_only=True)}
    assert sources[overdue_task.supervision_number] == first.title
    assert sources[second.tasks[0].supervision_number] == second.title

    bulletin = Document(io.BytesIO(client.get("/dashboards/export/bulletin").data))
    text = "\n".join([p.text for p in bulletin.paragraphs]
                     + [c.text for t in bulletin.tables for r in t.rows for c in r.cells])
    assert f"《{first.title}》" in text and f"《{second.title}》" in text
    assert overdue_task.supervision_number in text

    assessment = load_workbook(io.BytesIO(client.get("/dashboards/export/assessment").data)).active
    assert "注册处" in [row[2] for row in assessment.iter_rows(min_row=3, values_only=True)]  # 名次, 并列, 单位

    scores = client.get("/assessment").get_data(as_text=True)
    assert "注册处" in scores and "全部计划和督办事项" in scores and second.title in scores
    assert "注册处" not in client.get(f"/assessment?plan={second.id}").get_data(as_text=True)

    # The selector narrows to one plan, kept in the URL; the other plan's work then leaves the page.
    only_second = client.get(f"/dashboards/leader?plan={second.id}").get_data(as_text=True)
    assert 'data-testid="total-tasks">2<' in only_second and 'aria-current="page"' in only_second
    assert overdue_task.supervision_number not in only_second
    only_first = client.get(f"/dashboards/?plan={first.id}").get_data(as_text=True)
    assert 'data-testid="total-tasks">39<' in only_first
    assert f"plan={first.id}" in only_first   # downloads keep the selection


def test_dushen_registers_an_instruction_on_the_page_and_it_shows_everywhere(signed_in, demo_loaded):
    client = signed_in("dushen")
    today = _today()
    form = {"csrf_token": csrf_token(client, "/plans/items/new"), "source": "leader_instruction",
            "document_number": "鄂市监批〔2026〕3号", "document_date": today.isoformat(),
            "text": "请科信处会同注册处,两周内拿出企业登记数据共享的具体方案。", "lead_units": "科信处",
            "cooperating_units": "注册处", "targets": "", "final_deadline": (today + timedelta(days=30)).isoformat(),
            "priority": "critical"}
    bad = client.post("/plans/items/new", data={**form, "lead_units": "月球处"})
    assert bad.status_code == 200 and "以下单位名称在单位目录中找不到:月球处" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Plan).where(Plan.kind != PlanKind.PLAN)) == 0

    response = client.post("/plans/items/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    item = db.session.scalars(select(Plan).where(Plan.kind == PlanKind.LEADER_INSTRUCTION)).one()
    number = item.tasks[0].supervision_number
    assert number == f"督〔{today.year}〕{len(demo_loaded.tasks) + 1}号"

    board = client.get("/dashboards/").get_data(as_text=True)
    assert "全部领导批示" in board      # the selector offers the new source
    assert "督办事项" in client.get("/dashboards/leader").get_data(as_text=True)   # its line among the sections
    only_items = client.get("/dashboards/leader?source=leader_instruction").get_data(as_text=True)
    assert 'data-testid="total-tasks">1<' in only_items
    task_page = client.get(f"/tasks/{item.tasks[0].id}").get_data(as_text=True)
    assert f"办结时限 {form['final_deadline']}" in task_page and "领导批示 鄂市监批〔2026〕3号" in task_page
    index = client.get("/plans/").get_data(as_text=True)
    assert "领导批示" in index and "鄂市监批〔2026〕3号" in index

    kexin = client.application.test_client()
    assert login(kexin, "kexin").status_code == 302
    inbox = kexin.get("/work/inbox").get_data(as_text=True)
    assert "企业登记数据共享" in inbox and "领导批示 鄂市监批〔2026〕3号" in inbox   # which source each row is from
    # Its decomposition starts from the 办结时限, which no milestone may pass.
    step = kexin.get(open_item(kexin, "decomposition", item.tasks[0])).get_data(as_text=True)
    assert re.search(rf'name="milestones-0-due_date"[^>]*value="{form["final_deadline"]}"', step)
    assert "各节点的完成时限不能晚于该日" in step
    listed = kexin.get("/api/work-items?per_page=200").get_json()["items"]
    assert {"supervision_number": number, "source": "领导批示 鄂市监批〔2026〕3号"}.items() <= next(
        entry for entry in listed if entry["task_id"] == item.tasks[0].id).items()
    ledger = load_workbook(io.BytesIO(client.get("/dashboards/export/ledger").data)).active
    assert (number, "领导批示 鄂市监批〔2026〕3号") in [(row[0], row[-1]) for row in ledger.iter_rows(values_only=True)]


def test_the_api_registers_an_item_and_refuses_bad_input_in_chinese(app, demo):
    client = app.test_client()
    login(client, "dushen")
    token = csrf_token(client, "/plans/items/new")
    headers = {"X-CSRFToken": token}
    today = _today()
    body = {"source": "meeting_decision", "text": "局长办公会议定:年底前完成全省计量器具检定平台上线。",
            "lead_units": "计量处", "final_deadline": (today + timedelta(days=60)).isoformat()}
    missing = client.post("/api/items", json={**body, "final_deadline": ""}, headers=headers)
    assert missing.status_code == 400 and "请填写办结时限" in str(missing.get_json()["fields"])
    unknown = client.post("/api/items", json={**body, "lead_units": "不存在处"}, headers=headers)
    assert unknown.status_code == 400 and "找不到:不存在处" in unknown.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 0

    created = client.post("/api/items", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["plan"]["kind"] == "meeting_decision" and data["plan"]["source"] == "会议议定"
    assert data["supervision_number"] == f"督〔{today.year}〕1号" and data["final_deadline"] == body["final_deadline"]
    assert [r["name"] for r in data["responsibilities"]] == ["计量处"]

    spec = client.get("/api/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/items"]
    assert {"source", "text", "lead_units", "final_deadline"} <= set(spec["components"]["schemas"]["ItemRequest"]
                                                                        ["properties"])


def test_the_cli_registers_an_item(app, demo):
    runner = app.test_cli_runner()
    deadline = (_today() + timedelta(days=20)).isoformat()
    result = runner.invoke(args=["item", "create", "--source", "人大建议", "--number", "鄂人大建〔2026〕88号",
                                 "--text", "关于加强农村集贸市场食品安全监管的建议。", "--lead", "食品流通处",
                                 "--cooperating", "食品抽检处", "--deadline", deadline])
    assert result.exit_code == 0, result.output
    number, plan_id = result.output.strip().split("\t")
    plan = db.session.get(Plan, int(plan_id))
    assert plan.kind is PlanKind.NPC_SUGGESTION and plan.tasks[0].supervision_number == number
    refused = runner.invoke(args=["item", "create", "--source", "人大建议", "--text", "x", "--lead", "无此处",
                                  "--deadline", deadline])
    assert refused.exit_code == 1 and "找不到:无此处" in refused.output
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
