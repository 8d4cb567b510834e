"""End to end in Chromium: the administrator gives the liaison a phone and 注册处 a 企业微信 robot; a report
returned in the browser reaches the liaison by SMS and the unit's robot once each, after the receiver was down."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.demo import load_demo
from app.extensions import db
from app.models import Unit, User
from app.models.base import utcnow
from app.services.infrastructure import channel_outbox
from tests.browser.conftest import bodies_closed_early
from tests.browser.test_extension_e2e import shoot
from tests.browser.test_lifecycle_e2e import decide, import_plan, open_step, person, submit_decomposition, submit_report
from tests.conftest import empty_all_tables, fan_out, make_test_app
from tests.receivers import SMS_KEY, SMS_SECRET, Receivers, free_port, serving

pytestmark = pytest.mark.browser


@pytest.fixture
def served(migrated_app, database_url, snapshots) -> Iterator[tuple[str, object, Receivers]]:
    """Duban on the demo data with an SMS gateway configured on a port nothing listens on yet."""
    receivers = Receivers(free_port())
    app = make_test_app(database_url, SMS_GATEWAY_URL=receivers.url("/sms"), SMS_APP_KEY=SMS_KEY,
                        SMS_APP_SECRET=SMS_SECRET, SMS_TEMPLATES="report_returned=SMS_1001",
                        PUBLIC_URL="https://duban.example.gov.cn", CHANNEL_TIMEOUT_SECONDS=5)
    with app.app_context():
        snapshots.reset()
        load_demo()
        db.session.commit()
        channel_outbox.fan_out(utcnow(), db.session.commit)      # the demo's own notices are not this test's
        db.session.remove()
    server = make_server("127.0.0.1", 0, bodies_closed_early(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, receivers
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        empty_all_tables()


def test_a_returned_report_reaches_the_liaison_by_sms_and_the_units_robot(browser, served):
    live_server, app, receivers = served
    with app.app_context():
        zhuce_id = db.session.scalar(select(User.id).where(User.username == "zhuce"))
        unit_id = db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))
        db.session.remove()
    admin = person(browser, live_server, "admin")
    admin.goto(f"{live_server}/admin/users/{zhuce_id}/edit")
    admin.get_by_label("手机号码").fill("13800138000")
    admin.get_by_role("button", name="保存").click()
    admin.goto(f"{live_server}/admin/units/{unit_id}/edit")
    admin.get_by_label("群机器人", exact=True).select_option("wecom")
    admin.get_by_label("机器人 Webhook 地址").fill(receivers.url("/wecom?key=robot-key"))
    admin.get_by_test_id("unit-robot").get_by_label("进展报告被退回").check()
    shoot(admin, "unit_robot_settings")
    admin.get_by_role("button", name="保存").click()
    assert "已保存" in admin.content()

    dushen = person(browser, live_server, "dushen")
    import_plan(dushen, live_server)
    zhuce = person(browser, live_server, "zhuce")
    zhuce.goto(f"{live_server}/notifications/settings")
    assert zhuce.get_by_label("进展报告被退回").nth(1).is_checked()   # by SMS too, by default
    shoot(zhuce, "notice_settings_sms")
    submit_decomposition(zhuce, live_server)
    open_step(dushen, live_server, "审核分解")
    decide(dushen, "通过")
    submit_report(zhuce, live_server, "措施已报省政府审议", "60")
    open_step(dushen, live_server, "督审处审核")
    decide(dushen, "退回修改", "请说明试点进展")

    with app.app_context():
        fan_out(commit=True)                                          # the scheduler tells the step's notices
        channel_outbox.deliver_round(utcnow(), db.session.commit)  # nobody listens yet
        assert not receivers.received
        with serving(receivers):
            channel_outbox.deliver_round(utcnow() + timedelta(minutes=3), db.session.commit)
            channel_outbox.deliver_round(utcnow() + timedelta(minutes=30), db.session.commit)
        db.session.remove()
    (sms,) = receivers.at("/sms")
    assert sms.signed and sms.body["phone"] == "13800138000" and "进展报告被退回" in sms.body["params"]["title"]
    (robot,) = receivers.at("/wecom")
    assert robot.signed and "请说明试点进展" in robot.body["markdown"]["content"]
