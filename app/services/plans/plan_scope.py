"""Which plans and registered items a dashboard, list, export or score covers.

By default everything the organisation supervises now: every active plan and every active 督办事项, so a
second plan never hides the first. The selector narrows it to one plan (``?plan=3``) or to one source of
items (``?source=leader_instruction``: every 领导批示). Service functions take ``plan_ids`` — one id or several
— and filter with ``in_plans``, so their queries stay as they were.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, select

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Organisation, Plan, PlanKind, PlanStatus
from app.models.base import utcnow

ALL_LABEL = "全部计划和督办事项"
#: One plan's id, or the ids of several plans and items.
PlanIds = int | Sequence[int]


def in_plans(column: SQLColumnExpression[int], plan_ids: PlanIds) -> ColumnElement[bool]:
    """``column`` is one of ``plan_ids``."""
    if isinstance(plan_ids, int):
        return column == plan_ids
    return column.in_(list(plan_ids))


@dataclass(frozen=True)
class Scope:
    """What a page or a document covers: the plans and items, how the selector reads, whose they are."""

    organisation: Organisation
    plans: tuple[Plan, ...]
    #: The chosen plan, if one is chosen (its own title, sections and export name).
    plan: Plan | None
    #: The chosen source of items, if one is chosen.
    source: PlanKind | None
    label: str

    @property
    def plan_ids(self) -> tuple[int, ...]:
        """The ids the service functions take."""
        return tuple(plan.id for plan in self.plans)

    @property
    def empty(self) -> bool:
        """Nothing is supervised yet (or nothing of the chosen source)."""
        return not self.plans

    @property
    def year(self) -> int:
        """The year documents are titled with: the newest year covered."""
        return max((plan.year for plan in self.plans), default=utcnow().year)

    @property
    def title(self) -> str:
        """The heading of a page or document: the plan's title, or what the selection covers."""
        if self.plan is not None and not self.plan.kind.is_item:
            return self.plan.title
        return f"{self.year}年{self.label}" if self.plan is None else self.label

    @property
    def several(self) -> bool:
        """True when several plans or items are covered: lists then say which each line belongs to."""
        return len(self.plans) > 1

    @property
    def args(self) -> dict[str, object]:
        """The query-string arguments that select this scope again (links, exports)."""
        if self.plan is not None:
            return {"plan": self.plan.id}
        return {"source": self.source.value} if self.source is not None else {}


def as_scope(subject: Plan | Scope) -> Scope:
    """A scope as it is, or the scope of one plan (documents built for a single plan)."""
    if isinstance(subject, Scope):
        return subject
    label = subject.title if not subject.kind.is_item else subject.source_label
    return Scope(subject.organisation, (subject,), subject, None, label)


def active_plans(organisation_id: int) -> list[Plan]:
    """The organisation's active plans and items: plans first, newest year first, each in the order registered."""
    query = select(Plan).where(Plan.organisation_id == organisation_id, Plan.status == PlanStatus.ACTIVE)
    return sorted(db.session.scalars(query), key=lambda p: (p.kind is not PlanKind.PLAN, -p.year, p.id))


def resolve(organisation_id: int, plan_id: int | None = None, source: str | None = None) -> Scope:
    """The scope a page asks for: one plan (archived ones too, when named), one source of items, or everything.

    :raises NotFound: the plan is not the organisation's.
    :raises ValidationFailed: the source is unknown.
    """
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("找不到该单位所属的机关。")
    if plan_id is not None:
        plan = db.session.scalar(select(Plan).where(Plan.organisation_id == organisation_id, Plan.id == plan_id))
        if plan is None:
            raise NotFound("找不到该工作计划或督办事项。")
        return as_scope(plan)
    plans = active_plans(organisation_id)
    if not source:
        return Scope(organisation, tuple(plans), None, None, ALL_LABEL)
    try:
        kind = PlanKind(source)
    except ValueError:
        raise ValidationFailed("无法识别的来源。") from None
    return Scope(organisation, tuple(p for p in plans if p.kind is kind), None, kind, _source_label(kind))


def _source_label(kind: PlanKind) -> str:
    return f"全部{kind.label}" if kind.is_item else "全部工作计划"


def source_labels(scope: Scope) -> dict[int, str]:
    """How lists name each plan or item of the scope (plan id → its title, or its source and 文号)."""
    return {plan.id: plan.source_label for plan in scope.plans}


def choices(organisation_id: int) -> list[tuple[dict[str, object], str]]:
    """The selector's options (query arguments, label): everything, each source with items, each active plan."""
    plans = active_plans(organisation_id)
    kinds = [kind for kind in PlanKind if any(p.kind is kind for p in plans)]
    options: list[tuple[dict[str, object], str]] = [({}, ALL_LABEL)]
    options += [({"source": kind.value}, _source_label(kind)) for kind in kinds if kind.is_item or len(kinds) > 1]
    options += [({"plan": p.id}, p.title) for p in plans if not p.kind.is_item]
    return options
