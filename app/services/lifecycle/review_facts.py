"""Facts beside a decision: why the step's subject was last returned, and what changed between the submission
under review and the round before it (text diff, changed numbers, attachments added or removed)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher

from sqlalchemy import select

from app.extensions import db
from app.formatting import plain_number
from app.models import (
    Attachment,
    Decomposition,
    DecompositionRound,
    Milestone,
    MilestoneReport,
    Rectification,
    RectificationSubmission,
    ReviewDecision,
    ReviewRecord,
    StepKey,
    WorkItem,
)
from app.services.lifecycle import report_checks
from app.services.lifecycle.report_checks import ReportWarning

#: Steps about a milestone's reports, about a decomposition's rounds, and about a rectification's submissions
#: (with the kind of submission each one works on).
_REPORT_STEPS = {StepKey.MILESTONE_REPORT, StepKey.COOPERATING_CONTRIBUTION, StepKey.HEAD_SIGNOFF,
                 StepKey.REPORT_REVIEW}
_DECOMPOSITION_STEPS = {StepKey.DECOMPOSITION, StepKey.DECOMPOSITION_REVIEW}
_RECTIFICATION_STEPS = {StepKey.RECTIFICATION_PLAN: "plan", StepKey.RECTIFICATION_PLAN_REVIEW: "plan",
                        StepKey.RECTIFICATION_RESULT: "result", StepKey.RECTIFICATION_VERIFY: "result"}
#: Review steps: their page shows the submission under review first and what changed since the round before.
REVIEW_STEPS = frozenset({StepKey.HEAD_SIGNOFF, StepKey.REPORT_REVIEW, StepKey.DECOMPOSITION_REVIEW,
                          StepKey.RECTIFICATION_PLAN_REVIEW, StepKey.RECTIFICATION_VERIFY})


def _step(item: WorkItem) -> StepKey | None:
    return StepKey(item.form_key) if item.form_key in set(StepKey) else None


def _id(item: WorkItem, name: str) -> int | None:
    value = (item.context or {}).get(name)
    return value if isinstance(value, int) else None


def last_return(item: WorkItem) -> ReviewRecord | None:
    """The newest verdict on what the item works on (the milestone's reports, the decomposition's rounds, the
    rectification's plans or results), when it was a return: its comments say what to change."""
    step = _step(item)
    query = select(ReviewRecord).order_by(ReviewRecord.id.desc()).limit(1)
    if step in _REPORT_STEPS:
        query = query.join(MilestoneReport).where(MilestoneReport.milestone_id == _id(item, "milestone_id"))
    elif step in _DECOMPOSITION_STEPS:
        query = query.join(DecompositionRound).where(
            DecompositionRound.decomposition_id == _id(item, "decomposition_id"))
    elif step in _RECTIFICATION_STEPS:
        query = query.join(RectificationSubmission).where(
            RectificationSubmission.rectification_id == _id(item, "rectification_id"),
            RectificationSubmission.kind == _RECTIFICATION_STEPS[step])
    else:
        return None
    record = db.session.scalars(query).first()
    return record if record is not None and record.decision is ReviewDecision.RETURN else None


@dataclass(frozen=True)
class Segment:
    """A run of a text diff: kept ("same"), added ("ins") or removed ("del")."""

    kind: str
    text: str


#: A kept run this short between two changes joins them: "一个节点" → "分两个阶段" reads as one replacement,
#: not as four fragments around a shared "个".
_GLUE = 2


def text_diff(before: str, after: str) -> list[Segment]:
    """``before`` → ``after`` character by character (Chinese has no spaces to split words at), removed text
    before added text in each changed stretch."""
    segments: list[Segment] = []
    removed = added = ""
    opcodes = SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            if (removed or added) and index + 1 < len(opcodes) and i2 - i1 <= _GLUE:
                removed, added = removed + before[i1:i2], added + after[j1:j2]
                continue
            segments += [Segment("del", removed)] * bool(removed) + [Segment("ins", added)] * bool(added)
            removed = added = ""
            segments.append(Segment("same", before[i1:i2]))
        else:
            removed, added = removed + before[i1:i2], added + after[j1:j2]
    return segments + [Segment("del", removed)] * bool(removed) + [Segment("ins", added)] * bool(added)


@dataclass(frozen=True)
class TextChange:
    """One text that changed between the rounds, as a diff."""

    label: str
    segments: list[Segment]


@dataclass(frozen=True)
class ValueChange:
    """One number or short value that changed between the rounds."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class RoundChanges:
    """What changed from the round before (``previous``, named) to the one under review."""

    previous: str
    texts: list[TextChange] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        """The round under review repeats the one before word for word."""
        return not (self.texts or self.values or self.added or self.removed)


class _Collector:
    """Builds a RoundChanges, keeping only what differs."""

    def __init__(self, previous: str) -> None:
        self.changes = RoundChanges(previous)

    def text(self, label: str, before: str | None, after: str | None) -> None:
        if (before or "") != (after or ""):
            self.changes.texts.append(TextChange(label, text_diff(before or "", after or "")))

    def value(self, label: str, before: str, after: str) -> None:
        if before != after:
            self.changes.values.append(ValueChange(label, before, after))

    def files(self, before: Sequence[Attachment], after: Sequence[Attachment]) -> None:
        old, new = {(a.original_name, a.sha256) for a in before}, {(a.original_name, a.sha256) for a in after}
        self.changes.added.extend(name for name, digest in sorted(new - old))
        self.changes.removed.extend(name for name, digest in sorted(old - new))


def _files(column: str, owner_id: int) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(getattr(Attachment, column) == owner_id)
                                   .order_by(Attachment.id)))


def under_review(item: WorkItem) -> MilestoneReport | DecompositionRound | RectificationSubmission | None:
    """The submission a review step decides on (the newest round), or None for other steps."""
    rounds = _rounds(item)
    return rounds[-1] if rounds else None


def _rounds(item: WorkItem) -> Sequence[MilestoneReport | DecompositionRound | RectificationSubmission]:
    step = _step(item)
    if step not in REVIEW_STEPS:
        return []
    if step in _REPORT_STEPS:
        milestone = db.session.get(Milestone, _id(item, "milestone_id"))
        return milestone.reports if milestone else []
    if step in _DECOMPOSITION_STEPS:
        decomposition = db.session.get(Decomposition, _id(item, "decomposition_id"))
        return decomposition.rounds if decomposition else []
    rectification = db.session.get(Rectification, _id(item, "rectification_id"))
    kind = _RECTIFICATION_STEPS.get(step) if step else None
    return [s for s in rectification.submissions if s.kind == kind] if rectification else []


def round_changes(item: WorkItem, rounds: Sequence[MilestoneReport | DecompositionRound | RectificationSubmission]
                  | None = None) -> RoundChanges | None:
    """What changed since the round before the one under review; None for a first round or another step.
    ``rounds``: the step's rounds, when already read."""
    rounds = _rounds(item) if rounds is None else rounds
    if len(rounds) < 2:
        return None
    before, after = rounds[-2], rounds[-1]
    if isinstance(before, MilestoneReport) and isinstance(after, MilestoneReport):
        return _report_changes(before, after)
    if isinstance(before, DecompositionRound) and isinstance(after, DecompositionRound):
        collector = _Collector(f"第 {before.number} 次提交")
        collector.text("分解方案", _milestone_lines(before), _milestone_lines(after))
        collector.text("说明", before.note, after.note)
        return collector.changes
    if isinstance(before, RectificationSubmission) and isinstance(after, RectificationSubmission):
        collector = _Collector(f"第 {before.number} 次{before.kind.label}")
        collector.text(after.kind.label, before.text, after.text)
        collector.files(_files("rectification_submission_id", before.id),
                        _files("rectification_submission_id", after.id))
        return collector.changes
    return None


def _milestone_lines(round_: DecompositionRound) -> str:
    return "\n".join(f"{number}. {m.get('title')}(完成时限 {m.get('due_date')},责任人 {m.get('owner_name')}):"
                     f"{m.get('deliverable')}" for number, m in enumerate(round_.milestones, start=1))


def _amount(value: Decimal | None, unit: str) -> str:
    return "未填" if value is None else f"{plain_number(value)}{unit}"


def _report_changes(before: MilestoneReport, after: MilestoneReport) -> RoundChanges:
    collector = _Collector(f"第 {before.number} 次报送")
    collector.text("工作进展", before.progress, after.progress)
    collector.value("完成进度", f"{before.percent_done}%", f"{after.percent_done}%")
    old = {a.plan_target_id: a for a in before.actuals}
    new = {a.plan_target_id: a for a in after.actuals}
    for target_id in sorted(old.keys() | new.keys()):
        target = (new.get(target_id) or old[target_id]).target
        collector.value(f"指标“{target.phrase}”实际完成", _amount(getattr(old.get(target_id), "actual", None),
                                                             target.unit),
                        _amount(getattr(new.get(target_id), "actual", None), target.unit))
    collector.text("存在问题", before.problems, after.problems)
    collector.text("下步计划", before.next_steps, after.next_steps)
    collector.text("需协调事项", before.coordination, after.coordination)
    old_parts = {c.unit_id: c for c in before.contributions}
    for part in after.contributions:
        collector.text(f"协办({part.unit.name})", getattr(old_parts.get(part.unit_id), "text", None), part.text)
    collector.files(_files("milestone_report_id", before.id), _files("milestone_report_id", after.id))
    return collector.changes


@dataclass(frozen=True)
class StepFacts:
    """What a step's page shows beside its form: the last return's reason and, on a review, the submission
    under review, what changed since the round before and the consistency warnings on a report."""

    returned: ReviewRecord | None
    reviewed: MilestoneReport | DecompositionRound | RectificationSubmission | None = None
    changes: RoundChanges | None = None
    warnings: list[ReportWarning] = field(default_factory=list)


def facts_of(item: WorkItem) -> StepFacts:
    """The facts beside ``item``'s form."""
    returned = last_return(item)
    rounds = _rounds(item)
    if not rounds:
        return StepFacts(returned)
    reviewed = rounds[-1]
    warnings = report_checks.check_report(reviewed) if isinstance(reviewed, MilestoneReport) else []
    return StepFacts(returned, reviewed, round_changes(item, rounds), warnings)
