"""Floods against the real app: 催办 repeated or piled up on one step, and BPMN expressions that would
allocate without bound (refused when the diagram is validated, stopped by the guards when they run)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import AuditEvent, Notification, Urge, WorkflowInstance
from app.models.base import utcnow
from app.services.follow_up import urging
from app.services.timing.workdays import BEIJING
from app.workflow import WorkflowError, deploy_diagram, start_instance
from tests.conftest import csrf_token
from tests.services.test_lifecycle import item_for, unit
from tests.web.test_work import as_user

# --- 催办 ---------------------------------------------------------------------------------------------------


@pytest.fixture
def urgeable(task7, people):
    """注册处's open 分解任务 step on task 7."""
    return item_for(people["zhuce"], "decomposition", task7)


def _urge(client, item_id: int, token: str, message: str, land: bool = True) -> str:
    """POST one 催办 as the form does and return the page it lands on (with its flash), if asked."""
    response = client.post(f"/work/items/{item_id}/urge", data={"csrf_token": token, "message": message,
                                                                 "next": "/work/inbox"})
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True) if land else ""


def _urges() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Urge.id)))


def test_a_hundred_identical_urges_in_a_row_send_one(app, urgeable, task7):
    dushen = as_user(app, "dushen")
    token = csrf_token(dushen, f"/tasks/{task7.id}")
    started = time.monotonic()
    pages = [_urge(dushen, urgeable.id, token, "请尽快提交分解方案", land=n in (0, 1, 99)) for n in range(100)]
    elapsed = time.monotonic() - started
    assert "已催办" in pages[0] and "相同内容的催办已于" in pages[1] and "60 分钟内不再重复发送" in pages[99]
    assert _urges() == 1
    (_sent,) = db.session.scalars(select(Urge))  # exactly one
    notified = db.session.scalar(select(func.count(Notification.id)).where(Notification.key.like("urge:%")))
    assert notified == len(urging.people_to_act(urgeable))
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "urged")) == 1
    assert urging.urge_counts_by_unit(task7.plan_id) == {unit("注册处").id: 1}   # the unit's score pays once
    print(f"100 identical 催办: {elapsed:.1f} s, 1 sent")


def test_different_messages_are_capped_per_step_and_day(app, urgeable, task7):
    dushen = as_user(app, "dushen")
    token = csrf_token(dushen, f"/tasks/{task7.id}")
    pages = [_urge(dushen, urgeable.id, token, f"第 {n} 次催办") for n in range(1, 11)]
    assert _urges() == 3
    assert "今天已催办 3 次,已达每日 3 次的上限" in pages[3] and "今天已催办 3 次" in pages[9]
    assert "请明天再催办" in pages[3]


def test_the_window_and_the_daily_limit_follow_the_settings(app, urgeable, people):
    # At noon, Beijing time: the 催办 moved back in time below stay on today, whenever the suite runs (run just
    # after midnight, they fell on yesterday and the daily limit was never reached).
    noon = datetime.now(BEIJING).replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(noon, tick=True):
        _window_and_daily_limit(app, urgeable, people)


def _window_and_daily_limit(app, urgeable, people):
    dushen = people["dushen"]
    urging.urge(urgeable, "请尽快提交", dushen)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="相同内容"):
        urging.urge(urgeable, "  请尽快\n提交 ", dushen)   # the same words, however spaced
    db.session.rollback()
    _age_urges(timedelta(minutes=61))
    urging.urge(urgeable, "请尽快提交", dushen)   # the window has passed
    db.session.commit()

    saved = dict(app.config)
    app.config.update(URGE_REPEAT_MINUTES=120, URGES_PER_ITEM_PER_DAY=2)
    try:
        _age_urges(timedelta(minutes=30))
        with pytest.raises(ValidationFailed, match="120 分钟内"):
            urging.urge(urgeable, "请尽快提交", dushen)
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="已达每日 2 次的上限"):
            urging.urge(urgeable, "换个说法", dushen)
        db.session.rollback()
        _age_urges(timedelta(days=1))   # yesterday's 催办 do not count today
        urging.urge(urgeable, "请尽快提交", dushen)
        db.session.commit()
    finally:
        app.config.update(URGE_REPEAT_MINUTES=saved["URGE_REPEAT_MINUTES"],
                          URGES_PER_ITEM_PER_DAY=saved["URGES_PER_ITEM_PER_DAY"])
    assert _urges() == 3


def _age_urges(by: timedelta) -> None:
    """Move every 催办 back in time, as if sent earlier."""
    for urge in db.session.scalars(select(Urge)):
        urge.sent_at = urge.sent_at - by
    db.session.commit()


def test_urges_on_different_steps_do_not_share_a_limit(app, plan_2023, people):
    dushen, zhuce = people["dushen"], people["zhuce"]
    items = [item_for(zhuce, "decomposition", t) for t in plan_2023.tasks if t.number in (5, 6)]
    for item in items:
        urging.urge(item, "请尽快提交分解方案", dushen)
    db.session.commit()
    assert _urges() == 2
    assert utcnow() - db.session.scalar(select(func.max(Urge.sent_at))) < timedelta(minutes=1)


# --- BPMN expressions ---------------------------------------------------------------------------------

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="grow" name="放大">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="grow"/>
    <bpmn:sequenceFlow id="f2" sourceRef="grow" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""

UNBOUNDED = [
    "x = 'a' * 4000000000",
    "x = 4000000000 * 'a'",
    "x = [0] * 4000000000",
    "x = (1,) * n",
    "x = s * 4000000000",
    "x = 'a'\nx *= 4000000000",
    "x = 2 ** 99999999999",
    "x = '%*d' % (4000000000, 1)",
    "x = len('ab' * 2000000000) &gt; 0",
]


@pytest.mark.parametrize("script", UNBOUNDED)
def test_unbounded_scripts_are_refused_when_the_diagram_is_validated(app, script):
    started = time.monotonic()
    with pytest.raises(ValidationFailed) as refused:
        deploy_diagram(DIAGRAM.format(pid="hostile", script=script).encode(), "hostile.bpmn")
    assert time.monotonic() - started < 2
    message = refused.value.message
    assert message.startswith("hostile.bpmn 第 7 行,元素 scriptTask(grow):"), message
    assert "乘法" in message or "乘方" in message or "格式化" in message
    assert db.session.scalar(select(func.count(WorkflowInstance.id))) == 0


def test_a_numeric_product_still_passes(app):
    diagram = DIAGRAM.format(pid="numeric", script="share = float(done) * 100 / float(total)")
    (version,) = deploy_diagram(diagram.encode(), "numeric.bpmn")
    instance = start_instance("numeric", {"done": 3, "total": 4})
    assert instance.status.value == "completed"
    db.session.rollback()
    assert version.process_id == "numeric"


GROWING = [
    "s = s + s\n" * 40,                                            # doubling by concatenation
    "a = (1, 1)\n" + "a = (a, a)\n" * 60 + "b = {a}",              # a tuple too deep to hash
    "b = 'aaaaaaaaaa'\n" + "b = str([b, b, b, b, b, b, b, b, b, b])\n" * 12,
    "x = " + " * ".join(["int(s9)"] * 60),                       # 60 x 664 bits
    "x = round(5, -1000000000)",
    "lists = [[1], [2]]\nx = sum(lists, [])",
    "x = fmt % (1000000000, 1)",
    "a = [1]\n" + "a += a\n" * 40,
]


@pytest.mark.parametrize("script", GROWING, ids=range(len(GROWING)))
def test_scripts_that_grow_at_run_time_are_stopped_by_the_guards(app, script):
    (version,) = deploy_diagram(DIAGRAM.format(pid="growing", script=script).encode(), "growing.bpmn")
    started = time.monotonic()
    data = {"s": "a" * 200, "s9": "9" * 200, "fmt": "%*d"}
    with pytest.raises(WorkflowError) as stopped:
        start_instance("growing", data)
    assert time.monotonic() - started < 2
    assert "流程步骤「放大」(grow)执行出错" in stopped.value.message
    assert any(word in stopped.value.message for word in ("超出上限", "超出范围", "只能对数字求和", "格式化"))
    db.session.rollback()
    assert version.process_id == "growing"
