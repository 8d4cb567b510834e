"""A revised plan document is a change set applied to the plan it revises: never a second plan."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import (
    AuditEvent,
    Decomposition,
    Notification,
    Plan,
    PlanImportDraft,
    PlanTask,
    ResponsibilityRole,
    User,
    WorkItem,
    WorkItemState,
)
from app.services.plans import plan_import, plan_revision
from app.services.plans.plan_revision import ChangeKind
from tests.conftest import PLAN_2023

TEXT = PLAN_2023.read_text("utf-8")


@pytest.fixture
def dushen(plan_2023):
    return db.session.scalar(select(User).where(User.username == "dushen"))


def revise(org, actor, text: str) -> tuple[PlanImportDraft, plan_revision.Revision]:
    draft = plan_import.start_import(org, actor, None, data=text.encode("utf-8"), filename="2023修订版.txt")
    return draft, plan_revision.revision(draft, plan_import.preview(draft))


def task(plan: Plan, number: int) -> PlanTask:
    return next(t for t in plan.tasks if t.number == number)


def test_one_target_changed_is_one_change_and_no_new_plan(plan_2023, dushen):
    target = task(plan_2023, 18).targets[0]
    target_id, text_before = target.id, task(plan_2023, 18).text
    draft, result = revise(plan_2023.organisation, dushen, TEXT.replace("23万批次", "25万批次"))
    assert draft.revises_plan_id == plan_2023.id
    assert [(c.kind, c.number, c.aspects) for c in result.changes] == [(ChangeKind.CHANGED, 18, ("量化指标",))]
    with pytest.raises(InvalidTransition):
        plan_import.confirm_import(draft, {}, dushen)  # a revision is applied, never imported as a plan
    with pytest.raises(ValidationFailed, match="请为每项修改填写原因"):
        plan_revision.apply_revision(draft, {}, {}, dushen)
    plan_revision.apply_revision(draft, {}, {"changed-18": "省政府调整了抽检任务量"}, dushen)
    db.session.commit()
    assert db.session.scalar(select(func.count(Plan.id))) == 1
    changed = db.session.get(PlanTask, task(plan_2023, 18).id)
    assert [(t.id, t.value) for t in changed.targets[:1]] == [(target_id, Decimal("250000"))]
    assert changed.text == text_before.replace("23万批次", "25万批次")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "plan_task",
                                                       AuditEvent.action == "revision_changed"))
    assert event.before["targets"][0] == "230000批次" and event.after["targets"][0] == "250000批次"
    assert event.after["reason"] == "省政府调整了抽检任务量"
    with pytest.raises(InvalidTransition, match="已经应用过"):
        plan_revision.apply_revision(draft, {}, {"changed-18": "again"}, dushen)
    set_committed_value(draft, "plan_id", None)  # a second tab that read the draft before it was applied
    with pytest.raises(InvalidTransition, match="已经应用过"):
        plan_revision._claim(draft, plan_2023)  # where it waits for the first tab's commit, and loses
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "revision_changed")) == 1
    with pytest.raises(plan_import.AlreadyImported):  # the plan now is the revised document
        plan_import.start_import(plan_2023.organisation, dushen, None,
                                 data=TEXT.replace("23万批次", "25万批次").encode(), filename="again.txt")


def test_the_same_plan_again_is_no_change(plan_2023, dushen):
    draft, result = revise(plan_2023.organisation, dushen, TEXT.replace("。(反垄断处负责)", "。 (反垄断处负责)"))
    assert result.changes == []
    with pytest.raises(ValidationFailed, match="没有任何差别"):
        plan_revision.apply_revision(draft, {}, {}, dushen)


def test_added_removed_and_reassigned_tasks_adapt_the_running_work(plan_2023, dushen):
    task26 = task(plan_2023, 26)
    assert [r.holder_name for r in task26.holders(ResponsibilityRole.LEAD)] == ["反垄断处"]
    open_before = db.session.scalars(select(WorkItem).where(WorkItem.state == WorkItemState.OPEN)).all()
    old_unit = task26.responsibilities[0].unit_id
    assert any(i.unit_id == old_unit and i.context.get("plan_task_id") == task26.id for i in open_before)
    text = TEXT.replace("(反垄断处负责)", "(科信处负责)")
    last = max(t.number for t in plan_2023.tasks)
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{last}."))
    lines.insert(at + 1, f"{last + 1}.6月底前完成全省计量比对20项。(计量处负责)")
    drop = next(i for i, line in enumerate(lines) if line.startswith(f"{last - 1}."))
    del lines[drop]
    draft, result = revise(plan_2023.organisation, dushen, "\n".join(lines))
    kinds = {(c.kind, c.number) for c in result.changes}
    assert kinds == {(ChangeKind.CHANGED, 26), (ChangeKind.ADDED, last + 1), (ChangeKind.REMOVED, last - 1)}
    reasons = {c.key: "按局党组会议调整" for c in result.changes}
    plan_revision.apply_revision(draft, {}, reasons, dushen)
    db.session.commit()
    assert db.session.scalar(select(func.count(Plan.id))) == 1
    # The new lead unit decomposes; the old one's open steps ended, recorded as cancelled.
    new_unit = task(plan_2023, 26).responsibilities[0].unit
    assert new_unit.name == "科信处"
    assert db.session.scalar(select(Decomposition).filter_by(plan_task_id=task26.id, unit_id=new_unit.id))
    old_items = [i for i in db.session.scalars(select(WorkItem)) if i.context.get("plan_task_id") == task26.id
                 and i.unit_id == old_unit]
    assert old_items and all(i.state is WorkItemState.CANCELLED for i in old_items)
    # The new task is supervised; the dropped one is cancelled with its reason and no open step.
    added = task(plan_2023, last + 1)
    assert added.supervision_number and added.suggested_due.isoformat() == "2023-06-30"
    assert [t.value for t in added.targets] == [Decimal("20")]
    dropped = task(plan_2023, last - 1)
    assert dropped.cancelled_at is not None and dropped.cancel_reason == "按局党组会议调整"
    assert not [i for i in db.session.scalars(select(WorkItem).where(WorkItem.state == WorkItemState.OPEN))
                if i.context.get("plan_task_id") == dropped.id]
    # The units concerned were told why.
    kexin = db.session.scalar(select(User).where(User.username == "kexin"))
    told = db.session.scalars(select(Notification).where(Notification.user_id == kexin.id,
                                                         Notification.title.like("计划修订%"))).all()
    assert [n.body for n in told] == [f"《{plan_2023.title}》第26项任务:修改任务(责任单位)。原因:按局党组会议调整"]


def test_a_cancelled_task_leaves_dashboards_scores_and_unit_lists_with_its_history_kept(plan_2023, dushen):
    from datetime import date

    from app.services.dashboards import overview
    from app.services.lifecycle import task_view
    from app.services.scoring import assessment

    task7 = task(plan_2023, 7)
    zhuce = task7.holders(ResponsibilityRole.LEAD)[0].unit
    before = sum(overview.state_counts(plan_2023.id, date(2023, 6, 1)).values())
    assert task7 in task_view.tasks_of_unit(zhuce.id)
    assert 7 in [line.task_number for line in assessment.explain_unit(plan_2023.id, zhuce.id).tasks]
    lines = PLAN_2023.read_text("utf-8").split("\n")
    del lines[next(i for i, line in enumerate(lines) if line.startswith("7."))]
    draft, result = revise(plan_2023.organisation, dushen, "\n".join(lines))
    assert [(c.kind, c.number) for c in result.changes] == [(ChangeKind.REMOVED, 7)]
    plan_revision.apply_revision(draft, {}, {"removed-7": "并入第6项任务"}, dushen)
    db.session.commit()
    assert sum(overview.state_counts(plan_2023.id, date(2023, 6, 1)).values()) == before - 1
    assert task7 not in task_view.tasks_of_unit(zhuce.id)
    assert 7 not in [line.task_number for line in assessment.explain_unit(plan_2023.id, zhuce.id).tasks]
    assert db.session.get(PlanTask, task7.id).cancel_reason == "并入第6项任务"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "plan_task", AuditEvent.entity_id == str(
        task7.id), AuditEvent.action == "revision_removed")).after["reason"] == "并入第6项任务"
