"""Plain data classes for a parsed plan; no parsing logic lives here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .deadlines import Deadline

# What a detected quantity is: a goal the responsible units must reach, or a policy condition.
TARGET, CONDITION = "target", "condition"
CERTAIN, UNCERTAIN = "certain", "uncertain"
# Roles a unit or group takes in a task (the values of ResponsibilityRole).
LEAD, RESPONSIBLE, COOPERATING = "lead", "responsible", "cooperating"
ROLE_LABELS = {LEAD: "牵头", RESPONSIBLE: "负责", COOPERATING: "配合"}


@dataclass(frozen=True)
class Reason:
    """Why the parser read something as it did: a stable code for scripts and a Chinese sentence for people."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """Return the JSON shape of one reason."""
        return {"code": self.code, "text": self.text}


@dataclass
class Target:
    """A quantity found in a task's text (e.g. 不低于35%): a supervision target or a policy condition."""

    value: int | float
    unit: str
    comparator: str | None  # ">=", "=", "<=" or None when the text states a bare number
    phrase: str
    span: tuple[int, int]  # character offsets of `phrase` in the task text
    kind: str = TARGET
    confidence: str = CERTAIN
    reasons: list[Reason] = field(default_factory=list)

    @property
    def is_target(self) -> bool:
        """True for a goal to supervise; a condition is imported only when 督审处 ticks it."""
        return self.kind == TARGET

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one target."""
        return {
            "value": self.value,
            "unit": self.unit,
            "comparator": self.comparator,
            "phrase": self.phrase,
            "span": [self.span[0], self.span[1]],
            "kind": self.kind,
            "confidence": self.confidence,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass
class Section:
    """A numbered section heading (一、…) that contains tasks."""

    number: int
    title: str
    label: str = ""  # numbering as written, e.g. "一、" or "（三）"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one section."""
        return {"number": self.number, "title": self.title}


@dataclass
class Responsibility:
    """Who answers for a task, as the annotation states it."""

    lead_units: list[str] = field(default_factory=list)
    responsible_units: list[str] = field(default_factory=list)
    cooperating_units: list[str] = field(default_factory=list)
    unit_groups: list[str] = field(default_factory=list)
    annotation: str = ""  # the raw annotation text, for display in the review screen
    span: tuple[int, int] | None = None  # where the annotation sits in the task text
    reasons: dict[str, list[Reason]] = field(default_factory=dict)  # name -> why it has its role

    def roles(self) -> dict[str, str]:
        """Each name once with its role: leads, co-responsible units, cooperating units, then groups,
        which cooperate beside a lead and answer for the task without one."""
        group_role = COOPERATING if self.lead_units else RESPONSIBLE
        roles: dict[str, str] = {}
        for names, role in ((self.lead_units, LEAD), (self.responsible_units, RESPONSIBLE),
                            (self.cooperating_units, COOPERATING), (self.unit_groups, group_role)):
            for name in names:
                roles.setdefault(name, role)
        return roles


@dataclass
class Task:
    """One numbered task of the plan."""

    number: int
    section: int | None
    title: str
    text: str
    label: str = ""  # numbering as written, e.g. "16." or "（十五）"
    responsibility: Responsibility = field(default_factory=Responsibility)
    targets: list[Target] = field(default_factory=list)
    deadline: Deadline | None = None  # the final deadline the text or the table's 完成时限 sets

    @property
    def goals(self) -> list[Target]:
        """The quantities read as targets; conditions are left out unless 督审处 picks them."""
        return [target for target in self.targets if target.is_target]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of one task."""
        resp = self.responsibility
        return {
            "number": self.number,
            "section": self.section,
            "title": self.title,
            "text": self.text,
            "lead_units": list(resp.lead_units),
            "responsible_units": list(resp.responsible_units),
            "cooperating_units": list(resp.cooperating_units),
            "unit_groups": list(resp.unit_groups),
            "targets": [t.to_dict() for t in self.targets],
            "unit_reasons": [
                {"name": name, "role": role, "reasons": [r.to_dict() for r in resp.reasons.get(name, [])]}
                for name, role in resp.roles().items()
            ],
        }


@dataclass
class ParsedPlan:
    """The result of parsing one plan document."""

    title: str | None = None
    sections: list[Section] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems that block confirmation (task tables)
    issuing_body: str | None = None  # e.g. 湖北省市场监督管理局办公室
    issuing_date: datetime.date | None = None
    document_number: str | None = None  # 文号, e.g. 国发〔2019〕3号
    lead_rule: str | None = None  # the document's "first listed is lead" sentence, if any

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape shown for review (exactly the documented keys)."""
        return {
            "title": self.title,
            "sections": [s.to_dict() for s in self.sections],
            "tasks": [t.to_dict() for t in self.tasks],
            "warnings": list(self.warnings),
        }
