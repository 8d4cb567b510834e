"""Importing a task table: a draft with guessed columns, remapping, blocking errors, targets as 督审处 decides."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import AuditEvent, Plan, PlanImportDraft, ResponsibilityRole, User
from app.services.plans import plan_import
from app.services.plans.plan_import import TargetChoice
from tests.task_tables import TITLE, csv_text, docx_table_bytes, xlsx_bytes


@pytest.fixture
def supervisor(demo):
    return db.session.scalar(select(User).where(User.username == "dushen"))


def plans() -> int:
    return db.session.scalar(select(func.count(Plan.id)))


def test_an_xlsx_table_becomes_a_plan_with_units_targets_and_due_dates(demo, supervisor):
    draft = plan_import.start_import(demo, supervisor, None, data=xlsx_bytes(), filename="分解表.xlsx")
    assert (draft.kind, draft.year, plans()) == ("table", 2023, 0)
    preview = plan_import.preview(draft)
    assert preview.unresolved == [] and preview.parsed.errors == [] and preview.table is not None
    plan = plan_import.confirm_import(draft, {}, supervisor)
    assert (plan.title, plan.year, [s.title for s in plan.sections]) == (TITLE, 2023, ["优化营商环境"])
    first = plan.tasks[0]
    assert [r.holder_name for r in first.holders(ResponsibilityRole.LEAD)] == ["注册处"]
    assert [r.holder_name for r in first.holders(ResponsibilityRole.COOPERATING)] == ["科信处", "信用处"]
    assert [(t.value, t.unit, t.comparator) for t in first.targets] == [(Decimal("500000"), "户", ">=")]
    assert [(t.suggested_due, t.deadline_phrase) for t in plan.tasks] == [
        (datetime.date(2023, 6, 30), "6月底前"), (datetime.date(2023, 9, 30), "三季度"),
        (datetime.date(2023, 12, 31), "年底前")]
    assert all(t.supervision_number for t in plan.tasks)


def test_a_word_table_and_a_csv_import_the_same_units(demo, supervisor):
    for data, name in ((docx_table_bytes(), "Word分解表.docx"), (csv_text().encode("utf-8-sig"), "CSV分解表.csv")):
        draft = plan_import.start_import(demo, supervisor, 2023, data=data, filename=name)
        assert draft.kind == "table"
        plan = plan_import.confirm_import(draft, {}, supervisor)
        assert plan.title == name.rsplit(".", 1)[0]
        assert [[r.holder_name for r in t.responsibilities] for t in plan.tasks] == [
            ["注册处", "科信处", "信用处"], ["信用处"], ["质量发展处", "计量处"]]
    with pytest.raises(plan_import.AlreadyImported):
        plan_import.start_import(demo, supervisor, 2023, data=csv_text().encode("gb18030"), filename="again.csv")


def test_errors_block_confirmation_until_the_columns_are_mapped(demo, supervisor):
    data = csv_text(header=["序号", "说明", "牵头单位", "配合单位", "时限", "备注"]).encode()
    draft = plan_import.start_import(demo, supervisor, 2023, data=data, filename="a.csv")
    assert "没有“任务”列" in plan_import.preview(draft).parsed.errors[0]
    with pytest.raises(ValidationFailed, match="表格中还有需要修改的问题"):
        plan_import.confirm_import(draft, {}, supervisor)
    assert plans() == 0
    plan_import.map_columns(draft, {"number": 0, "task": 1, "lead": 2, "cooperating": 3, "deadline": 4})
    assert draft.columns == {"number": 0, "task": 1, "lead": 2, "cooperating": 3, "deadline": 4, "target": None}
    plan = plan_import.confirm_import(draft, {}, supervisor)
    assert len(plan.tasks) == 3 and plan.tasks[0].suggested_due == datetime.date(2023, 6, 30)
    with pytest.raises(InvalidTransition):
        plan_import.map_columns(draft, {"task": 1})


@pytest.mark.parametrize("columns", [{"task": 9}, {"task": -1}, {"owner": 1, "task": 1}])
def test_a_mapping_to_no_column_is_refused(demo, supervisor, columns):
    draft = plan_import.start_import(demo, supervisor, 2023, data=xlsx_bytes(), filename="a.xlsx")
    before = dict(draft.columns)
    with pytest.raises(ValidationFailed):
        plan_import.map_columns(draft, columns)
    assert draft.columns == before


def test_duplicate_numbers_store_nothing(demo, supervisor):
    rows = [[1, "甲。", "注册处"], [1, "乙。", "信用处"]]
    draft = plan_import.start_import(demo, supervisor, 2023, data=xlsx_bytes(rows), filename="a.xlsx")
    with pytest.raises(ValidationFailed):
        plan_import.confirm_import(draft, {}, supervisor)
    assert plans() == 0


def test_unknown_units_go_through_the_same_name_resolution(demo, supervisor):
    rows = [[1, "推进改革。", "数据资源处", "注册处", "", ""]]
    draft = plan_import.start_import(demo, supervisor, 2023, data=xlsx_bytes(rows), filename="a.xlsx")
    assert plan_import.preview(draft).unresolved == ["数据资源处"]
    with pytest.raises(ValidationFailed, match="数据资源处"):
        plan_import.confirm_import(draft, {}, supervisor)
    plan = plan_import.confirm_import(draft, plan_import.automatic_decisions(["数据资源处"]), supervisor)
    assert plan.tasks[0].responsibilities[0].holder_name == "数据资源处"


def test_a_target_can_be_dropped_or_corrected(demo, supervisor):
    draft = plan_import.start_import(demo, supervisor, None, data=xlsx_bytes(), filename="a.xlsx")
    plan = plan_import.confirm_import(draft, {}, supervisor, {
        (1, 0): TargetChoice(keep=False),
        (3, 0): TargetChoice(True, Decimal("25"), "项", ">="),
    })
    tasks = {t.number: t for t in plan.tasks}
    assert tasks[1].targets == []
    assert [(t.value, t.unit, t.comparator, t.phrase) for t in tasks[3].targets] == [
        (Decimal("25"), "项", ">=", "组织质量比对20项")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "imported"))
    assert (event.after["targets_dropped"], event.after["targets_corrected"]) == (1, 1)


def test_a_document_plan_gets_suggested_due_dates_too(demo, supervisor):
    text = ("2023年重点工作安排\n一、工作任务\n1.6月底前出台登记便利化方案。（注册处负责）\n"
            "2.加强组织领导。（办公室负责）\n")
    draft = plan_import.start_import(demo, supervisor, None, pasted=text)
    plan = plan_import.confirm_import(draft, {}, supervisor)
    assert [(t.suggested_due, t.deadline_phrase) for t in plan.tasks] == [
        (datetime.date(2023, 6, 30), "6月底前"), (None, None)]


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"PK\x03\x04 broken", "a.xlsx", "压缩包已损坏"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "a.xls", ".xlsx"),
    ("序號,任務\n1,推進\n".encode("big5"), "a.csv", "Big5"),
])
def test_a_broken_table_is_refused_and_leaves_no_draft(demo, supervisor, data, name, message):
    with pytest.raises(ValidationFailed, match=message):
        plan_import.start_import(demo, supervisor, 2023, data=data, filename=name)
    assert db.session.scalar(select(func.count(PlanImportDraft.id))) == 0
