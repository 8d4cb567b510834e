"""The pages of this change: 邮件提醒设置 for everyone, 分管单位 for the administrator."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import NoticeTopic, Unit, User
from app.services.infrastructure import accounts, notices
from tests.conftest import csrf_token


def _post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def test_a_user_chooses_which_notices_come_by_mail(signed_in):
    client = signed_in("zhuce")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "进展报告被退回" in page and "邮件提醒设置" in page
    response = _post(client, "/notifications/settings", {"topics": ["report_returned", "urged"]})
    assert response.status_code == 302
    chosen = notices.mail_choices(_user("zhuce"))
    assert {t for t, by_mail in chosen.items() if by_mail} == {NoticeTopic.REPORT_RETURNED, NoticeTopic.URGED}
    response = _post(client, "/notifications/settings", {"topics": ["no-such-topic"]})
    assert response.status_code == 200                           # an unknown topic: the form again, nothing saved
    assert {t for t, by_mail in notices.mail_choices(_user("zhuce")).items() if by_mail} == {
        NoticeTopic.REPORT_RETURNED, NoticeTopic.URGED}


def test_the_administrator_links_a_leader_to_units(signed_in):
    client = signed_in("admin")
    leader = _user("leader")
    units = [db.session.scalar(select(Unit.id).where(Unit.name == name)) for name in ("注册处", "科信处")]
    assert "分管单位" in client.get("/admin/users").get_data(as_text=True)
    response = _post(client, f"/admin/users/{leader.id}/units", {"units": [str(u) for u in units]})
    assert response.status_code == 302
    assert accounts.units_in_charge(leader) == sorted(units)
    refused = _post(client, f"/admin/users/{_user('zhuce').id}/units", {"units": [str(units[0])]})
    assert refused.status_code in (200, 400) and "只能为局领导设置分管单位" in refused.get_data(as_text=True)
    assert accounts.units_in_charge(_user("zhuce")) == []
