"""Consistency warnings on a milestone report, for the reviewer only: they never stop the unit reporting.

Each rule reads the report and what came before it on the task and says, in Chinese, what looks wrong:
a number in the text that is not the actual reported, an actual below the last approved one, a text that
repeats the previous report, a percent that went backwards.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.formatting import plain_number
from app.models import (
    Milestone,
    MilestoneReport,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    TargetActual,
)

#: A report this similar (difflib ratio) to the one before it probably repeats it.
SIMILAR_RATIO = 0.9
#: Texts shorter than this say too little to call two of them copies ("已完成" twice is no copy).
SIMILAR_MIN_CHARS = 20
#: Chinese multipliers written after a number: 21万批次 is 210000 批次.
_MULTIPLIERS = {"": Decimal(1), "十": Decimal(10), "百": Decimal(100), "千": Decimal(1000), "万": Decimal(10_000),
                "亿": Decimal(100_000_000)}
_NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万|亿|千|百|十)?"


@dataclass(frozen=True)
class ReportWarning:
    """One thing the reviewer should look at, and which rule found it."""

    rule: str
    message: str


def check_report(report: MilestoneReport) -> list[ReportWarning]:
    """Every warning on ``report`` (empty when it is consistent)."""
    return [*_text_numbers(report), *_below_approved(report), *_repeats(report, _previous_report(report)),
            *_percent_back(report)]


def _mentions(text: str, unit: str) -> list[Decimal]:
    """The numbers ``text`` gives in ``unit`` (a number, a multiplier such as 万, then the unit)."""
    found = []
    for match in re.finditer(_NUMBER + re.escape(unit), text):
        try:
            found.append(Decimal(match.group(1).replace(",", "")) * _MULTIPLIERS[match.group(2) or ""])
        except InvalidOperation:  # pragma: no cover - the pattern only matches digits
            continue
    return found


def _text_numbers(report: MilestoneReport) -> list[ReportWarning]:
    """A number written with a target's unit that is neither the actual reported nor the target itself.

    The text may name the goal ("年底前扩展到25个") or the actual ("已扩展到22个") in the same unit; only when it
    names some figure in the unit and none of them is the actual reported is that a question. A number equal
    to the target's value is the plan's own goal and never counts.
    """
    warnings = []
    text = "\n".join(t for t in (report.progress, report.problems, report.next_steps) if t)
    for actual in report.actuals:
        target = actual.target
        if not target.unit.strip():
            continue
        mentioned = [n for n in _mentions(text, target.unit) if n != target.value]
        if mentioned and actual.actual not in mentioned:
            written = "、".join(f"{plain_number(n)}{target.unit}" for n in dict.fromkeys(mentioned))
            warnings.append(ReportWarning("text_number", (
                f"报送内容写的是 {written},与填报的指标“{target.phrase}”实际完成值 "
                f"{plain_number(actual.actual)}{target.unit} 不一致,请核实。")))
    return warnings


def _below_approved(report: MilestoneReport) -> list[ReportWarning]:
    """An actual lower than the one 督审处 last approved for the same target (a reduction target, "<=", may
    go down)."""
    targets = {a.plan_target_id: a for a in report.actuals if a.target.comparator != "<="}
    if not targets:
        return []
    approved = (select(TargetActual.plan_target_id, TargetActual.actual, MilestoneReport.id)
                .join(MilestoneReport, MilestoneReport.id == TargetActual.report_id)
                .join(ReviewRecord, ReviewRecord.milestone_report_id == MilestoneReport.id)
                .where(TargetActual.plan_target_id.in_(targets), MilestoneReport.id != report.id,
                       ReviewRecord.step == StepKey.REPORT_REVIEW, ReviewRecord.decision == ReviewDecision.APPROVE)
                .order_by(ReviewRecord.id))
    last: dict[int, Decimal] = {}
    for target_id, value, _ in db.session.execute(approved):
        last[target_id] = value  # ordered by approval: the last one wins
    warnings = []
    for target_id, value in last.items():
        actual = targets[target_id]
        if actual.actual < value:
            unit = actual.target.unit
            warnings.append(ReportWarning("below_approved", (
                f"指标“{actual.target.phrase}”本次实际完成值 {plain_number(actual.actual)}{unit} "
                f"低于上次审核通过的 {plain_number(value)}{unit}。")))
    return warnings


def _previous_report(report: MilestoneReport) -> MilestoneReport | None:
    """The task's report submitted last before ``report`` (on any of its milestones)."""
    return db.session.scalars(
        select(MilestoneReport).join(Milestone)
        .where(Milestone.plan_task_id == report.milestone.plan_task_id, MilestoneReport.id != report.id,
               MilestoneReport.submitted_at <= report.submitted_at)
        .options(selectinload(MilestoneReport.milestone))
        .order_by(MilestoneReport.submitted_at.desc(), MilestoneReport.id.desc()).limit(1)).first()


def _repeats(report: MilestoneReport, previous: MilestoneReport | None) -> list[ReportWarning]:
    """The progress text nearly the same as the task's previous report (a copied period)."""
    if previous is None or len(report.progress) < SIMILAR_MIN_CHARS:
        return []
    ratio = SequenceMatcher(None, previous.progress, report.progress, autojunk=False).ratio()
    if ratio < SIMILAR_RATIO:
        return []
    where = ("本节点" if previous.milestone_id == report.milestone_id
             else f"节点{previous.milestone.position}「{previous.milestone.title}」")
    return [ReportWarning("similar", (f"本次工作进展与{where}第 {previous.number} 次报送几乎相同"
                                f"(相似度 {round(ratio * 100)}%),请核实是否有新进展。"))]


def _percent_back(report: MilestoneReport) -> list[ReportWarning]:
    """A completion percent lower than the milestone's previous report."""
    previous = [r for r in report.milestone.reports if r.number < report.number]
    if not previous or report.percent_done >= previous[-1].percent_done:
        return []
    return [ReportWarning("percent_back", (f"完成进度由第 {previous[-1].number} 次报送的 {previous[-1].percent_done}% "
                                     f"降为 {report.percent_done}%。"))]

