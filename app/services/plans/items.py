"""Registering a single 督办事项 (立项): a 领导批示, 会议议定事项, 上级交办, 人大建议 or 政协提案.

An item is stored as a plan of its source's kind holding one task, so it takes the next 督办编号 and runs
the same lifecycle (decomposition, reports, review, rectification, closure) as a plan's tasks, and every
list, dashboard, export and score counts it without a second model.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Organisation,
    Plan,
    PlanKind,
    PlanTarget,
    PlanTask,
    Priority,
    ResponsibilityRole,
    TaskResponsibility,
    Unit,
    UnitGroup,
    User,
)
from app.plan_parser.targets import find_targets
from app.plan_parser.units import split_units
from app.services.infrastructure import audit
from app.services.lifecycle import supervision
from app.services.plans import directory
from app.services.plans.plan_import import AlreadyImported, content_hash

#: What the import page calls the source of a registered item.
REGISTERED_SOURCE = "立项登记"
MAX_TEXT = 5000
MAX_TITLE = 200
MAX_DOCUMENT_NUMBER = 100
#: Where the targets start in the stored text (the targets are found in the text, like a plan's).
TARGETS_HEADING = "工作目标:"


@dataclass(frozen=True)
class ItemRequest:
    """What 督审处 fills in to register an item; names as written, resolved like a plan's."""

    source: str
    text: str
    lead_units: str
    final_deadline: date | None
    document_number: str = ""
    document_date: date | None = None
    title: str = ""
    cooperating_units: str = ""
    targets: str = ""
    priority: str = Priority.NORMAL.value


def register_item(org: Organisation, request: ItemRequest, actor: User | None, today: date) -> Plan:
    """Store the item, number it and start its lifecycle for each lead unit.

    :raises ValidationFailed: a field is missing or wrong, or a unit name is unknown (nothing is stored).
    :raises AlreadyImported: the same item (source, 文号 and text) is registered already.
    """
    kind, priority = _source(request.source), _priority(request.priority)
    text, title = _text(request), _title(request)
    number = request.document_number.strip()
    if len(number) > MAX_DOCUMENT_NUMBER:
        raise ValidationFailed(f"文号不能超过 {MAX_DOCUMENT_NUMBER} 个字。")
    if request.document_date is not None and request.document_date > today:
        raise ValidationFailed("来源文件的日期不能晚于今天。")
    if request.final_deadline is None:
        raise ValidationFailed("请填写办结时限。")
    if request.final_deadline < today:
        raise ValidationFailed("办结时限不能早于今天。")
    leads, cooperating = _units(org, request.lead_units, request.cooperating_units)
    digest = content_hash("\n".join((kind.value, number, text)))
    _refuse_duplicate(org, digest)
    task = PlanTask(number=1, title=title, text=text, priority=priority, final_deadline=request.final_deadline)
    task.responsibilities = _responsibilities(leads, cooperating)
    task.targets = _targets(text)
    plan = Plan(organisation_id=org.id, kind=kind, title=title, year=today.year, issued_on=request.document_date,
                document_number=number or None, content_hash=digest, source_name=REGISTERED_SOURCE,
                imported_by=actor, tasks=[task])
    db.session.add(plan)
    db.session.flush()
    supervision.start_supervision(plan)
    audit.record(actor, "plan", plan.id, "registered", after={
        "source": kind.value, "document_number": number, "title": title,
        "final_deadline": request.final_deadline.isoformat(), "number": task.supervision_number,
    })
    return plan


def _refuse_duplicate(org: Organisation, digest: str) -> None:
    """The same item registered twice (a second click, a second tab) is refused, as a plan imported twice."""
    existing = db.session.scalar(select(Plan).where(Plan.organisation_id == org.id, Plan.content_hash == digest))
    if existing is not None:
        raise AlreadyImported(existing)


def _source(value: str) -> PlanKind:
    try:
        kind = PlanKind(value)
    except ValueError:
        kind = None
    if kind is None or not kind.is_item:
        raise ValidationFailed("请选择督办事项的来源:" + "、".join(k.label for k in PlanKind.item_sources()) + "。")
    return kind


def _priority(value: str) -> Priority:
    try:
        return Priority(value or Priority.NORMAL.value)
    except ValueError:
        raise ValidationFailed("无法识别的紧急程度。") from None


def _text(request: ItemRequest) -> str:
    text, targets = request.text.strip(), request.targets.strip()
    if not text:
        raise ValidationFailed("请填写督办事项的内容。")
    if len(text) + len(targets) > MAX_TEXT:
        raise ValidationFailed(f"督办事项的内容和目标合计不能超过 {MAX_TEXT} 个字。")
    return f"{text}\n{TARGETS_HEADING}{targets}" if targets else text


def _title(request: ItemRequest) -> str:
    """The title given, else the text's first sentence."""
    title = request.title.strip() or request.text.strip().split("。")[0].split("\n")[0]
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"标题不能超过 {MAX_TITLE} 个字,请填写简短的标题。")
    return title


def _units(org: Organisation, lead_text: str, cooperating_text: str) -> tuple[list[Unit], list[Unit | UnitGroup]]:
    """Resolve the written names like a plan import; every name must be known, every lead a unit."""
    lead_names, cooperating_names = split_units(lead_text).order, split_units(cooperating_text).order
    if not lead_names:
        raise ValidationFailed("请填写牵头单位。")
    resolved = {name: directory.resolve_name(org, name) for name in [*lead_names, *cooperating_names]}
    unknown = [name for name, holder in resolved.items() if holder is None]
    if unknown:
        raise ValidationFailed("以下单位名称在单位目录中找不到:" + "、".join(unknown)
                               + "。请检查名称,或先在单位目录中添加该单位或别名。")
    not_units = [name for name in lead_names if not isinstance(resolved[name], Unit)]
    if not_units:
        raise ValidationFailed("牵头单位须是具体单位,不能是单位组:" + "、".join(not_units) + "。")
    leads = [holder for holder in _unique([resolved[name] for name in lead_names]) if isinstance(holder, Unit)]
    cooperating = [holder for holder in _unique([resolved[name] for name in cooperating_names])
                   if holder not in leads]
    return leads, cooperating


def _unique(holders: list[Unit | UnitGroup | None]) -> list[Unit | UnitGroup]:
    seen: list[Unit | UnitGroup] = []
    for holder in holders:
        if holder is not None and holder not in seen:
            seen.append(holder)
    return seen


def _responsibilities(leads: list[Unit], cooperating: list[Unit | UnitGroup]) -> list[TaskResponsibility]:
    holders: list[tuple[ResponsibilityRole, Unit | UnitGroup]] = [(ResponsibilityRole.LEAD, unit) for unit in leads]
    holders += [(ResponsibilityRole.COOPERATING, holder) for holder in cooperating]
    return [TaskResponsibility(role=role, written_as=holder.name, position=position,
                               unit=holder if isinstance(holder, Unit) else None,
                               group=holder if isinstance(holder, UnitGroup) else None)
            for position, (role, holder) in enumerate(holders)]


def _targets(text: str) -> list[PlanTarget]:
    """The targets written after the heading (the item's text itself may quote figures that are no targets)."""
    start = text.find(TARGETS_HEADING)
    if start < 0:
        return []
    found = find_targets(text)
    return [PlanTarget(value=Decimal(str(t.value)), unit=t.unit, comparator=t.comparator, phrase=t.phrase,
                       span_start=t.span[0], span_end=t.span[1]) for t in found if t.span[0] > start]
