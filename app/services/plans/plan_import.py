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
from app.plan_parser.parse import guess_year as parsed_year
from app.plan_parser.table_plan import ROLES, Columns, guess_columns, table_plan, task_table_of
from app.plan_parser.tables import RawTable
from app.plan_parser.units import is_group
from app.services.infrastructure import audit, visibility
from app.services.lifecycle import supervision
from app.services.plans import directory
from app.services.plans.name_resolution import Decision, DecisionKind, apply_decision

PASTED_SOURCE = "粘贴文本"
DOCUMENT, TABLE = "document", "table"


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
    table: RawTable | None = None  # a task table, whose columns the clerk maps


@dataclass(frozen=True)
class TargetChoice:
    """What 督审处 made of one detected target in the preview: kept as is or corrected, or dropped."""

    keep: bool
    value: Decimal | None = None
    unit: str | None = None
    comparator: str | None = None


def content_hash(text: str) -> str:
    """sha256 of the text with encoding, BOM, line-ending and trailing-space differences removed."""
    text = unicodedata.normalize("NFKC", text.lstrip("\ufeff"))
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return hashlib.sha256("\n".join(line for line in lines if line).encode("utf-8")).hexdigest()


def start_import(
    org: Organisation, actor: User | None, year: int | None, data: bytes | None = None,
    filename: str | None = None, pasted: str | None = None, max_bytes: int = 10 * 1024 * 1024,
    revises: Plan | None = None,
) -> PlanImportDraft:
    """Read an upload or pasted text into a draft for review.

    The draft revises ``revises``, or else the organisation's active plan of the same title when there is one:
    confirming it then changes that plan rather than adding a second one.

    :raises ValidationFailed: unreadable, empty, oversize input, or no numbered tasks.
    :raises AlreadyImported: the same document is already a plan.
    """
    text, source, table = _document_text(data, filename, pasted, max_bytes)
    if table is None:
        parsed = parse_text(text, directory.compound_names(org))
        if not parsed.tasks:
            raise ValidationFailed("未在文档中找到编号的任务(如“1.”“(一)”“一、”开头的条目),"
                                   "请确认上传的是工作要点正文。")
        columns = None
    else:
        text, columns = table.to_json(), guess_columns(table.header)
        parsed = table_plan(table, columns, year, _stem(source))
    digest = content_hash(text)
    _refuse_duplicate(org, digest)
    draft = PlanImportDraft(
        organisation_id=org.id, created_by_id=actor.id if actor else None, source_name=source,
        year=year or guess_year(parsed) or utcnow().year, text=text, content_hash=digest,
        kind=DOCUMENT if table is None else TABLE, columns=columns,
        revises_plan=revises or same_title_plan(org, parsed.title),
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def _document_text(
    data: bytes | None, filename: str | None, pasted: str | None, max_bytes: int,
) -> tuple[str, str, RawTable | None]:
    """The upload's text, its name for the plan, and its task table when it is one (.xlsx, .csv, a .docx table)."""
    if pasted and pasted.strip():
        if len(pasted.encode("utf-8")) > max_bytes:
            raise ValidationFailed(f"粘贴的文本超过 {max_bytes // (1024 * 1024)} MB 的上限。")
        return pasted, PASTED_SOURCE, None
    if not data:
        raise ValidationFailed("请上传工作要点文件(.txt、.docx、.xlsx 或 .csv),或粘贴正文。" if data is None
                               else "上传的文件是空的。")
    if len(data) > max_bytes:
        raise ValidationFailed(f"文件大小超过 {max_bytes // (1024 * 1024)} MB 的上限。")
    name = filename or "上传文件"
    try:
        table = task_table_of(data, name)
        return ("", name, table) if table is not None else (read_document(data, name), name, None)
    except DocumentError as error:
        raise ValidationFailed(error.message) from error


def _stem(source: str) -> str:
    """A file name without its extension: the title of a table that states none."""
    return re.sub(r"\.[A-Za-z0-9]{1,5}$", "", source)


def same_title_plan(org: Organisation, title: str | None) -> Plan | None:
    """The organisation's newest active plan of this title: a document of the same title revises it."""
    if not title:
        return None
    return db.session.scalars(select(Plan).where(
        Plan.organisation_id == org.id, Plan.title == title, Plan.status == PlanStatus.ACTIVE,
    ).order_by(Plan.id.desc()).limit(1)).first()


def _refuse_duplicate(org: Organisation, digest: str) -> None:
    existing = db.session.scalar(
        select(Plan).where(Plan.organisation_id == org.id, Plan.content_hash == digest)
    )
    if existing is not None:
        raise AlreadyImported(existing)


def preview(draft: PlanImportDraft) -> ImportPreview:
    """Parse the draft again and resolve every name it uses against the directory."""
    table = RawTable.from_json(draft.text) if draft.kind == TABLE else None
    parsed = parse_text(draft.text, directory.compound_names(draft.organisation)) if table is None \
        else table_plan(table, draft.columns or {}, draft.year, _stem(draft.source_name))
    resolved: dict[str, Unit | UnitGroup] = {}
    unresolved: list[str] = []
    for name in names_used(parsed):
        target = directory.resolve_name(draft.organisation, name)
        if target is None:
            unresolved.append(name)
        else:
            resolved[name] = target
    return ImportPreview(draft, parsed, resolved, unresolved, table)


def map_columns(draft: PlanImportDraft, columns: Columns) -> None:
    """Record which column of a task table plays which role, as the clerk chose in the preview.

    :raises InvalidTransition: the draft is confirmed already, or is no table.
    :raises ValidationFailed: a role or a column that the table does not have.
    """
    if draft.plan_id is not None or draft.kind != TABLE:
        raise InvalidTransition("该导入已经确认过,或不是任务表格,不能再调整列对应。")
    width = len(RawTable.from_json(draft.text).header)
    if set(columns) - set(ROLES) or any(c is not None and not 0 <= c < width for c in columns.values()):
        raise ValidationFailed("所选的列在表格中不存在,请重新选择。")
    draft.columns = {role: columns.get(role) for role in ROLES}
    db.session.flush()


def names_used(parsed: ParsedPlan) -> list[str]:
    """Every unit and group name the plan writes, once each, in document order."""
    seen: dict[str, None] = {}
    for task in parsed.tasks:
        resp = task.responsibility
        for name in [*resp.responsible_units, *resp.lead_units, *resp.cooperating_units, *resp.unit_groups]:
            seen.setdefault(name, None)
    return list(seen)


def confirm_import(
    draft: PlanImportDraft, decisions: Mapping[str, Decision], actor: User | None,
    targets: Mapping[tuple[int, int], TargetChoice] | None = None,
) -> Plan:
    """Apply the name decisions and store the plan with its tasks, responsibilities and targets.

    ``targets`` holds 督审处's choices for detected quantities by (task number, position among them);
    one without a choice is kept as detected when it is a target and left out when it is a condition.

    :raises InvalidTransition: the draft was confirmed already (a second click, a second tab).
    :raises ValidationFailed: a name is still unresolved, a decision is not applicable, or the table has errors.
    :raises AlreadyImported: the same document became a plan meanwhile.
    """
    if draft.plan_id is not None:
        raise InvalidTransition("该导入已经确认过,请勿重复提交。")
    if draft.revises_plan_id is not None:
        raise InvalidTransition("该文件是已有计划的修订版,请按修改清单逐项填写原因后应用修订。")
    _refuse_duplicate(draft.organisation, draft.content_hash)
    if draft.kind == TABLE and preview(draft).parsed.errors:
        raise ValidationFailed("表格中还有需要修改的问题(见预览顶部),修改表格或列对应后才能导入。")
    for name, decision in decisions.items():
        apply_decision(draft.organisation, name, decision, actor)
    result = preview(draft)
    if result.unresolved:
        raise ValidationFailed("以下名称尚未确定对应的单位或单位组:" + "、".join(result.unresolved))
    choices = targets or {}
    plan = _store_plan(draft, result, actor, choices)
    draft.plan = plan
    db.session.flush()
    supervision.start_supervision(plan)
    audit.record(actor, "plan", plan.id, "imported", after={
        "title": plan.title, "tasks": len(plan.tasks), "source": draft.source_name, "hash": draft.content_hash,
        "targets_dropped": sum(not c.keep for c in choices.values()),
        "targets_corrected": sum(c.keep and c.value is not None for c in choices.values()),
    })
    return plan


def _store_plan(draft: PlanImportDraft, result: ImportPreview, actor: User | None,
                targets: Mapping[tuple[int, int], TargetChoice]) -> Plan:
    parsed = result.parsed
    plan = Plan(
        organisation_id=draft.organisation_id, title=parsed.title or draft.source_name, year=draft.year,
        issuing_body=parsed.issuing_body, issued_on=parsed.issuing_date, document_number=parsed.document_number,
        content_hash=draft.content_hash, source_name=draft.source_name, imported_by=actor,
    )
    sections = {s.number: PlanSection(number=s.number, title=s.title) for s in parsed.sections}
    plan.sections = list(sections.values())
    plan.tasks = [task_row(task, sections.get(task.section) if task.section is not None else None, result.resolved,
                            draft.year, targets) for task in parsed.tasks]
    db.session.add(plan)
    return plan


def task_row(task: Task, section: PlanSection | None, resolved: Mapping[str, Unit | UnitGroup], year: int,
              targets: Mapping[tuple[int, int], TargetChoice]) -> PlanTask:
    row = PlanTask(number=task.number, title=task.title[:500], text=task.text, section=section)
    if task.deadline is not None:
        row.suggested_due, row.deadline_phrase = task.deadline.on(year), task.deadline.phrase[:60]
    row.responsibilities = list(responsibilities(task, resolved))
    row.targets = []
    for position, found in enumerate(task.targets):
        choice = targets.get((task.number, position), TargetChoice(keep=found.is_target))
        if not choice.keep:
            continue
        corrected = choice.value is not None
        row.targets.append(PlanTarget(
            value=choice.value if corrected else Decimal(str(found.value)),
            unit=(choice.unit or found.unit) if corrected else found.unit,
            comparator=choice.comparator if corrected else found.comparator,
            phrase=found.phrase, span_start=found.span[0], span_end=found.span[1],
        ))
    return row


def unit_roles(task: Task) -> dict[str, ResponsibilityRole]:
    """Leads, then co-responsible units, then cooperating units and groups, each name once, with its role."""
    return {name: ResponsibilityRole(role) for name, role in task.responsibility.roles().items()}


def responsibilities(task: Task, resolved: Mapping[str, Unit | UnitGroup]) -> Iterable[TaskResponsibility]:
    """The task's responsibility rows, in the order unit_roles gives."""
    for position, (name, role) in enumerate(unit_roles(task).items()):
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
    if visibility.organisation_id_of(user) != plan.organisation_id:
        return PermissionDenied("该内容属于其他机构,只能由该机构办理。")
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
    return parsed_year(parsed)


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
