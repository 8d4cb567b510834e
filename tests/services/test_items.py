"""督办事项立项 and the one 督办编号 sequence per organisation and year."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Decomposition,
    Organisation,
    Plan,
    PlanKind,
    PlanTask,
    ResponsibilityRole,
    ReviewDecision,
    SupervisionNumber,
    User,
    WorkItem,
    WorkItemState,
)
from app.services.plans import items, plan_import
from app.services.plans.plan_import import AlreadyImported

JUNE_2023 = date(2023, 6, 1)


def second_plan_text(title: str = "2023年优化营商环境专项督办工作要点") -> str:
    return (f"{title}\n\n一、持续优化营商环境\n\n"
            "1.开展登记注册便利化改革。(注册处牵头,科信处配合)\n\n"
            "2.推进智慧监管平台建设,完成数据对接20项以上。(科信处牵头)\n")


def instruction(**changes: object) -> items.ItemRequest:
    fields: dict[str, object] = {
        "source": "leader_instruction", "document_number": "鄂市监批〔2023〕12号", "document_date": date(2023, 5, 30),
        "text": "请注册处牵头,抓紧研究个体工商户登记便利化措施,按期报送落实情况。", "lead_units": "注册处",
        "cooperating_units": "科信处、省纤维检验局", "targets": "走访个体工商户200户以上",
        "final_deadline": date(2023, 9, 30), "priority": "urgent",
    }
    return items.ItemRequest(**{**fields, **changes})  # type: ignore[arg-type]


def import_text(org, actor: User, text: str, year: int = 2023) -> Plan:
    draft = plan_import.start_import(org, actor, year, pasted=text)
    return plan_import.confirm_import(draft, {}, actor)


def test_a_registered_instruction_is_numbered_after_the_plan_and_its_lead_unit_starts(plan_2023, people):
    plan = items.register_item(plan_2023.organisation, instruction(), people["dushen"], JUNE_2023)
    task = plan.tasks[0]
    assert plan.kind is PlanKind.LEADER_INSTRUCTION and plan.year == 2023
    assert plan.source_label == "领导批示 鄂市监批〔2023〕12号"
    assert task.supervision_number == "督〔2023〕40号"  # the 2023 plan holds 1 … 39
    assert task.final_deadline == date(2023, 9, 30) and task.priority.value == "urgent"
    assert [(r.role, r.holder_name) for r in task.responsibilities] == [
        (ResponsibilityRole.LEAD, "注册处"), (ResponsibilityRole.COOPERATING, "科信处"),
        (ResponsibilityRole.COOPERATING, "省纤检局")]  # the alias resolves as in a plan import
    assert [(t.value, t.unit, t.comparator) for t in task.targets] == [(200, "户", ">=")]
    decomposition = db.session.scalars(select(Decomposition).where(Decomposition.plan_task_id == task.id)).one()
    assert decomposition.unit.name == "注册处"
    step = db.session.scalars(select(WorkItem).join(WorkItem.instance)
                              .where(WorkItem.state == WorkItemState.OPEN,
                                     WorkItem.instance.has(plan_task_id=task.id))).one()
    assert step.form_key == "decomposition"


def test_a_second_plan_of_the_year_continues_the_sequence_and_numbers_are_unique(plan_2023, people):
    second = import_text(plan_2023.organisation, people["dushen"], second_plan_text())
    assert [t.supervision_number for t in second.tasks] == ["督〔2023〕40号", "督〔2023〕41号"]
    assert [t.supervision_number for t in plan_2023.tasks][:2] == ["督〔2023〕1号", "督〔2023〕2号"]
    numbers = db.session.scalars(select(PlanTask.supervision_number)).all()
    assert len(numbers) == len(set(numbers)) == 41
    assert db.session.scalar(select(func.count()).select_from(SupervisionNumber)) == 41


def test_the_database_refuses_a_number_twice(plan_2023):
    from sqlalchemy.exc import IntegrityError

    db.session.add(SupervisionNumber(organisation_id=plan_2023.organisation_id, year=2023, serial=5,
                                     plan_task_id=plan_2023.tasks[0].id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("changes, message", [
    ({"source": "plan"}, "请选择督办事项的来源"),
    ({"source": "rumour"}, "请选择督办事项的来源"),
    ({"text": "  "}, "请填写督办事项的内容"),
    ({"lead_units": ""}, "请填写牵头单位"),
    ({"lead_units": "注册处、海洋渔业处"}, "以下单位名称在单位目录中找不到:海洋渔业处"),
    ({"cooperating_units": "不存在的局"}, "找不到:不存在的局"),
    ({"lead_units": "各处室"}, "牵头单位须是具体单位"),
    ({"final_deadline": None}, "请填写办结时限"),
    ({"final_deadline": date(2023, 5, 1)}, "办结时限不能早于今天"),
    ({"document_date": date(2023, 7, 1)}, "来源文件的日期不能晚于今天"),
    ({"priority": "whenever"}, "无法识别的紧急程度"),
    ({"title": "长" * 201}, "标题不能超过 200 个字"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(demo, people, changes, message):
    plans = db.session.scalar(select(func.count()).select_from(Plan))
    with pytest.raises(ValidationFailed, match=message):
        items.register_item(demo, instruction(**changes), people["dushen"], JUNE_2023)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Plan)) == plans


def test_the_same_item_twice_is_refused(demo, people):
    first = items.register_item(demo, instruction(), people["dushen"], JUNE_2023)
    with pytest.raises(AlreadyImported):
        items.register_item(demo, instruction(), people["dushen"], JUNE_2023)
    assert first.tasks[0].supervision_number == "督〔2023〕1号"


def test_a_milestone_may_not_fall_after_the_final_deadline(demo, people):
    from app.services.lifecycle.decomposition import MilestonePlan, _check_plans

    plan = items.register_item(demo, instruction(), people["dushen"], JUNE_2023)
    decomposition = db.session.scalars(select(Decomposition)
                                       .where(Decomposition.plan_task_id == plan.tasks[0].id)).one()
    late = MilestonePlan(title="走访", deliverable="走访记录", due_date=date(2023, 10, 8),
                         owner_id=people["zhuce"].id, cooperating_unit_ids=(), target_ids=(), past_date_reason="补录")
    with pytest.raises(ValidationFailed, match="不能晚于办结时限 2023-09-30"):
        _check_plans(decomposition, [late])


def test_two_imports_at_once_on_postgresql_take_different_numbers(database_url, plan_2023, people):
    from tests.conftest import make_test_app

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers itself; the row lock is PostgreSQL's")
    organisation_id, actor_id = plan_2023.organisation_id, people["dushen"].id
    db.session.commit()
    start, numbers, errors = threading.Barrier(2, timeout=60), [], []

    def run(title: str) -> None:
        app = make_test_app(database_url)
        with app.app_context():
            try:
                org = db.session.get(Organisation, organisation_id)
                actor = db.session.get(User, actor_id)
                draft = plan_import.start_import(org, actor, 2023, pasted=second_plan_text(title))
                start.wait()
                plan = plan_import.confirm_import(draft, {}, actor)
                numbers.extend(t.supervision_number for t in plan.tasks)
                db.session.commit()
            except Exception as error:
                errors.append(error)
                start.abort()
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=run, args=(f"2023年第{n}号专项工作要点",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(numbers, key=lambda n: int(n[7:-1])) == [f"督〔2023〕{n}号" for n in range(40, 44)]


def test_a_leader_instruction_runs_the_whole_lifecycle_and_counts_in_ledger_dashboard_and_scores(demo, people):
    """Decomposed, reported, approved and closed like a plan's task; then 已办结 on the dashboard, in the 台账,
    and scored for its lead unit."""
    from app import demo_activity
    from app.services.dashboards import ledger, overview
    from app.services.dashboards.facts import beijing_today
    from app.services.lifecycle.reporting import UploadPolicy
    from app.services.scoring import assessment, closure
    from app.services.timing.deadlines import work_calendar

    today = beijing_today()
    plan = items.register_item(demo, instruction(document_date=today, final_deadline=today + timedelta(days=40),
                                                 document_number="鄂市监批〔2026〕9号"), people["dushen"], today)
    task = plan.tasks[0]
    story = demo_activity.Story(people, {1: task}, today, work_calendar(), UploadPolicy(Path("/nonexistent"), 1))
    demo_activity._decompose(story, "zhuce", 1, [("制定便利化措施", "措施清单", today + timedelta(days=20))],
                             with_targets=True)
    demo_activity._report(story, "zhuce", 1, "措施已印发,走访个体工商户230户", 100, Decimal(230))
    demo_activity._review(story, 1, ReviewDecision.APPROVE, quality="excellent")
    closure.close_part(demo_activity._item(story, "dushen", "task_closure", 1), "按期办结。", people["dushen"])

    assert closure.is_closed(task)
    assert overview.totals(plan.id, today).closed_tasks == 1
    rows = ledger.ledger_rows([plan.id], today)
    assert rows[0].supervision_number == task.supervision_number and rows[0].state == "已办结"
    assert rows[0].source == "领导批示 鄂市监批〔2026〕9号"
    (score,) = [s for s in assessment.unit_scores([plan.id]) if s.unit_name == "注册处"]
    assert score.final and score.score > 0


def test_reminders_and_overdue_notices_name_an_items_source(demo, people):
    from app.models import Notification
    from app.models.base import utcnow
    from app.services.dashboards.facts import beijing_today
    from app.services.timing import deadlines

    today = beijing_today()
    plan = items.register_item(demo, instruction(document_date=today, final_deadline=today + timedelta(days=40)),
                               people["dushen"], today)
    deadlines.sweep(utcnow() + timedelta(days=30))
    titles = db.session.scalars(select(Notification.title)).all()
    assert titles and all(f"{plan.tasks[0].supervision_number}(领导批示 鄂市监批〔2023〕12号)「" in t for t in titles)
