"""Working task 7 of the 2023 plan through the JSON API with bearer tokens, as tests/web/test_work.py does
with pages."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Decomposition, Role, Unit, User, WorkItem, WorkItemState
from app.services.infrastructure import accounts
from tests.api.conftest import complete, open_item_id


def ids(model, **where) -> int:
    return db.session.scalar(select(model.id).filter_by(**where))


def test_a_task_from_decomposition_to_closure_through_the_api(api_as, task7):
    zhuce, dushen, kexin = api_as("zhuce"), api_as("dushen"), api_as("kexin")
    target = task7.targets[0].id
    row = {"title": "扩大一业一证行业范围", "deliverable": "行业清单", "due_date": "2023-09-30",
           "past_date_reason": "补录",
           "owner": ids(User, username="zhuce"), "cooperating_units": [ids(Unit, name="科信处")], "targets": [target]}

    item = open_item_id(zhuce, "decomposition", task7)
    fields = {f["name"]: f for f in zhuce.get(f"/api/work-items/{item}").get_json()["fields"]}
    assert set(fields) == {"milestones", "note"} and fields["milestones"]["type"] == "array"
    assert complete(zhuce, item, {"milestones": [row]})["message"].startswith("分解方案已提交")
    complete(dushen, open_item_id(dushen, "decomposition_review", task7),
             {"decision": "return", "comments": "请明确季度目标"})
    complete(zhuce, open_item_id(zhuce, "decomposition", task7), {"milestones": [row], "note": "已明确"})
    complete(dushen, open_item_id(dushen, "decomposition_review", task7), {"decision": "approve"})

    report = open_item_id(zhuce, "milestone_report", task7)
    actuals = {f["name"]: f for f in zhuce.get(f"/api/work-items/{report}").get_json()["fields"]}["actuals"]
    assert actuals["rows"][0][0] == {**actuals["rows"][0][0], "name": "target_id", "value": str(target)}
    complete(zhuce, report, {"progress": "已扩展到18个行业", "percent_done": 60,
                             "actuals": [{"target_id": target, "actual": 18}]})
    complete(kexin, open_item_id(kexin, "cooperating_contribution", task7), {"contribution": "系统已支持"})
    complete(dushen, open_item_id(dushen, "report_review", task7), {"decision": "return", "comments": "请附行业清单"})
    complete(zhuce, open_item_id(zhuce, "milestone_report", task7),
             {"progress": "已扩展到26个行业", "percent_done": 100, "actuals": [{"target_id": target, "actual": "26"}]})
    complete(kexin, open_item_id(kexin, "cooperating_contribution", task7), {"contribution": "已上线"})
    complete(dushen, open_item_id(dushen, "report_review", task7), {"decision": "approve", "quality": "excellent"})
    closed = complete(dushen, open_item_id(dushen, "task_closure", task7), {"summary": "按期完成"})
    assert closed["message"] == "已办结。"

    history = dushen.get(f"/api/tasks/{task7.id}").get_json()
    assert history["closed"] is True and history["open_items"] == []
    rounds = history["decompositions"][0]["rounds"]
    assert [r["verdicts"][0]["decision"] for r in rounds] == ["return", "approve"] and rounds[1]["note"] == "已明确"
    reports = history["milestones"][0]["reports"]
    assert [r["actuals"][0]["actual"] for r in reports] == ["18", "26"]
    assert [r["verdicts"][0]["comments"] for r in reports] == ["请附行业清单", None]
    assert [c["text"] for r in reports for c in r["contributions"]] == ["系统已支持", "已上线"]
    assert {"科信处"} == {u["name"] for u in history["milestones"][0]["cooperating_units"]}
    assert any(e["action"] == "closed" for e in history["audit"])


def test_a_stale_second_completion_is_409_and_changes_nothing(api_as, task7):
    zhuce = api_as("zhuce")
    item = open_item_id(zhuce, "decomposition", task7)
    body = {"milestones": [{"title": "节点", "deliverable": "成果", "due_date": "2023-06-30",
                            "past_date_reason": "补录",
                            "owner": ids(User, username="zhuce")}]}
    complete(zhuce, item, body)
    audit_rows = db.session.scalar(select(func.count(AuditEvent.id)))
    again = complete(zhuce, item, body, status=409)
    assert again == {"error_code": "invalid_transition", "message": "「分解任务」已办理完毕,不能重复办理。"}
    db.session.expire_all()
    assert db.session.scalar(select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task7.id)) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_rows


def test_a_user_of_another_unit_gets_403_on_the_item_its_completion_and_the_task(app, api_as, task7):
    office = db.session.scalar(select(Unit).where(Unit.name == "办公室"))
    accounts.create_user("bangong", "办公室 联络员", "password-123", [Role.LIAISON], unit=office,
                         must_change_password=False)
    db.session.commit()
    zhuce, outsider, kexin = api_as("zhuce"), api_as("bangong"), api_as("kexin")
    item = open_item_id(zhuce, "decomposition", task7)
    refused = [outsider.get(f"/api/work-items/{item}"), outsider.get(f"/api/tasks/{task7.id}"),
               outsider.post(f"/api/work-items/{item}/complete", json={"milestones": []}),
               kexin.post(f"/api/work-items/{item}/complete", json={"milestones": []})]  # a cooperator, not the lead
    for response in refused:
        assert response.status_code == 403 and response.get_json()["error_code"] == "permission_denied"
    assert db.session.get(WorkItem, item).state is WorkItemState.OPEN
    assert zhuce.get(f"/api/tasks/{task7.id}").status_code == 200
    assert kexin.get(f"/api/tasks/{task7.id}").status_code == 200   # 科信处 takes part in task 7


def test_field_errors_come_back_per_field_and_nothing_is_saved(api_as, task7):
    zhuce = api_as("zhuce")
    item = open_item_id(zhuce, "decomposition", task7)
    answer = complete(zhuce, item, {"milestones": [{"title": "我的节点", "due_date": "2023-13-45"}]}, status=400)
    assert answer["error_code"] == "form_invalid"
    row_errors = answer["fields"]["milestones"][0]
    assert row_errors["deliverable"] == ["请填写交付成果。"] and "due_date" in row_errors and "title" not in row_errors
    assert complete(zhuce, item, ["not", "an", "object"], status=400)["error_code"] == "validation_failed"
    assert db.session.scalar(select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task7.id)) == 0


def test_a_report_whose_rows_are_out_of_order_is_refused(api_as, task7):
    zhuce, dushen = api_as("zhuce"), api_as("dushen")
    row = {"title": "节点", "deliverable": "成果", "due_date": "2023-06-30",
           "past_date_reason": "补录", "owner": ids(User, username="zhuce"),
           "targets": [task7.targets[0].id]}
    complete(zhuce, open_item_id(zhuce, "decomposition", task7), {"milestones": [row]})
    complete(dushen, open_item_id(dushen, "decomposition_review", task7), {"decision": "approve"})
    wrong = complete(zhuce, open_item_id(zhuce, "milestone_report", task7),
                     {"progress": "进展", "percent_done": 10, "actuals": [{"target_id": 999999, "actual": 1}]},
                     status=400)
    assert list(wrong["fields"]) == ["actuals-0-target_id"]


def test_the_body_names_the_items_form_and_a_mismatch_changes_nothing(api_as, task7):
    zhuce = api_as("zhuce")
    item = open_item_id(zhuce, "decomposition", task7)
    detail = zhuce.get(f"/api/work-items/{item}").get_json()
    assert detail["form_key"] == "decomposition"
    assert detail["body_schema"] == "#/components/schemas/decomposition"
    row = {"title": "节点", "deliverable": "成果", "due_date": "2023-06-30",
           "past_date_reason": "补录", "owner": ids(User, username="zhuce")}
    for wrong in ("report_review", "", None, 7, ["decomposition"]):
        answer = complete(zhuce, item, {"form": wrong, "milestones": [row]}, status=400)
        assert answer["error_code"] == "form_mismatch" and "decomposition" in answer["message"], wrong
    rounds = select(Decomposition.rounds_submitted).where(Decomposition.plan_task_id == task7.id)
    assert db.session.scalar(rounds) == 0
    done = complete(zhuce, item, {"form": "decomposition", "milestones": [row]})
    assert done["work_item"]["state"] == "completed" and db.session.scalar(rounds) == 1
