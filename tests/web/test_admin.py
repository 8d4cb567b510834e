"""The administrator manages units, aliases, groups and users through the real forms."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, DirectoryAlias, Role, Unit, UnitGroup, User
from tests.conftest import csrf_token


def post_form(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_admin_creates_a_unit_with_aliases(signed_in):
    client = signed_in("admin")
    response = post_form(client, "/admin/units/new", {
        "name": "网络安全处", "full_name": "网络与数据安全处", "code": "wlaqc",
        "kind": "department", "aliases": "网安处、数据安全处", "active": "y",
    })
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.code == "wlaqc"))
    assert sorted(a.name for a in unit.aliases) == ["数据安全处", "网安处"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "网络与数据安全处" in page and "网安处" in page


def test_a_clashing_alias_is_refused_next_to_the_field_and_nothing_is_saved(signed_in):
    client = signed_in("admin")
    aliases_before = db.session.scalar(select(func.count(DirectoryAlias.id)))
    response = post_form(client, "/admin/units/new", {
        "name": "新单位", "code": "xdw", "kind": "department", "aliases": "省纤检局", "active": "y",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已被单位" in html and 'value="新单位"' in html  # message shown, typed input kept
    assert db.session.scalar(select(Unit).where(Unit.code == "xdw")) is None
    assert db.session.scalar(select(func.count(DirectoryAlias.id))) == aliases_before


def test_missing_required_fields_show_chinese_messages(signed_in):
    client = signed_in("admin")
    html = post_form(client, "/admin/units/new", {"name": "", "code": "", "kind": "department"}).get_data(as_text=True)
    assert "请填写单位简称。" in html and "请填写单位代码。" in html


def test_admin_deactivates_a_unit(signed_in):
    client = signed_in("admin")
    unit = db.session.scalar(select(Unit).where(Unit.name == "离退休处"))
    response = post_form(client, f"/admin/units/{unit.id}/edit", {
        "name": unit.name, "full_name": unit.full_name, "code": unit.code, "kind": unit.kind.value, "aliases": "",
    })
    assert response.status_code == 302
    db.session.refresh(unit)
    assert unit.active is False


def test_admin_creates_a_liaison_who_must_belong_to_a_unit(signed_in):
    client = signed_in("admin")
    refused = post_form(client, "/admin/users/new", {
        "username": "wang", "display_name": "王联络", "unit": "0", "roles": ["liaison"], "password": "Start2023x",
    })
    assert "必须归属一个单位" in refused.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "wang")) is None

    unit = db.session.scalar(select(Unit).where(Unit.name == "信用处"))
    created = post_form(client, "/admin/users/new", {
        "username": "wang", "display_name": "王联络", "unit": str(unit.id), "roles": ["liaison"],
        "password": "Start2023x", "active": "y",
    })
    assert created.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "wang"))
    assert user.roles == {Role.LIAISON} and user.unit_id == unit.id and user.must_change_password


def test_admin_cannot_remove_own_admin_role(signed_in):
    client = signed_in("admin")
    me = db.session.scalar(select(User).where(User.username == "admin"))
    html = post_form(client, f"/admin/users/{me.id}/edit", {
        "display_name": "系统管理员", "unit": "0", "roles": ["leader"], "active": "y",
    }).get_data(as_text=True)
    assert "不能取消自己的管理员角色" in html
    db.session.expire_all()
    assert Role.ADMIN in db.session.get(User, me.id).roles


def test_admin_edits_a_group_membership(signed_in):
    client = signed_in("admin")
    group = db.session.scalar(select(UnitGroup).where(UnitGroup.membership == "explicit"))
    unit = db.session.scalar(select(Unit).where(Unit.name == "财务处"))
    response = post_form(client, f"/admin/groups/{group.id}/edit", {
        "name": group.name, "membership": "explicit", "member_kind": "", "members": [str(unit.id)], "aliases": "",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert [u.name for u in db.session.get(UnitGroup, group.id).members] == ["财务处"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "unit_group",
                                                      AuditEvent.action == "updated"))


def test_audit_page_lists_changes_in_chinese(signed_in):
    client = signed_in("admin")
    post_form(client, "/admin/units/new", {"name": "测试处", "code": "csc", "kind": "department", "active": "y"})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "新建" in html and "单位" in html and "系统管理员" in html


def test_reset_password_unlocks_and_forces_change(signed_in):
    client = signed_in("admin")
    user = db.session.scalar(select(User).where(User.username == "zhuce"))
    response = post_form(client, f"/admin/users/{user.id}/password", {"password": "Temp2023pw"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.must_change_password and user.locked_until is None
