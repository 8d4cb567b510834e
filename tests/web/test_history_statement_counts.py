"""The task page and the step form cost as many SQL statements at many report rounds as at one (issue 18),
and /api/work-items as many with a page of items as with a few.

The rounds are real: reported with a file, contributed to by the cooperating unit, returned by 督审处,
each through the services the pages call.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import PlanTask, ReviewDecision, Role, Unit, User, WorkItem
from app.services.lifecycle import decomposition, reporting, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import Upload, UploadPolicy
from tests.web.test_statement_counts import MORE, as_user, copies, statements

ROUNDS = 12


def _item(user: User, form_key: str, task: PlanTask) -> WorkItem:
    (item,) = [i for i in work_items.inbox(user)
               if i.form_key == form_key and i.context.get("plan_task_id") == task.id]
    return item


def _unit_id(name: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.name == name))


def _decomposed(task: PlanTask, people: dict[str, User]) -> None:
    zhuce, dushen = people["zhuce"], people["dushen"]
    plan = MilestonePlan("扩大“一业一证”改革行业范围", "改革行业清单及实施方案", date(2023, 9, 30), zhuce.id,
                         (_unit_id("科信处"),), (task.targets[0].id,), past_date_reason="补录")
    decomposition.submit_decomposition(_item(zhuce, "decomposition", task), [plan], "按季度推进", zhuce)
    decomposition.review_decomposition(_item(dushen, "decomposition_review", task),
                                       ReviewDecision.APPROVE, None, dushen)
    db.session.commit()


def _returned_rounds(task: PlanTask, people: dict[str, User], count: int, files: Path) -> None:
    """``count`` report rounds, each with a file and a contribution, returned by 督审处."""
    zhuce, dushen, kexin = people["zhuce"], people["dushen"], people["kexin"]
    policy = UploadPolicy(files, 1024 * 1024)
    for n in range(count):
        upload = Upload("进展.pdf", b"%PDF-1.4 x")
        reporting.submit_report(_item(zhuce, "milestone_report", task), f"第{n}轮进展", 50,
                                {task.targets[0].id: Decimal(n)}, [upload], policy, zhuce)
        reporting.contribute(_item(kexin, "cooperating_contribution", task), "配合推进", [], policy, kexin)
        reporting.review_report(_item(dushen, "report_review", task),
                                ReviewDecision.RETURN, "请补充材料", None, dushen)
    db.session.commit()


def _counts(app, task: PlanTask, people: dict[str, User]) -> dict[str, int]:
    report = _item(people["zhuce"], "milestone_report", task)
    dushen, zhuce = as_user(app, "dushen"), as_user(app, "zhuce")
    return {"task page": statements(dushen, f"/tasks/{task.id}"),
            "task page (unit)": statements(zhuce, f"/tasks/{task.id}"),
            "step form": statements(zhuce, f"/work/items/{report.id}")}


def test_task_page_and_step_form_do_not_grow_with_rounds(app, task7, people, tmp_path):
    _decomposed(task7, people)
    _returned_rounds(task7, people, 1, tmp_path)
    one = _counts(app, task7, people)
    _returned_rounds(task7, people, ROUNDS - 1, tmp_path)
    assert _counts(app, task7, people) == one


def test_api_work_items_is_paged_at_a_fixed_cost(app, plan_2023):
    client = as_user(app, "dushen")
    copies(2, role=Role.SUPERVISOR)
    few = statements(client, "/api/work-items")
    copies(MORE, role=Role.SUPERVISOR)
    first = client.get("/api/work-items").get_json()
    assert len(first["items"]) == work_items.PAGE_SIZE and first["total"] > work_items.PAGE_SIZE
    assert first["page"] == 1 and first["next"]
    assert statements(client, "/api/work-items") == few
    last = client.get(first["next"]).get_json()
    assert last["next"] is None and len(last["items"]) == first["total"] - work_items.PAGE_SIZE
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in last["items"]}
    assert len(client.get("/api/work-items?per_page=500").get_json()["items"]) == first["total"]
    for wrong in ("0", "-3", "abc", "99999999999999999999"):
        assert client.get(f"/api/work-items?page={wrong}&per_page={wrong}").status_code == 200
