"""Importing what the document means: conditions stay out unless ticked, compound names stay whole."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import GroupMembership, PlanTarget, Unit, UnitGroup, UnitKind, User
from app.services.plans import directory, plan_import
from app.services.plans.name_resolution import Decision, DecisionKind
from tests.conftest import ROOT

PLANS = ROOT / "tests" / "fixtures" / "plans"


@pytest.fixture
def supervisor(demo):
    return db.session.scalar(select(User).where(User.username == "dushen"))


def _draft(org, supervisor, name: str, text: str | None = None):
    data = text.encode() if text is not None else (PLANS / name).read_bytes()
    return plan_import.start_import(org, supervisor, None, data=data, filename=name)


def _confirm(draft, supervisor, targets=None):
    names = plan_import.preview(draft).unresolved
    return plan_import.confirm_import(draft, plan_import.automatic_decisions(names), supervisor, targets)


def _stored_targets() -> list[tuple[Decimal, str]]:
    return [(t.value, t.unit) for t in db.session.scalars(select(PlanTarget).order_by(PlanTarget.id))]


def test_a_state_council_plan_imports_none_of_its_conditions_as_targets(demo, supervisor):
    draft = _draft(demo, supervisor, "gov_jiuye_2018.txt")
    kinds = [t.kind for task in plan_import.preview(draft).parsed.tasks for t in task.targets]
    assert kinds == ["condition"] * 7
    plan = _confirm(draft, supervisor)
    assert len(plan.tasks) == 15 and _stored_targets() == []


def test_a_condition_that_the_supervisor_ticks_is_imported(demo, supervisor):
    draft = _draft(demo, supervisor, "gov_jiuye_2018.txt")
    _confirm(draft, supervisor, {(3, 0): plan_import.TargetChoice(keep=True)})
    assert _stored_targets() == [(Decimal("15"), "万元")]


def test_the_2023_plan_keeps_all_ten_targets(demo, supervisor):
    _confirm(_draft(demo, supervisor, "hubei-amr-2023-work-points.txt"), supervisor)
    assert len(_stored_targets()) == 10


def test_a_compound_name_the_directory_knows_is_one_holder(demo, supervisor):
    group = directory.create_group(demo, directory.GroupData("东湖高新区、武汉经开区管委会", GroupMembership.PER_TASK),
                                   supervisor)
    text = "2024年工作要点\n1.推进园区改革，全年新增企业100家。（督审处牵头，东湖高新区、武汉经开区管委会配合）\n"
    draft = _draft(demo, supervisor, "parks.txt", text)
    preview = plan_import.preview(draft)
    assert preview.unresolved == [] and preview.resolved["东湖高新区、武汉经开区管委会"] == group
    plan = _confirm(draft, supervisor)
    assert [r.holder_name for r in plan.tasks[0].responsibilities] == ["督审处", "东湖高新区、武汉经开区管委会"]


def test_a_split_fragment_is_never_created_as_a_unit(demo, supervisor):
    text = "2024年工作要点\n1.推进改革。（督审处牵头，县级市配合）\n"
    draft = _draft(demo, supervisor, "fragment.txt", text)
    preview = plan_import.preview(draft)
    assert preview.unresolved == ["县级市"] and any("片段" in w for w in preview.parsed.warnings)
    units_before = db.session.scalar(select(func.count(Unit.id)))
    with pytest.raises(ValidationFailed, match="片段"):
        plan_import.confirm_import(draft, {"县级市": Decision(DecisionKind.NEW_UNIT, unit_kind=UnitKind.DEPARTMENT)},
                                   supervisor)
    assert db.session.scalar(select(func.count(Unit.id))) == units_before
    assert plan_import.automatic_decisions(["县级市"])["县级市"].kind is DecisionKind.NEW_GROUP
    _confirm(draft, supervisor)
    assert isinstance(directory.resolve_name(demo, "县级市"), UnitGroup)
