"""The unit directory: names, aliases, groups, and refusing clashes without changing anything."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import AuditEvent, GroupMembership, Organisation, UnitKind
from app.services.plans import directory
from app.services.plans.directory import GroupData, UnitData


@pytest.fixture
def org(app):
    organisation = Organisation(name="测试局", short_name="测试局", code="test")
    db.session.add(organisation)
    db.session.flush()
    return organisation


def add_unit(org, name, code, kind=UnitKind.DEPARTMENT, aliases=()):
    return directory.create_unit(org, UnitData(name, name, code, kind, tuple(aliases)), actor=None)


def test_a_unit_is_found_by_name_and_by_alias(org):
    unit = add_unit(org, "省纤检局", "sxjj", UnitKind.INSTITUTION, ["省纤维检验局", "湖北省纤维检验局"])
    assert directory.resolve_name(org, "省纤检局") is unit
    assert directory.resolve_name(org, " 省纤维检验局 ") is unit
    assert directory.resolve_name(org, "省计量院") is None


def test_an_alias_that_names_another_unit_is_refused(org):
    add_unit(org, "科信处", "kxc")
    other = add_unit(org, "信息中心", "xxzx", UnitKind.INSTITUTION)
    with pytest.raises(ValidationFailed, match="已被单位“科信处”使用"):
        directory.update_unit(other, UnitData("信息中心", "信息中心", "xxzx", UnitKind.INSTITUTION, ("科信处",)), None)


def test_a_duplicate_code_is_refused(org):
    add_unit(org, "科信处", "kxc")
    with pytest.raises(ValidationFailed, match="单位代码"):
        add_unit(org, "科技处", "kxc")


def test_group_by_kind_follows_the_directory(org):
    add_unit(org, "办公室", "bgs")
    add_unit(org, "人事处", "rsc")
    add_unit(org, "省计量院", "sjly", UnitKind.INSTITUTION)
    group = directory.create_group(org, GroupData("各处室", GroupMembership.BY_KIND, UnitKind.DEPARTMENT), None)
    assert [u.name for u in directory.group_members(group)] == ["办公室", "人事处"]
    add_unit(org, "财务处", "cwc")
    assert len(directory.group_members(group)) == 3


def test_explicit_group_needs_members_and_resolves_by_alias(org):
    reg = add_unit(org, "注册处", "zcc")
    with pytest.raises(ValidationFailed, match="至少需要一个成员"):
        directory.create_group(org, GroupData("某领导小组各成员单位", GroupMembership.EXPLICIT), None)
    group = directory.create_group(
        org,
        GroupData("省局优化营商环境领导小组各成员单位", GroupMembership.EXPLICIT, None, (reg.id,),
                  ("营商环境领导小组成员单位",)),
        None,
    )
    assert directory.resolve_name(org, "营商环境领导小组成员单位") is group
    assert directory.group_members(group) == [reg]


def test_per_task_group_has_no_fixed_members(org):
    add_unit(org, "质量发展处", "zlfzc")
    group = directory.create_group(org, GroupData("相关业务处室", GroupMembership.PER_TASK, UnitKind.DEPARTMENT), None)
    assert directory.group_members(group) == []


def test_changes_are_audited_with_before_and_after(org):
    unit = add_unit(org, "科信处", "kxc")
    directory.update_unit(unit, UnitData("科信处", "科技和信息化处", "kxc", UnitKind.DEPARTMENT, ("科技信息化处",)),
                          None)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "unit").order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["created", "updated"]
    assert events[1].before["full_name"] == "科信处"
    assert events[1].after["full_name"] == "科技和信息化处"
    assert events[1].after["aliases"] == ["科技信息化处"]


def test_saving_without_change_writes_no_audit_row(org):
    unit = add_unit(org, "科信处", "kxc")
    directory.update_unit(unit, UnitData("科信处", "科信处", "kxc", UnitKind.DEPARTMENT), None)
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_split_names_accepts_lines_and_chinese_separators():
    assert directory.split_names("省纤维检验局、湖北省纤维检验局\n 纤检局 ;;") == (
        "省纤维检验局", "湖北省纤维检验局", "纤检局",
    )
