"""Where the channels are set: a unit's group robot (administrator), a person's phone and SMS choices."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import RobotKind, Unit, UnitRobot, User
from app.services.infrastructure import channel_outbox
from tests.conftest import csrf_token


def post_form(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def _unit_form(unit: Unit, **robot: object) -> dict[str, object]:
    return {"name": unit.name, "full_name": unit.full_name, "code": unit.code, "kind": unit.kind.value,
            "aliases": "", "active": "y", **robot}


def test_the_administrator_sets_a_units_robot_and_its_secret_is_kept(signed_in):
    client = signed_in("admin")
    unit = db.session.scalar(select(Unit).where(Unit.name == "科信处"))
    path = f"/admin/units/{unit.id}/edit"
    assert "群机器人推送" in client.get(path).get_data(as_text=True)
    refused = post_form(client, path, {**_unit_form(unit), "name": "科信处改", "robot_kind": "dingtalk",
                                       "robot_url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                       "robot_categories": ["overdue"]})
    assert refused.status_code == 200 and "钉钉群机器人须填写加签密钥" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(UnitRobot, unit.id) is None and db.session.get(Unit, unit.id).name == "科信处"
    bad = post_form(client, path, {**_unit_form(unit), "robot_kind": "wecom", "robot_url": "qyapi.weixin.qq.com"})
    assert "完整 Webhook 地址" in bad.get_data(as_text=True)

    saved = post_form(client, path, {**_unit_form(unit), "robot_kind": "dingtalk",
                                     "robot_url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                     "robot_secret": "SECabc", "robot_categories": ["overdue", "report_returned"]})
    assert saved.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "已保存加签密钥" in page and "SECabc" not in page           # the secret is stored, never shown
    again = post_form(client, path, {**_unit_form(unit), "robot_kind": "dingtalk",
                                     "robot_url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                     "robot_categories": ["overdue"]})
    assert again.status_code == 302
    db.session.expire_all()
    robot = db.session.get(UnitRobot, unit.id)
    assert robot.kind is RobotKind.DINGTALK and robot.secret == "SECabc" and robot.categories == ["overdue"]
    post_form(client, path, _unit_form(unit, robot_kind=""))
    db.session.expire_all()
    assert db.session.get(UnitRobot, unit.id) is None


def test_the_administrator_records_a_phone_number(signed_in):
    admin = signed_in("admin")
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    path = f"/admin/users/{zhuce.id}/edit"
    form = {"display_name": zhuce.display_name, "unit": str(zhuce.unit_id), "roles": ["liaison"], "active": "y"}
    assert "请填写11位手机号码" in post_form(admin, path, {**form, "phone": "12345"}).get_data(as_text=True)
    assert post_form(admin, path, {**form, "phone": "13800138000"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, zhuce.id).phone == "13800138000"


def test_each_person_chooses_sms_within_the_templates(signed_in, app, monkeypatch):
    client = signed_in("zhuce")
    assert "以下事项同时发送短信" not in client.get("/notifications/settings").get_data(as_text=True)  # no gateway
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", "http://127.0.0.1:9/sms")
    monkeypatch.setitem(app.config, "SMS_TEMPLATES", "report_returned=SMS_1, overdue=SMS_2")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "以下事项同时发送短信" in page and "请求协办" in page      # mail lists every topic
    assert page.count('name="sms"') == 2                              # SMS only where the administrator gave a template
    zhuce = db.session.scalar(select(User).where(User.username == "zhuce"))
    assert channel_outbox.sms_choices(zhuce) == {"report_returned", "overdue"}  # by default, like mail
    response = post_form(client, "/notifications/settings", {"topics": ["report_returned"], "sms": ["overdue"]})
    assert response.status_code == 302
    assert channel_outbox.sms_choices(zhuce) == {"overdue"}
    refused = post_form(client, "/notifications/settings", {"topics": [], "sms": ["urged"]})
    assert refused.status_code == 200                                  # not allowed by SMS: nothing saved
    assert channel_outbox.sms_choices(zhuce) == {"overdue"}
