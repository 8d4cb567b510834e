"""SMS, group robots and outbound webhooks through their outboxes, against real HTTP receivers on 127.0.0.1
that check each signature: the receiver down, then up — every message arrives once, never twice."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.channel_commands import channels_group
from app.extensions import db
from app.models import ChannelDelivery, ChannelName, MailStatus, RobotKind, WebhookDelivery, WebhookEventKind
from app.models.base import utcnow
from app.services.infrastructure import channel_outbox, notices, webhooks
from app.services.infrastructure.channel_outbox import RobotSettings
from app.services.lifecycle import reporting
from app.services.lifecycle.reporting import UploadPolicy
from tests.conftest import csrf_token, fan_out
from tests.receivers import DINGTALK_SECRET, HOOK_SECRET, SMS_KEY, SMS_SECRET, Receivers, free_port, serving
from tests.services.test_lifecycle import RETURN, item_for, unit
from tests.services.test_step_notices import decomposed

PHONE = "13800138000"


@pytest.fixture
def receivers(app, monkeypatch) -> Receivers:
    """A port nothing listens on yet, configured as the SMS gateway (the robots and webhooks are set per test)."""
    found = Receivers(free_port())
    for key, value in {"SMS_GATEWAY_URL": found.url("/sms"), "SMS_APP_KEY": SMS_KEY, "SMS_APP_SECRET": SMS_SECRET,
                       "SMS_TEMPLATES": "report_returned=SMS_1001, overdue=SMS_1002",
                       "PUBLIC_URL": "https://duban.example.gov.cn", "CHANNEL_TIMEOUT_SECONDS": 5}.items():
        monkeypatch.setitem(app.config, key, value)
    return found


def deliver_round(minutes: int = 0) -> dict[str, int]:
    """The scheduler's step fan-out, then its channel job ``minutes`` from now, committing as the jobs do."""
    fan_out(commit=True)
    result = channel_outbox.deliver_round(utcnow() + timedelta(minutes=minutes), checkpoint=db.session.commit)
    db.session.expire_all()
    return result


def test_a_returned_report_reaches_the_liaison_by_sms_and_the_units_robots_once_after_the_receiver_was_down(
        task7, people, receivers, tmp_path):
    admin, zhuce, kexin, dushen = people["admin"], people["zhuce"], people["kexin"], people["dushen"]
    channel_outbox.fan_out(utcnow())                             # the demo's earlier notices are not this test's
    channel_outbox.set_phone(zhuce, PHONE, admin)
    channel_outbox.set_robot(unit("注册处"), RobotSettings(RobotKind.WECOM, receivers.url("/wecom?key=robot-key"),
                                                         None, ("report_returned",)), admin)
    channel_outbox.set_robot(unit("科信处"), RobotSettings(RobotKind.DINGTALK, receivers.url("/dingtalk"),
                                                         DINGTALK_SECRET, ("contribution_requested",)), admin)
    hook = webhooks.subscribe(receivers.url("/hook"), HOOK_SECRET,
                              [WebhookEventKind.RETURNED, WebhookEventKind.STEP_COMPLETED], admin)
    decomposed(task7, people)
    policy = UploadPolicy(tmp_path, 1024)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "初稿", 50, {}, [], policy, zhuce)
    reporting.contribute(item_for(kexin, "cooperating_contribution", task7), "系统已支持", [], policy, kexin)
    reporting.review_report(item_for(dushen, "report_review", task7), RETURN, "请补充行业清单", None, dushen)
    db.session.commit()

    down = deliver_round()                                       # nothing listens: each destination tried once
    assert not receivers.received and down["sent"] == 0 and down["webhooks_sent"] == 0
    deliveries = db.session.scalars(select(ChannelDelivery)).all()
    assert {(d.channel, d.recipient) for d in deliveries} == {
        (ChannelName.SMS, f"user:{zhuce.id}"), (ChannelName.ROBOT, f"unit:{unit('注册处').id}"),
        (ChannelName.ROBOT, f"unit:{unit('科信处').id}")}
    assert all(d.status is MailStatus.PENDING and d.attempts <= 1 and d.last_error for d in deliveries)
    assert deliver_round()["sent"] == 0                          # backing off: not due yet

    with serving(receivers):
        up = deliver_round(minutes=3)
        again = deliver_round(minutes=30)
    assert up["sent"] == 3 and again["sent"] == 0 and again["webhooks_sent"] == 0
    (sms,) = receivers.at("/sms")
    assert sms.signed and sms.body["phone"] == PHONE and sms.body["template_id"] == "SMS_1001"
    assert sms.body["params"]["title"].startswith("进展报告被退回:督〔2023〕7号")
    assert sms.body["params"]["url"].startswith("https://duban.example.gov.cn/work/items/")
    (robot,) = receivers.at("/wecom")
    assert robot.signed and robot.body["msgtype"] == "markdown"
    content = robot.body["markdown"]["content"]
    assert "进展报告被退回" in content and "请补充行业清单" in content and "https://duban.example.gov.cn/" in content
    (ding,) = receivers.at("/dingtalk")
    assert ding.signed and "请求协办" in ding.body["markdown"]["title"]
    assert all(d.status is MailStatus.SENT and d.sent_at for d in db.session.scalars(select(ChannelDelivery)))

    hooks = receivers.at("/hook")
    assert hooks and all(h.signed for h in hooks)
    keys = Counter(h.headers["X-Duban-Delivery"] for h in hooks)
    assert set(keys.values()) == {1}                             # each event once
    kinds = Counter(h.body["event"] for h in hooks)
    assert kinds["step.returned"] == 2 and kinds["step.completed"] >= 5  # the decomposition's return, the report's
    returned = next(h for h in hooks if h.body["event"] == "step.returned" and "进展报告" in h.body["data"]["title"])
    assert returned.headers["X-Duban-Event"] == "step.returned" and returned.body["id"] == \
        returned.headers["X-Duban-Delivery"] and "请补充行业清单" in returned.body["data"]["body"]
    assert all(d.status is MailStatus.SENT for d in db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == hook.id)))


def test_the_administrator_registers_a_webhook_and_replays_a_delivery(signed_in, receivers):
    client = signed_in("admin")
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert "外部回调" in page and "尚未登记回调地址" in page
    token = csrf_token(client, "/admin/webhooks")
    refused = client.post("/admin/webhooks", data={"csrf_token": token, "url": "ftp://example", "secret": HOOK_SECRET,
                                                   "kinds": ["step.returned"]})
    assert refused.status_code in (200, 400) and "完整地址" in refused.get_data(as_text=True)
    assert webhooks.subscriptions() == []                        # refused: nothing saved
    added = client.post("/admin/webhooks", data={"csrf_token": token, "url": receivers.url("/hook"),
                                                 "secret": HOOK_SECRET, "kinds": ["task.closed", "step.returned"]})
    assert added.status_code == 302
    (subscription,) = webhooks.subscriptions()
    assert set(subscription.kinds) == {"task.closed", "step.returned"}
    webhooks._record_events([("step.returned:test:1", WebhookEventKind.RETURNED, {"title": "退回"})], [subscription],
                            utcnow())
    db.session.commit()
    with serving(receivers):
        deliver_round()
        (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
        assert delivery.status is MailStatus.SENT
        db.session.commit()                                      # end the test's read, as a request would
        listing = client.get("/admin/webhooks").get_data(as_text=True)
        assert "已送达" in listing and "step.returned:test:1" in listing
        replayed = client.post(f"/admin/webhooks/deliveries/{delivery.id}/replay",
                               data={"csrf_token": csrf_token(client, "/admin/webhooks")})
        assert replayed.status_code == 302
        deliver_round()
    first, second = receivers.at("/hook")                        # at least once: the replay carries the same key
    assert first.signed and second.signed
    assert first.headers["X-Duban-Delivery"] == second.headers["X-Duban-Delivery"] == "step.returned:test:1"
    db.session.commit()
    toggled = client.post(f"/admin/webhooks/{subscription.id}/active",
                          data={"csrf_token": csrf_token(client, "/admin/webhooks")})
    assert toggled.status_code == 302 and "已停用" in client.get("/admin/webhooks").get_data(as_text=True)
    assert client.post(f"/admin/webhooks/deliveries/{delivery.id + 999}/replay",
                       data={"csrf_token": csrf_token(client, "/admin/webhooks")}).status_code == 404


def test_deadline_notices_go_by_sms_and_webhook_once_and_held_ones_wait_for_the_digest(demo, people, receivers):
    admin, zhuce = people["admin"], people["zhuce"]
    channel_outbox.fan_out(utcnow())
    channel_outbox.set_phone(zhuce, PHONE, admin)
    webhooks.subscribe(receivers.url("/hook"), HOOK_SECRET, [WebhookEventKind.OVERDUE], admin)
    notices.notify(zhuce, "overdue", "work_item:7:overdue:1:v1", "逾期:督〔2023〕7号", "已逾期 2 个工作日。",
                   "/work/items/7")
    notices.notify(zhuce, "overdue", "work_item:8:overdue:1:v1", "逾期:督〔2023〕8号", "已逾期 1 个工作日。",
                   "/work/items/8", digest_day=utcnow().date() + timedelta(days=1))   # waits for the digest
    db.session.commit()
    with serving(receivers):
        first = deliver_round()
        second = deliver_round()
    assert first["sent"] == 1 and second["sent"] == second["webhooks_sent"] == 0
    (sms,) = receivers.at("/sms")                                # the held one goes in tomorrow's digest
    assert sms.signed and sms.body["template_id"] == "SMS_1002" and "7号" in sms.body["params"]["title"]
    hooks = receivers.at("/hook")                                # the digest is a person's: systems hear both
    assert all(h.signed and h.body["event"] == "item.overdue" for h in hooks)
    assert sorted(h.body["id"] for h in hooks) == ["item.overdue:work_item:7:overdue:1:v1",
                                                   "item.overdue:work_item:8:overdue:1:v1"]


def test_two_jobs_at_once_send_every_sms_and_robot_post_exactly_once(app, demo, people, receivers, monkeypatch):
    monkeypatch.setitem(app.config, "CHANNEL_BATCH_SIZE", 10)
    admin, zhuce = people["admin"], people["zhuce"]
    channel_outbox.fan_out(utcnow())
    channel_outbox.set_phone(zhuce, PHONE, admin)
    channel_outbox.set_robot(unit("注册处"), RobotSettings(RobotKind.WECOM, receivers.url("/wecom?key=robot-key"),
                                                         None, ("overdue",)), admin)
    for n in range(40):
        notices.notify(zhuce, "overdue", f"work_item:{n}:overdue:1:v1", f"逾期:第{n}项", "已逾期。", "/work/items/7")
    db.session.commit()
    results: list[dict[str, int]] = []

    def job() -> None:
        with app.app_context():
            results.append(channel_outbox.deliver_round(utcnow(), checkpoint=db.session.commit))
            db.session.remove()

    with serving(receivers):
        threads = [threading.Thread(target=job) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    sms = [r.body["params"]["title"] for r in receivers.at("/sms")]
    posts = [r.body["markdown"]["content"].split("**")[1] for r in receivers.at("/wecom")]
    assert len(sms) == len(set(sms)) == 40 and len(posts) == len(set(posts)) == 40
    assert len(results) == 2 and sum(result["sent"] for result in results) == 80   # neither job failed
    db.session.expire_all()
    assert {(d.status, d.attempts) for d in db.session.scalars(select(ChannelDelivery))} == {(MailStatus.SENT, 1)}


def test_the_it_office_sends_a_test_message_by_command(app, demo, people, receivers):
    channel_outbox.set_robot(unit("科信处"), RobotSettings(RobotKind.DINGTALK, receivers.url("/dingtalk"),
                                                         DINGTALK_SECRET, ()), people["admin"])
    db.session.commit()
    runner = app.test_cli_runner()
    down = runner.invoke(channels_group, ["test", "--phone", PHONE])
    assert down.exit_code != 0 and "发送失败" in down.output
    with serving(receivers):
        sms = runner.invoke(channels_group, ["test", "--phone", PHONE, "--kind", "report_returned"])
        robot = runner.invoke(channels_group, ["test", "--unit", "科信处"])
    assert sms.exit_code == 0 and robot.exit_code == 0 and "测试消息已发送" in robot.output
    (message,) = receivers.at("/sms")
    assert message.signed and message.body["template_id"] == "SMS_1001"
    assert receivers.at("/dingtalk")[0].signed
    missing = runner.invoke(channels_group, ["test", "--unit", "注册处"])
    assert missing.exit_code != 0 and "未设置群机器人" in missing.output
