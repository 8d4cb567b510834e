"""The bell, the 通知 page, and marking notices read through the pages."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Notification, User
from app.services.infrastructure import notices
from tests.conftest import csrf_token


def _notice_for(username: str, key: str, title: str) -> int:
    user = db.session.scalar(select(User).where(User.username == username))
    notice = notices.notify(user, "overdue", key, title, "请尽快办理。", "/work/inbox")
    db.session.commit()
    return notice.id


def _bell(html: str) -> str | None:
    match = re.search(r'data-testid="bell-count">(\d+)<', html)
    return match.group(1) if match else None


def test_bell_counts_unread_and_the_page_lists_newest_first(signed_in):
    _notice_for("zhuce", "a", "第一条逾期通知")
    _notice_for("zhuce", "b", "第二条逾期通知")
    _notice_for("kexin", "a", "别人的通知")
    client = signed_in("zhuce")
    assert _bell(client.get("/work/inbox").get_data(as_text=True)) == "2"
    html = client.get("/notifications").get_data(as_text=True)
    assert html.index("第二条逾期通知") < html.index("第一条逾期通知")
    assert "别人的通知" not in html
    assert html.count('data-read="no"') == 2 and 'href="/work/inbox"' in html


def test_mark_one_then_all_read(signed_in):
    first = _notice_for("zhuce", "a", "第一条")
    _notice_for("zhuce", "b", "第二条")
    client = signed_in("zhuce")
    token = csrf_token(client, "/notifications")
    response = client.post(f"/notifications/{first}/read", data={"csrf_token": token})
    assert response.status_code == 302
    html = client.get("/notifications").get_data(as_text=True)
    assert _bell(html) == "1" and html.count('data-read="yes"') == 1
    client.post("/notifications/read-all", data={"csrf_token": token})
    html = client.get("/notifications").get_data(as_text=True)
    assert _bell(html) is None and 'data-read="no"' not in html
    assert "全部标为已读" not in html


def test_a_user_cannot_mark_another_users_notice(signed_in):
    other = _notice_for("kexin", "a", "科信处的通知")
    client = signed_in("zhuce")
    response = client.post(f"/notifications/{other}/read", data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 403
    assert "只能处理发给自己的通知" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, other).read_at is None


def test_the_bell_sits_outside_the_main_navigation(signed_in):
    html = signed_in("zhuce").get("/notifications").get_data(as_text=True)
    nav = html[html.index('data-testid="main-nav"'):]
    nav = nav[:nav.index("</ul>")]
    assert 'data-testid="bell"' not in nav and 'data-testid="bell"' in html
    assert "暂无通知。" in html
