"""The rows of the 督查台账: one per task, then one per milestone of it, with progress and last verdict."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import RowMapping, func, select

from app.extensions import db
from app.formatting import chinese_numeral
from app.models import (
    Milestone,
    MilestoneReport,
    MilestoneStatus,
    Plan,
    PlanSection,
    PlanTask,
    QualityRating,
    ResponsibilityRole,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TaskResponsibility,
    Unit,
    UnitGroup,
    milestone_cooperator_table,
)
from app.services.dashboards import lighting
from app.services.dashboards.facts import milestone_facts, state_label, task_facts
from app.services.plans.plan_scope import PlanIds, in_plans
from app.services.timing.sql_days import beijing_date


@dataclass(frozen=True)
class LedgerRow:
    """One line of the ledger; a task line has no milestone title."""

    task_id: int
    milestone_id: int | None
    supervision_number: str | None
    task_number: int
    section: str
    task_title: str
    milestone_title: str | None
    lead: str
    cooperating: str
    due_date: date | None
    state: str
    light: str
    latest_progress: str
    last_review: str
    #: The plan's title, or the source and 文号 of a registered item.
    source: str = ""
    #: The latest report's 存在问题, 下步计划 and 需协调事项, one per line, each named.
    notes: str = ""


def ledger_rows(plan_ids: PlanIds, as_of: date) -> list[LedgerRow]:
    """Every task of the plan followed by its milestones, as of the day."""
    tasks = db.session.execute(select(task_facts(plan_ids, as_of)).order_by("plan_id", "number")).mappings().all()
    sources = {plan.id: plan.source_label
               for plan in db.session.scalars(select(Plan).where(in_plans(Plan.id, plan_ids)))}
    milestones = _milestones_by_task(plan_ids, as_of)
    holders = _holders(plan_ids)
    progress, reviews = _latest_progress(plan_ids, as_of), _latest_reviews(plan_ids, as_of)
    sections = dict(db.session.execute(
        select(PlanSection.id, PlanSection.number).where(in_plans(PlanSection.plan_id, plan_ids))).all())
    task_lights = lighting.task_light_labels(plan_ids, as_of)
    milestone_lights = lighting.milestone_light_labels(plan_ids, as_of)
    cooperators = _milestone_cooperators(plan_ids)
    rows: list[LedgerRow] = []
    for task in tasks:  # assembling lines of a document, not aggregating: every figure came from SQL
        own = milestones.get(task["task_id"], [])
        section = f"{chinese_numeral(sections[task['section_id']])}" if task["section_id"] in sections else ""
        lead, cooperating = holders.get(task["task_id"], ("", ""))
        latest = max((m for m in own if m["milestone_id"] in progress), default=None,
                     key=lambda m: progress[m["milestone_id"]][0])
        rows.append(LedgerRow(
            task["task_id"], None, task["supervision_number"], task["number"], section, task["title"], None, lead,
            cooperating, max((m["due_date"] for m in own), default=None), state_label(task["state"], task["hold_kind"]),
            task_lights.get(task["task_id"], ""), progress[latest["milestone_id"]][1] if latest else "",
            _latest_of(reviews, own), sources[task["plan_id"]], progress[latest["milestone_id"]][2] if latest else ""))
        for m in own:
            rows.append(LedgerRow(
                task["task_id"], m["milestone_id"], task["supervision_number"], task["number"], section, task["title"],
                m["title"], m["unit_name"], cooperators.get(m["milestone_id"], ""), m["due_date"], milestone_state(m),
                milestone_lights.get(m["milestone_id"], ""), progress.get(m["milestone_id"], (0, "", ""))[1],
                reviews.get(m["milestone_id"], (0, ""))[1], sources[task["plan_id"]],
                progress.get(m["milestone_id"], (0, "", ""))[2]))
    return rows


def milestone_state(m: RowMapping) -> str:
    """已完成 / 已逾期 / 推进中 / 待确认 as of the day."""
    if m["approved"]:
        return "已完成"
    if m["overdue"]:
        return "已逾期"
    # Approved only after the as-of day: on that day it was still in progress.
    status = MilestoneStatus.IN_PROGRESS if m["status"] is MilestoneStatus.APPROVED else m["status"]
    return status.label


def _latest_of(reviews: dict[int, tuple[int, str]], milestones: Iterable[RowMapping]) -> str:
    found = [reviews[m["milestone_id"]] for m in milestones if m["milestone_id"] in reviews]
    return max(found)[1] if found else ""


def _milestones_by_task(plan_ids: PlanIds, as_of: date) -> defaultdict[int, list[RowMapping]]:
    facts = milestone_facts(plan_ids, as_of)
    rows = db.session.execute(select(facts, Unit.name.label("unit_name")).join(Unit, Unit.id == facts.c.unit_id)
                              .order_by(facts.c.task_id, facts.c.due_date, facts.c.milestone_id)).mappings().all()
    grouped: defaultdict[int, list[RowMapping]] = defaultdict(list)
    for row in rows:
        grouped[row["task_id"]].append(row)
    return grouped


def _holders(plan_ids: PlanIds) -> dict[int, tuple[str, str]]:
    """Per task: the lead (or responsible) holders and the cooperating holders, 、-separated, in document order."""
    rows = db.session.execute(
        select(TaskResponsibility.task_id, TaskResponsibility.role,
               func.coalesce(Unit.name, UnitGroup.name, TaskResponsibility.written_as))
        .join(PlanTask, PlanTask.id == TaskResponsibility.task_id)
        .outerjoin(Unit, Unit.id == TaskResponsibility.unit_id)
        .outerjoin(UnitGroup, UnitGroup.id == TaskResponsibility.group_id)
        .where(in_plans(PlanTask.plan_id, plan_ids))
        .order_by(TaskResponsibility.task_id, TaskResponsibility.position)).all()
    names: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for task_id, role, name in rows:
        names[task_id][role is ResponsibilityRole.COOPERATING].append(name)
    return {task_id: ("、".join(lead), "、".join(coop)) for task_id, (lead, coop) in names.items()}


def _milestone_cooperators(plan_ids: PlanIds) -> dict[int, str]:
    rows = db.session.execute(
        select(milestone_cooperator_table.c.milestone_id, Unit.name)
        .join(Unit, Unit.id == milestone_cooperator_table.c.unit_id)
        .join(Milestone, Milestone.id == milestone_cooperator_table.c.milestone_id)
        .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
        .where(in_plans(PlanTask.plan_id, plan_ids)).order_by(milestone_cooperator_table.c.milestone_id, Unit.id)).all()
    names: dict[int, list[str]] = defaultdict(list)
    for milestone_id, name in rows:
        names[milestone_id].append(name)
    return {key: "、".join(value) for key, value in names.items()}


#: The report's optional notes as the ledger names them.
_NOTES = (("存在问题", MilestoneReport.problems), ("下步计划", MilestoneReport.next_steps),
          ("需协调事项", MilestoneReport.coordination))


def _latest_progress(plan_ids: PlanIds, as_of: date) -> dict[int, tuple[int, str, str]]:
    """Per milestone: (report id, "60%:text", its notes) of its latest report submitted by the day, marked (待审核)
    or (已退回) while 督审处 had not approved it by then: a figure nobody signed off is never shown as settled."""
    ranked = (select(MilestoneReport.id, MilestoneReport.milestone_id, MilestoneReport.percent_done,
                     MilestoneReport.progress, *(column for _, column in _NOTES),
                     func.row_number().over(partition_by=MilestoneReport.milestone_id,
                                            order_by=MilestoneReport.id.desc()).label("rank"))
              .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
              .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
              .where(in_plans(PlanTask.plan_id, plan_ids), beijing_date(MilestoneReport.submitted_at) <= as_of)
              .subquery())
    rows = db.session.execute(select(ranked.c.milestone_id, ranked.c.id, ranked.c.percent_done, ranked.c.progress,
                                     *(ranked.c[column.key] for _, column in _NOTES))
                              .where(ranked.c.rank == 1)).all()
    verdicts = _report_verdicts([row[1] for row in rows], as_of)
    marks = {ReviewDecision.APPROVE: "", ReviewDecision.RETURN: "(已退回)", None: "(待审核)"}
    return {m: (report_id, f"{pct}%:{text}{marks[verdicts.get(report_id)]}",
                "\n".join(f"{name}:{note}" for (name, _), note in zip(_NOTES, notes, strict=True) if note))
            for m, report_id, pct, text, *notes in rows}


def _report_verdicts(report_ids: list[int], as_of: date) -> dict[int, ReviewDecision]:
    """Per report: 督审处's approval, or a return by anyone, decided by the day (none: still waiting)."""
    found: dict[int, ReviewDecision] = {}
    for report_id, decision in db.session.execute(
            select(ReviewRecord.milestone_report_id, ReviewRecord.decision)
            .where(ReviewRecord.milestone_report_id.in_(report_ids), beijing_date(ReviewRecord.decided_at) <= as_of,
                   (ReviewRecord.step == StepKey.REPORT_REVIEW) | (ReviewRecord.decision == ReviewDecision.RETURN))
            .order_by(ReviewRecord.id)):
        if report_id is not None:  # excluded in SQL; narrows the type
            found[report_id] = decision
    return found


def _latest_reviews(plan_ids: PlanIds, as_of: date) -> dict[int, tuple[int, str]]:
    """Per milestone: (review id, "通过(优)" or "退回:comments") of the latest verdict on its reports by the day."""
    ranked = (select(ReviewRecord.id, MilestoneReport.milestone_id, ReviewRecord.decision, ReviewRecord.quality,
                     ReviewRecord.comments, ReviewRecord.step,
                     func.row_number().over(partition_by=MilestoneReport.milestone_id,
                                            order_by=ReviewRecord.id.desc()).label("rank"))
              .join(MilestoneReport, ReviewRecord.milestone_report_id == MilestoneReport.id)
              .join(Milestone, Milestone.id == MilestoneReport.milestone_id)
              .join(PlanTask, PlanTask.id == Milestone.plan_task_id)
              .where(in_plans(PlanTask.plan_id, plan_ids), beijing_date(ReviewRecord.decided_at) <= as_of).subquery())
    out = {}
    for review_id, milestone_id, decision, quality, comments, step in db.session.execute(
            select(ranked.c.id, ranked.c.milestone_id, ranked.c.decision, ranked.c.quality, ranked.c.comments,
                   ranked.c.step).where(ranked.c.rank == 1)).all():
        who = "督审处" if step == StepKey.REPORT_REVIEW else "负责人"
        text = f"{who}{decision.label}"
        if decision is ReviewDecision.APPROVE and quality:
            text += f"({QualityRating(quality).label})"
        if comments:
            text += f":{comments}"
        out[milestone_id] = (review_id, text)
    return out
