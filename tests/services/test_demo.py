"""The demo data: every unit of the 2023 plan, one user per role, loaded idempotently."""
from sqlalchemy import func, select

from app.demo import DEMO_USERS, load_demo
from app.extensions import db
from app.models import AuditEvent, Role, Unit, UnitGroup, User
from app.services.plans import directory


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Unit, UnitGroup, User, AuditEvent))


def test_demo_loads_twice_without_changes(app):
    load_demo()
    db.session.commit()
    first = _counts()
    load_demo()
    db.session.commit()
    assert _counts() == first


def test_every_role_has_a_demo_user(app):
    load_demo()
    roles = {role for user in db.session.scalars(select(User)) for role in user.roles}
    assert roles == set(Role)
    assert len(DEMO_USERS) == db.session.scalar(select(func.count(User.id)))


def test_units_the_issue_names_resolve(app):
    org = load_demo()
    names = ["办公室", "人事处", "机关党委", "机关纪委", "督审处", "注册处", "质量发展处", "省食检院",
             "湖北特检院", "12315指挥中心", "工会", "离退休处", "省纤检局", "省纤维检验局"]
    for name in names:
        assert isinstance(directory.resolve_name(org, name), Unit), name
    assert isinstance(directory.resolve_name(org, "各处室"), UnitGroup)
    assert len(directory.group_members(directory.resolve_name(org, "各处室"))) > 20
