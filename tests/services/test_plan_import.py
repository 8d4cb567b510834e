"""Importing plans: one transaction, names resolved first, duplicates and bad input refused."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import (
    AuditEvent,
    Plan,
    PlanStatus,
    PlanTarget,
    PlanTask,
    ResponsibilityRole,
    TaskResponsibility,
    UnitGroup,
    User,
)
from app.services.plans import directory, plan_import
from app.services.plans.name_resolution import Decision, DecisionKind
from tests.conftest import ROOT

PLAN_2023 = ROOT / "tests" / "fixtures" / "plans" / "hubei-amr-2023-work-points.txt"


@pytest.fixture
def supervisor(demo):
    return db.session.scalar(select(User).where(User.username == "dushen"))


def import_2023(org, supervisor, data=None):
    draft = plan_import.start_import(org, supervisor, None, data=data or PLAN_2023.read_bytes(), filename="2023.txt")
    return plan_import.confirm_import(draft, {}, supervisor)


def holders(task: PlanTask, role: ResponsibilityRole) -> list[str]:
    return [r.holder_name for r in task.holders(role)]


def test_the_2023_plan_imports_with_every_task(demo, supervisor):
    plan = import_2023(demo, supervisor)
    db.session.commit()
    assert (plan.title, plan.year, len(plan.sections), len(plan.tasks)) == ("2023年全省市场监管工作要点", 2023, 8, 39)
    assert plan.issuing_body == "湖北省市场监督管理局办公室" and plan.issued_on.isoformat() == "2023-02-03"
    tasks = {t.number: t for t in plan.tasks}
    assert holders(tasks[16], ResponsibilityRole.LEAD) == ["质量发展处", "计量处", "认检处"]
    assert holders(tasks[25], ResponsibilityRole.LEAD) == ["科信处"]
    assert holders(tasks[19], ResponsibilityRole.LEAD) == []
    assert holders(tasks[19], ResponsibilityRole.RESPONSIBLE) == ["特设处", "科信处", "信息中心", "湖北特检院"]
    assert holders(tasks[26], ResponsibilityRole.LEAD) == ["反垄断处"]
    assert tasks[26].responsibilities[0].unit.name == "反垄断处" and len(tasks[26].responsibilities) == 1
    # A group keeps its identity; a written alias points at the directory unit.
    assert tasks[2].responsibilities[1].group.name == "各处室"
    assert tasks[1].section.title == "更高站位推进党建引领走深走实"


def test_targets_are_stored_exactly(demo, supervisor):
    plan = import_2023(demo, supervisor)
    task18 = next(t for t in plan.tasks if t.number == 18)
    stored = [(t.value, t.unit, t.comparator) for t in task18.targets]
    assert stored == [(Decimal("230000"), "批次", None), (Decimal("100"), "%", "="), (Decimal("10"), "批次/千人", ">=")]
    for target in task18.targets:
        assert task18.text[target.span_start:target.span_end] == target.phrase


def test_the_same_document_in_another_encoding_is_not_imported_twice(demo, supervisor):
    import_2023(demo, supervisor)
    again = PLAN_2023.read_text("utf-8").encode("gb18030")
    with pytest.raises(plan_import.AlreadyImported, match="完全相同"):
        plan_import.start_import(demo, supervisor, None, data=again, filename="copy.txt")
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def _with_new_names(text: str) -> bytes:
    text = text.replace("(反垄断处负责)", "(反垄断处牵头,公平竞争审查处分工负责)")
    return text.replace("(工会负责)", "(局工会委员会负责)").encode("utf-8")


def test_unknown_names_must_be_resolved_before_anything_is_stored(demo, supervisor):
    data = _with_new_names(PLAN_2023.read_text("utf-8"))
    draft = plan_import.start_import(demo, supervisor, None, data=data, filename="new.txt")
    assert plan_import.preview(draft).unresolved == ["公平竞争审查处", "局工会委员会"]
    with pytest.raises(ValidationFailed, match="公平竞争审查处、局工会委员会"):
        plan_import.confirm_import(draft, {}, supervisor)


def test_decisions_create_a_unit_and_an_alias(demo, supervisor):
    data = _with_new_names(PLAN_2023.read_text("utf-8"))
    draft = plan_import.start_import(demo, supervisor, None, data=data, filename="new.txt")
    union = directory.resolve_name(demo, "工会")
    plan = plan_import.confirm_import(draft, {
        "公平竞争审查处": Decision(DecisionKind.NEW_UNIT, unit_kind=directory.UnitKind.DEPARTMENT),
        "局工会委员会": Decision(DecisionKind.ALIAS_OF_UNIT, target_id=union.id),
    }, supervisor)
    task26 = next(t for t in plan.tasks if t.number == 26)
    assert holders(task26, ResponsibilityRole.COOPERATING) == ["公平竞争审查处"]
    task38 = next(t for t in plan.tasks if t.number == 38)
    assert task38.responsibilities[0].unit == union and task38.responsibilities[0].written_as == "局工会委员会"
    assert directory.resolve_name(demo, "局工会委员会") == union


def test_a_new_group_decision_creates_a_per_task_group(demo, supervisor):
    text = PLAN_2023.read_text("utf-8").replace(
        "(价监竞争处负责)", "(价监竞争处牵头,省局反不正当竞争联席会议各成员单位分工负责)")
    draft = plan_import.start_import(demo, supervisor, None, data=text.encode(), filename="g.txt")
    name = "省局反不正当竞争联席会议各成员单位"
    assert plan_import.preview(draft).unresolved == [name]
    plan_import.confirm_import(draft, plan_import.automatic_decisions([name]), supervisor)
    assert isinstance(directory.resolve_name(demo, name), UnitGroup)


def test_confirming_twice_is_refused(demo, supervisor):
    draft = plan_import.start_import(demo, supervisor, None, data=PLAN_2023.read_bytes(), filename="a.txt")
    plan_import.confirm_import(draft, {}, supervisor)
    with pytest.raises(InvalidTransition, match="重复提交"):
        plan_import.confirm_import(draft, {}, supervisor)
    assert db.session.scalar(select(func.count(Plan.id))) == 1


@pytest.mark.parametrize("data, filename, message", [
    (b"", "empty.txt", "空"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "plan.pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "scan.png", "图片"),
    (b"this is not a zip", "plan.docx", "docx"),
    (bytes(range(256)) * 8, "blob.bin", "二进制"),
    ("关于做好年度工作的通知\n请各单位认真落实。".encode(), "notice.txt", "未在文档中找到编号的任务"),
])
def test_bad_input_is_refused_in_chinese_and_stores_nothing(demo, supervisor, data, filename, message):
    with pytest.raises(ValidationFailed, match=message) as refusal:
        plan_import.start_import(demo, supervisor, None, data=data, filename=filename)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refusal.value.message)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Plan.id))) == 0


def test_oversize_upload_is_refused_with_the_limit(demo, supervisor):
    with pytest.raises(ValidationFailed, match="1 MB"):
        plan_import.start_import(demo, supervisor, None, data=b"1." + b"x" * (1024 * 1024), filename="big.txt",
                                 max_bytes=1024 * 1024)


def test_pasted_text_imports_like_the_file(demo, supervisor):
    draft = plan_import.start_import(demo, supervisor, None, pasted=PLAN_2023.read_text("utf-8"))
    assert draft.source_name == "粘贴文本" and len(plan_import.preview(draft).parsed.tasks) == 39


def test_archiving_keeps_the_plan_and_is_audited(demo, supervisor):
    plan = import_2023(demo, supervisor)
    plan_import.archive_plan(plan, supervisor)
    assert plan.status is PlanStatus.ARCHIVED and plan.archived_at is not None
    with pytest.raises(InvalidTransition):
        plan_import.archive_plan(plan, supervisor)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "plan")).all()
    assert actions == ["imported", "archived"]
    assert db.session.scalar(select(func.count(PlanTask.id))) == 39
    assert db.session.scalar(select(func.count(TaskResponsibility.id))) > 39
    assert db.session.scalar(select(func.count(PlanTarget.id))) >= 8
