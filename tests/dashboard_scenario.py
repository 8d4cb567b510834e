"""A hand-built plan whose every dashboard figure is known, as of Monday 2023-10-09.

Section 一 (优化营商环境):
  task 1, lead 注册处, cooperating 科信处, in progress; target 抽检食品23万批次
    M1a due 06-30, reported 06-28 (100000 批次), approved 07-03 (优)     approved, on time
    M1b due 09-30, reported 09-25 (150000 批次), returned 09-27          overdue 9 days, returned
    M1c due 10-12, in progress                                          due soon (3 days)
    M1d due 12-31, reported 10-20, approved 10-23                       after the as-of day: open
  task 2, lead 科信处, closed; target 新增50项 (nothing reported)
    M2a due 08-31, reported 09-05, approved 09-06 (良)                   approved, late
Section 二 (强化质量安全):
  task 3, lead 注册处, decomposition submitted                         decomposing
  task 4, lead 科信处, decomposition returned                          decomposing, returned

The history is recorded as the services record it, so a past day's states can be replayed: the lifecycles
started 03-01, 督审处 confirmed the decompositions of tasks 1 and 2 on 04-10 (task 3's submitted, task 4's
returned 04-12), task 2 was closed (办结) on 09-08.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Decomposition,
    DecompositionRound,
    DecompositionStatus,
    InstanceKind,
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    Organisation,
    Plan,
    PlanSection,
    PlanTarget,
    PlanTask,
    ProcessSpecVersion,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    Role,
    StepKey,
    TargetActual,
    TaskResponsibility,
    Unit,
    User,
    WorkflowInstance,
    WorkflowStatus,
    WorkItem,
    WorkItemState,
)
from app.services.lifecycle import rollups

AS_OF = date(2023, 10, 9)


@dataclass
class Scenario:
    """Ids of what was built."""

    plan_id: int
    zhuce_id: int
    kexin_id: int
    section_ids: list[int]
    task_ids: list[int]
    milestone_ids: dict[str, int]


def _at(day: str, hour: int = 10) -> datetime:
    """``hour`` o'clock Beijing time on ``day``, in UTC."""
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hour - 8, tzinfo=UTC)


def build_scenario(org: Organisation) -> Scenario:
    """Insert the scenario (the demo directory and users must be loaded); flushes, the caller commits."""
    zhuce = db.session.scalar(select(Unit).where(Unit.name == "注册处"))
    kexin = db.session.scalar(select(Unit).where(Unit.name == "科信处"))
    users = {u.username: u for u in db.session.scalars(select(User))}
    plan = Plan(organisation=org, title="2023年全省市场监管工作要点", year=2023, content_hash="scenario",
                source_name="粘贴文本")
    sections = [PlanSection(plan=plan, number=1, title="优化营商环境"),
                PlanSection(plan=plan, number=2, title="强化质量安全")]
    tasks = [PlanTask(plan=plan, section=sections[(n - 1) // 2], number=n, title=f"第{n}项重点任务",
                      text=f"第{n}项重点任务。", supervision_number=f"督〔2023〕{n}号") for n in range(1, 5)]
    db.session.add_all([plan, *sections, *tasks])
    holders = [(0, zhuce, ResponsibilityRole.LEAD), (0, kexin, ResponsibilityRole.COOPERATING),
               (1, kexin, ResponsibilityRole.LEAD), (2, zhuce, ResponsibilityRole.LEAD),
               (3, kexin, ResponsibilityRole.LEAD)]
    for position, (index, unit, role) in enumerate(holders):
        db.session.add(TaskResponsibility(task=tasks[index], role=role, unit=unit, written_as=unit.name,
                                          position=position))
    food = PlanTarget(task=tasks[0], value=Decimal(230000), unit="批次", comparator=None, phrase="抽检食品23万批次",
                      span_start=0, span_end=8)
    items = PlanTarget(task=tasks[1], value=Decimal(50), unit="项", comparator=">=", phrase="新增50项", span_start=0,
                       span_end=4)
    db.session.add_all([food, items])
    statuses = [DecompositionStatus.CONFIRMED, DecompositionStatus.CONFIRMED, DecompositionStatus.SUBMITTED,
                DecompositionStatus.RETURNED]
    leads = [zhuce, kexin, zhuce, kexin]
    decompositions = [Decomposition(task=t, unit=u, status=s) for t, u, s in zip(tasks, leads, statuses, strict=False)]
    db.session.add_all(decompositions)
    db.session.flush()
    instances = _lifecycles(decompositions, [WorkflowStatus.WAITING, WorkflowStatus.COMPLETED,
                                             WorkflowStatus.RUNNING, WorkflowStatus.RUNNING])
    liaison, reviewer = users["zhuce"], users["dushen"]
    for decomposition, decision in zip(decompositions, [ReviewDecision.APPROVE, ReviewDecision.APPROVE, None,
                                                        ReviewDecision.RETURN], strict=True):
        _decomposition_round(decomposition, liaison, reviewer, decision)
    db.session.add(WorkItem(instance=instances[1], engine_task_id="scenario-closure-2", step_id="task_closure",
                            step_name="办结", role=Role.SUPERVISOR, state=WorkItemState.COMPLETED,
                            created_at=_at("2023-09-06", 16), completed_at=_at("2023-09-08"),
                            completed_by_id=reviewer.id))
    ms = {}
    for key, decomposition, due, status in [
        ("M1a", decompositions[0], date(2023, 6, 30), MilestoneStatus.APPROVED),
        ("M1b", decompositions[0], date(2023, 9, 30), MilestoneStatus.IN_PROGRESS),
        ("M1c", decompositions[0], date(2023, 10, 12), MilestoneStatus.IN_PROGRESS),
        ("M1d", decompositions[0], date(2023, 12, 31), MilestoneStatus.APPROVED),
        ("M2a", decompositions[1], date(2023, 8, 31), MilestoneStatus.APPROVED),
    ]:
        ms[key] = Milestone(decomposition=decomposition, plan_task_id=decomposition.plan_task_id,
                            unit_id=decomposition.unit_id, position=len(ms), title=f"节点{key}", deliverable="成果",
                            due_date=due, owner=liaison if decomposition.unit_id == zhuce.id else users["kexin"],
                            status=status)
    ms["M1b"].cooperating_units.append(kexin)
    db.session.add_all(ms.values())
    db.session.flush()
    _report(ms["M1a"], 1, "06-28", 100, "完成第一批抽检", reviewer, ReviewDecision.APPROVE, "07-03", "excellent",
            food, 100000)
    _report(ms["M1b"], 1, "09-25", 80, "第二批抽检过半", reviewer, ReviewDecision.RETURN, "09-27", None, food, 150000,
            comments="材料不全")
    _report(ms["M1d"], 1, "10-20", 100, "全年完成", reviewer, ReviewDecision.APPROVE, "10-23", "good", food, 230000)
    _report(ms["M2a"], 1, "09-05", 100, "系统上线", reviewer, ReviewDecision.APPROVE, "09-06", "good")
    db.session.flush()
    return Scenario(plan.id, zhuce.id, kexin.id, [s.id for s in sections], [t.id for t in tasks],
                    {k: m.id for k, m in ms.items()})


def _lifecycles(decompositions: list[Decomposition], statuses: list[WorkflowStatus]) -> list[WorkflowInstance]:
    version = ProcessSpecVersion(process_id="scenario", version=1, sha256="0" * 64, source_name="scenario.bpmn",
                                 bpmn_xml="<definitions/>")
    db.session.add(version)
    instances = [WorkflowInstance(spec_version=version, plan_task_id=decomposition.plan_task_id,
                                  kind=InstanceKind.DECOMPOSITION, decomposition_id=decomposition.id, status=status,
                                  state="{}", created_at=_at("2023-03-01"))
                 for decomposition, status in zip(decompositions, statuses, strict=False)]
    for decomposition, status in zip(decompositions, statuses, strict=False):
        if status is WorkflowStatus.COMPLETED:  # on the day of its closure (办结) work item, see build_scenario
            decomposition.closed_at = _at("2023-09-08")
    db.session.add_all(instances)
    return instances


def _decomposition_round(decomposition: Decomposition, liaison: User, reviewer: User,
                         decision: ReviewDecision | None) -> None:
    """The decomposition submitted 04-01 and, unless still waiting, reviewed (approved 04-10, returned 04-12)."""
    submitted = DecompositionRound(decomposition=decomposition, number=1, milestones=[], submitted_by=liaison,
                                   submitted_at=_at("2023-04-01"))
    db.session.add(submitted)
    db.session.flush()
    if decision is not None:
        day = "2023-04-10" if decision is ReviewDecision.APPROVE else "2023-04-12"
        db.session.add(ReviewRecord(plan_task_id=decomposition.plan_task_id, decomposition_round_id=submitted.id,
                                    step=StepKey.DECOMPOSITION_REVIEW, decision=decision, reviewer=reviewer,
                                    decided_at=_at(day, 15)))


def _report(milestone: Milestone, number: int, submitted: str, percent: int, progress: str, reviewer: User,
            decision: ReviewDecision, decided: str, quality: str | None, target: PlanTarget | None = None,
            actual: int | None = None, comments: str | None = None) -> None:
    report = MilestoneReport(milestone=milestone, number=number, progress=progress, percent_done=percent,
                             submitted_by=milestone.owner, submitted_at=_at(f"2023-{submitted}"))
    if target is not None:
        report.actuals.append(TargetActual(target=target, actual=Decimal(actual)))
    db.session.add(report)
    db.session.flush()
    db.session.add(ReviewRecord(plan_task_id=milestone.plan_task_id, milestone_report_id=report.id,
                                step="report_review", decision=decision, comments=comments, quality=quality,
                                reviewer=reviewer, decided_at=_at(f"2023-{decided}", 15)))
    if decision is ReviewDecision.APPROVE:  # as reporting.review_report does
        rollups.record_approval(milestone, report.submitted_at, _at(f"2023-{decided}", 15))
