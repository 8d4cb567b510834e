"""Importing a plan document: read → draft → resolve unknown names → confirm in one transaction."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.errors import DubanError, InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    Organisation,
    Plan,
    PlanImportDraft,
    PlanSection,
    PlanStatus,
    PlanTarget,
    PlanTask,
    ResponsibilityRole,
    Role,
    TaskResponsibility,
    Unit,
    UnitGroup,
    UnitKind,
    User,
)
from app.models.base import utcnow
from app.plan_parser import DocumentError, ParsedPlan, parse_text, read_document
from app.plan_parser.model import Task
from app.plan_parser.units import is_group
from app.services.infrastructure import audit
from app.services.lifecycle import supervision
from app.services.plans import directory
from app.services.plans.name_resolution import Decision, DecisionKind, apply_decision

PASTED_SOURCE = "粘贴文本"


class AlreadyImported(InvalidTransition):
    """The same document was imported before; nothing new is created."""

    http_status = 409
    error_code = "already_imported"

    def __init__(self, plan: Plan):
        super().__init__(f"该文件内容与已导入的计划《{plan.title}》(编号 {plan.id})完全相同,未重复导入。")
        self.plan = plan


@dataclass(frozen=True)
class ImportPreview:
    """What the review screen shows: the parsed plan and how each name resolves."""

    draft: PlanImportDraft
    parsed: ParsedPlan
    resolved: dict[str, Unit | UnitGroup]
    unresolved: list[str]


def content_hash(text: str) -> str:
    """sha256 of the text with encoding, BOM, line-ending and trailing-space differences removed."""
    text = unicodedata.normalize("NFKC", text.lstrip("\ufeff"))
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return hashlib.sha256("\n".join(line for line in lines if line).encode("utf-8")).hexdigest()


def start_import(
    org: Organisation, actor: User | None, year: int | None, data: bytes | None = None,
    filename: str | None = None, pasted: str | None = None, max_bytes: int = 10 * 1024 * 1024,
) -> PlanImportDraft:
    """Read an upload or pasted text into a draft for review.

    :raises ValidationFailed: unreadable, empty, oversize input, or no numbered tasks.
    :raises AlreadyImported: the same document is already a plan.
    """
    text, source = _document_text(data, filename, pasted, max_bytes)
    parsed = parse_text(text)
    if not parsed.tasks:
        raise ValidationFailed("未在文档中找到编号的任务(如“1.”“(一)”“一、”开头的条目),请确认上传的是工作要点正文。")
    digest = content_hash(text)
    _refuse_duplicate(org, digest)
    draft = PlanImportDraft(
        organisation_id=org.id, created_by_id=actor.id if actor else None, source_name=source,
        year=year or guess_year(parsed) or utcnow().year,
        text=text, content_hash=digest,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def _document_text(data: bytes | None, filename: str | None, pasted: str | None, max_bytes: int) -> tuple[str, str]:
    if pasted and pasted.strip():
        if len(pasted.encode("utf-8")) > max_bytes:
            raise ValidationFailed(f"粘贴的文本超过 {max_bytes // (1024 * 1024)} MB 的上限。")
        return pasted, PASTED_SOURCE
    if not data:
        raise ValidationFailed("请上传工作要点文件(.txt 或 .docx),或粘贴正文。" if data is None
                               else "上传的文件是空的。")
    if len(data) > max_bytes:
        raise ValidationFailed(f"文件大小超过 {max_bytes // (1024 * 1024)} MB 的上限。")
    try:
        return read_document(data, filename or ""), filename or "上传文件"
    except DocumentError as error:
        raise ValidationFailed(error.message) from error


def _refuse_duplicate(org: Organisation, digest: str) -> None:
    existing = db.session.scalar(
        select(Plan).where(Plan.organisation_id == org.id, Plan.content_hash == digest)
    )
    if existing is not None:
        raise AlreadyImported(existing)


def preview(draft: PlanImportDraft) -> ImportPreview:
    """Parse the draft again and resolve every name it uses against the directory."""
    parsed = parse_text(draft.text)
    resolved: dict[str, Unit | UnitGroup] = {}
    unresolved: list[str] = []
    for name in names_used(parsed):
        target = directory.resolve_name(draft.organisation, name)
        if target is None:
            unresolved.append(name)
        else:
            resolved[name] = target
    return ImportPreview(draft, parsed, resolved, unresolved)


def names_used(parsed: ParsedPlan) -> list[str]:
    """Every unit and group name the plan writes, once each, in document order."""
    seen: dict[str, None] = {}
    for task in parsed.tasks:
        resp = task.responsibility
        for name in [*resp.responsible_units, *resp.lead_units, *resp.cooperating_units, *resp.unit_groups]:
            seen.setdefault(name, None)
    return list(seen)


def confirm_import(draft: PlanImportDraft, decisions: Mapping[str, Decision], actor: User | None) -> Plan:
    """Apply the name decisions and store the plan with its tasks, responsibilities and targets.

    :raises InvalidTransition: the draft was confirmed already (a second click, a second tab).
    :raises ValidationFailed: a name is still unresolved, or a decision is not applicable.
    :raises AlreadyImported: the same document became a plan meanwhile.
    """
    if draft.plan_id is not None:
        raise InvalidTransition("该导入已经确认过,请勿重复提交。")
    _refuse_duplicate(draft.organisation, draft.content_hash)
    for name, decision in decisions.items():
        apply_decision(draft.organisation, name, decision, actor)
    result = preview(draft)
    if result.unresolved:
        raise ValidationFailed("以下名称尚未确定对应的单位或单位组:" + "、".join(result.unresolved))
    plan = _store_plan(draft, result, actor)
    draft.plan = plan
    db.session.flush()
    supervision.start_supervision(plan)
    audit.record(actor, "plan", plan.id, "imported", after={
        "title": plan.title, "tasks": len(plan.tasks), "source": draft.source_name, "hash": draft.content_hash,
    })
    return plan


def _store_plan(draft: PlanImportDraft, result: ImportPreview, actor: User | None) -> Plan:
    parsed = result.parsed
    plan = Plan(
        organisation_id=draft.organisation_id, title=parsed.title or draft.source_name, year=draft.year,
        issuing_body=parsed.issuing_body, issued_on=parsed.issuing_date, document_number=parsed.document_number,
        content_hash=draft.content_hash, source_name=draft.source_name, imported_by=actor,
    )
    sections = {s.number: PlanSection(number=s.number, title=s.title) for s in parsed.sections}
    plan.sections = list(sections.values())
    plan.tasks = [_task_row(task, sections.get(task.section) if task.section is not None else None, result.resolved)
                  for task in parsed.tasks]
    db.session.add(plan)
    return plan


def _task_row(task: Task, section: PlanSection | None, resolved: Mapping[str, Unit | UnitGroup]) -> PlanTask:
    row = PlanTask(number=task.number, title=task.title[:500], text=task.text, section=section)
    row.responsibilities = list(_responsibilities(task, resolved))
    row.targets = [
        PlanTarget(
            value=Decimal(str(t.value)), unit=t.unit, comparator=t.comparator, phrase=t.phrase,
            span_start=t.span[0], span_end=t.span[1],
        )
        for t in task.targets
    ]
    return row


def _responsibilities(task: Task, resolved: Mapping[str, Unit | UnitGroup]) -> Iterable[TaskResponsibility]:
    """Leads, then co-responsible units, then cooperating units and groups, each name once."""
    resp = task.responsibility
    group_role = ResponsibilityRole.COOPERATING if resp.lead_units else ResponsibilityRole.RESPONSIBLE
    roles: dict[str, ResponsibilityRole] = {}
    for name in resp.lead_units:
        roles.setdefault(name, ResponsibilityRole.LEAD)
    for name in resp.responsible_units:
        roles.setdefault(name, ResponsibilityRole.RESPONSIBLE)
    for name in resp.cooperating_units:
        roles.setdefault(name, ResponsibilityRole.COOPERATING)
    for name in resp.unit_groups:
        roles.setdefault(name, group_role)
    for position, (name, role) in enumerate(roles.items()):
        holder = resolved[name]
        yield TaskResponsibility(
            role=role, written_as=name, position=position,
            unit=holder if isinstance(holder, Unit) else None,
            group=holder if isinstance(holder, UnitGroup) else None,
        )


def may_archive(plan: Plan, user: User) -> bool:
    """True when ``user`` may archive ``plan`` (the 归档 button shows): 督审处, while the plan is active."""
    return _refusal_to_archive(plan, user) is None


def _refusal_to_archive(plan: Plan, user: User) -> DubanError | None:
    if plan.status is PlanStatus.ARCHIVED:
        return InvalidTransition("该计划已归档。")
    if not user.has_role(Role.SUPERVISOR):
        return PermissionDenied("只有督审处可以归档计划。")
    return None


def archive_plan(plan: Plan, actor: User) -> Plan:
    """Archive a plan (plans are never deleted).

    :raises InvalidTransition: the plan is archived already.
    :raises PermissionDenied: the actor is not 督审处.
    """
    if refusal := _refusal_to_archive(plan, actor):
        raise refusal
    plan.status = PlanStatus.ARCHIVED
    plan.archived_at = utcnow()
    db.session.flush()
    audit.record(actor, "plan", plan.id, "archived", before={"status": "active"}, after={"status": "archived"})
    return plan


def guess_year(parsed: ParsedPlan) -> int | None:
    """The plan year: "2023年…" in the title, else the year it was issued."""
    match = re.search(r"(20\d\d)\s*年", parsed.title or "")
    if match:
        return int(match.group(1))
    return parsed.issuing_date.year if parsed.issuing_date else None


def automatic_decisions(names: Iterable[str]) -> dict[str, Decision]:
    """For bulk set-up: each unknown group-like name becomes a per-task group, anything else a 处室."""
    return {
        name: Decision(DecisionKind.NEW_GROUP) if is_group(name)
        else Decision(DecisionKind.NEW_UNIT, unit_kind=UnitKind.DEPARTMENT)
        for name in names
    }


def list_plans(org: Organisation) -> list[Plan]:
    """The organisation's plans, newest first, archived ones last."""
    query = select(Plan).where(Plan.organisation_id == org.id)
    return list(db.session.scalars(query.order_by(Plan.status, Plan.year.desc(), Plan.id.desc())))
