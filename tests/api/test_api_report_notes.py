"""The JSON API takes a report's 存在问题 / 下步计划 / 需协调事项 like the page, and gives them back in the history."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.api.conftest import complete, open_item_id


def test_a_report_completed_through_the_api_keeps_its_notes(api_as, task7):
    zhuce, dushen = api_as("zhuce"), api_as("dushen")
    owner = db.session.scalar(select(User.id).where(User.username == "zhuce"))
    row = {"title": "扩大一业一证行业范围", "deliverable": "行业清单", "due_date": "2023-09-30",
           "past_date_reason": "补录", "owner": owner}
    complete(zhuce, open_item_id(zhuce, "decomposition", task7), {"milestones": [row]})
    complete(dushen, open_item_id(dushen, "decomposition_review", task7), {"decision": "approve"})

    report = open_item_id(zhuce, "milestone_report", task7)
    fields = {f["name"] for f in zhuce.get(f"/api/work-items/{report}").get_json()["fields"]}
    assert {"problems", "next_steps", "coordination"} <= fields
    too_long = complete(zhuce, report, {"progress": "进展", "percent_done": 60, "coordination": "长" * 4001},
                        status=400)
    assert too_long["error_code"] == "form_invalid" and set(too_long["fields"]) == {"coordination"}
    complete(zhuce, report, {"progress": "已扩展到18个行业", "percent_done": 60, "problems": "系统对接滞后",
                             "next_steps": "11月底前完成对接", "coordination": "请科信处协调省级平台"})
    (reported,) = dushen.get(f"/api/tasks/{task7.id}").get_json()["milestones"][0]["reports"]
    assert (reported["problems"], reported["next_steps"], reported["coordination"]) == (
        "系统对接滞后", "11月底前完成对接", "请科信处协调省级平台")
