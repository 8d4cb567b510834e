"""The whole appeal through the pages: 注册处 contests a line of its score, 督审处 accepts it, the score page
shows the adjustment linked to the decision; doubled and stale submissions and foreign units are refused."""
from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Appeal, AppealStatus, Unit
from app.services.scoring import scoring_policy
from tests.conftest import csrf_token, login
from tests.services.test_fair_assessment import activity  # noqa: F401  (the seeded demo activity)


def unit_id(name: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.name == name))


def page(client, path: str) -> str:
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def appeal_links(body: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(r'href="([^"]*/appeal\?[^"]*)"', body)]


def signed_in_as(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_a_unit_appeals_a_line_and_the_supervisor_accepts_it(activity, app):  # noqa: F811
    unit_page = f"/plans/{activity.id}/assessment/units/{unit_id('注册处')}"
    client = signed_in_as(app, "zhuce")
    body = page(client, unit_page)
    assert "本单位在本计划中没有评分申诉" in body and "window_working_days = 10" in body
    link = next(li for li in appeal_links(body) if "category=returns" in li)
    form = page(client, link)
    assert "进展报送被督审处审核退回一次" in form and "申诉期限至" in form
    token = csrf_token(client, link)

    def post_appeal(seen: str = "-2"):
        evidence = (io.BytesIO("报送记录见附件。".encode()), "情况说明.txt")
        return client.post(link, data={"csrf_token": token, "reason": "退回系材料格式问题,内容无误",
                                       "seen_points": seen, "attachments": evidence},
                           content_type="multipart/form-data")

    response = post_appeal()
    assert response.status_code == 302 and response.headers["Location"].endswith("#appeals")
    body = page(client, unit_page)
    appeal = db.session.scalar(select(Appeal))
    assert f"申诉中 #{appeal.id}" in body and "待处理" in body and f"申诉 #{appeal.id} 已提交" in body
    # Doubled: the line now has an open appeal; the form says so and a second post is refused.
    assert "已有待处理的申诉" in page(client, link)
    assert post_appeal().status_code == 302 and "已有待处理的申诉" in page(client, unit_page)
    assert db.session.scalar(select(func.count(Appeal.id))) == 1

    client = signed_in_as(app, "kexin")
    assert client.get(unit_page).status_code == 403
    assert client.get(link).status_code == 403
    assert client.get(f"/appeals/{appeal.id}").status_code == 403

    client = signed_in_as(app, "dushen")
    waiting = page(client, "/appeals")
    assert f"#{appeal.id}" in waiting and "注册处" in waiting and "退回系材料格式问题" in waiting
    detail = f"/appeals/{appeal.id}"
    assert "情况说明.txt" in page(client, detail)
    token = csrf_token(client, detail)
    refused = client.post(detail, data={"csrf_token": token, "adjusted_points": "-2", "accept": "采纳"})
    assert refused.status_code == 200 and "与原分值相同" in refused.get_data(as_text=True)
    response = client.post(detail, data={"csrf_token": token, "adjusted_points": "0", "note": "经核实属实",
                                         "accept": "采纳"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/appeals")
    assert "暂无待处理的评分申诉" in page(client, "/appeals")
    # Stale: the same decision posted again is refused, nothing changes.
    stale = client.post(detail, data={"csrf_token": token, "note": "不予采纳", "reject": "不予采纳"},
                        follow_redirects=True)
    assert "该申诉已处理(已采纳),不能重复处理" in stale.get_data(as_text=True)
    db.session.refresh(appeal)
    assert appeal.status is AppealStatus.ACCEPTED and appeal.decision_note == "经核实属实"

    client = signed_in_as(app, "zhuce")
    body = page(client, unit_page)
    assert "已采纳" in body and f"申诉 #{appeal.id} 经督审处采纳" in body
    assert f'href="/appeals/{appeal.id}"' in body and f"申诉决定 #{appeal.id}" in body
    assert "按 <strong>0 分</strong>计(调整 +2 分)" in page(client, detail)
    assert "评分申诉已采纳" in page(client, "/notifications")
    assert "评分申诉处理结果" in page(client, "/notifications/settings")  # a mail choice of its own


def test_bad_input_is_shown_on_the_form_and_changes_nothing(activity, app):  # noqa: F811
    unit_page = f"/plans/{activity.id}/assessment/units/{unit_id('注册处')}"
    client = signed_in_as(app, "zhuce_head")
    link = next(li for li in appeal_links(page(client, unit_page)) if "category=rectification" in li)
    token = csrf_token(client, link)
    empty = client.post(link, data={"csrf_token": token, "reason": "", "seen_points": "-3"})
    assert empty.status_code == 200 and "请填写申诉理由" in empty.get_data(as_text=True)
    bad_file = client.post(link, data={"csrf_token": token, "reason": "理由", "seen_points": "-3",
                                       "attachments": (io.BytesIO(b"<html><script>x</script>"), "a.txt")},
                           content_type="multipart/form-data")
    assert bad_file.status_code == 200 and "格式不受支持" in bad_file.get_data(as_text=True)
    stale = client.post(link, data={"csrf_token": token, "reason": "理由", "seen_points": "-1"}, follow_redirects=True)
    assert "已有变化" in stale.get_data(as_text=True)
    foreign = link.replace(f"/units/{unit_id('注册处')}/", f"/units/{unit_id('科信处')}/")
    assert client.get(foreign).status_code == 403
    assert client.get(link.replace("category=rectification", "category=base")).status_code == 302  # no such line
    assert client.get(link.split("?")[0]).status_code == 404
    assert db.session.scalar(select(func.count(Appeal.id))) == 0


def test_the_policy_editor_refuses_a_bad_appeal_window(activity, app):  # noqa: F811
    client = signed_in_as(app, "dushen")
    path = f"/plans/{activity.id}/scoring-policy"
    based_on = scoring_policy.current_version(activity.id).version
    text = scoring_policy.default_text().replace("window_working_days = 10", "window_working_days = 0")
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "text": text, "based_on": based_on})
    assert response.status_code == 200
    assert "[appeal] window_working_days(申诉期限(工作日))必须是 1 到 60 之间的整数" in response.get_data(as_text=True)
    assert scoring_policy.current_version(activity.id).version == based_on
